// Electron window security: the settings every window gets, the navigation rule, the CSP, and
// the preload's allow-list matching the API contract.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ApiArgs } from '../../core/api/contract';
import { API_METHOD_NAMES } from '../../core/api/names';
import { isAppUrl, isExternalLinkAllowed, secureWebPreferences } from '../../electron/main/security';
import { CONTENT_SECURITY_POLICY } from '../../electron/server/csp';

const root = path.resolve(import.meta.dirname, '../..');

describe('window security', () => {
  it('isolates the renderer: context isolation, sandbox, no Node', () => {
    const p = secureWebPreferences('/app/preload.cjs');
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
  });

  it('allows navigation only to the app page itself', () => {
    const rendererFile = path.join(root, 'out/renderer/index.html');
    const file = { rendererFile };
    expect(isAppUrl(pathToFileURL(rendererFile).href, file)).toBe(true);
    expect(isAppUrl(pathToFileURL('/etc/passwd').href, file)).toBe(false);
    expect(isAppUrl('https://example.com/', file)).toBe(false);
    expect(isAppUrl('not a url', file)).toBe(false);
    const dev = { devServerUrl: 'http://localhost:5173', rendererFile };
    expect(isAppUrl('http://localhost:5173/index.html', dev)).toBe(true);
    // A string-prefix check would let these through.
    expect(isAppUrl('http://localhost:5173.evil.com/', dev)).toBe(false);
    expect(isAppUrl('http://localhost:51730/', dev)).toBe(false);
  });

  it('opens only https links externally', () => {
    expect(isExternalLinkAllowed('https://example.com/help')).toBe(true);
    expect(isExternalLinkAllowed('file:///etc/passwd')).toBe(false);
    expect(isExternalLinkAllowed('javascript:alert(1)')).toBe(false);
    expect(isExternalLinkAllowed('smb://host/share')).toBe(false);
  });

  it('uses a strict CSP in both shells, with no inline or remote scripts', () => {
    const csp = CONTENT_SECURITY_POLICY;
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    // WebAssembly may compile (the text shaper); JavaScript eval and inline scripts may not.
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("default-src 'self'");
    // The page's own meta CSP matches the header's script and connect rules.
    const html = readFileSync(path.join(root, 'renderer/index.html'), 'utf8');
    const meta = /Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? '';
    for (const directive of ['script-src', 'connect-src', 'img-src', 'object-src']) {
      const pick = (s: string) =>
        s
          .split(';')
          .map((d) => d.trim())
          .find((d) => d.startsWith(directive));
      expect(pick(meta), directive).toBe(pick(csp));
    }
  });

  it("exposes exactly the contract's methods through the preload", () => {
    expect([...API_METHOD_NAMES].sort()).toEqual(Object.keys(ApiArgs).sort());
  });
});
