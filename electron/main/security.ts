// Window security settings and the navigation rule, kept free of Electron imports so tests
// check them directly.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function secureWebPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  } as const;
}

/**
 * Whether a frame URL is the app's own page: the built index.html, or in development the
 * electron-vite dev server's origin (compared as an origin, not a string prefix).
 */
export function isAppUrl(url: string, opts: { devServerUrl?: string; rendererFile: string }): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (opts.devServerUrl) {
    try {
      return u.origin === new URL(opts.devServerUrl).origin;
    } catch {
      return false;
    }
  }
  if (u.protocol !== 'file:') return false;
  try {
    return path.resolve(fileURLToPath(u)) === path.resolve(opts.rendererFile);
  } catch {
    return false;
  }
}

/** Links the app may hand to the system browser; everything else is dropped. */
export const isExternalLinkAllowed = (url: string): boolean => /^https:\/\/[^\s]+$/i.test(url);
