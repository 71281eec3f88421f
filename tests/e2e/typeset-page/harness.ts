// Builds the typesetting test page and serves it with the real back end (fonts route), in
// Chromium, for the browser typesetting tests and the typesetting benchmark.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { createBackend } from '../../../electron/api/backend';
import { startWebServer, type WebServer } from '../../../electron/server/web-server';
import { CHROMIUM, chromiumArgs } from '../harness';

export const PAGE_FONTS = [
  { id: 'noto-sans-sc-400', family: 'Noto Sans SC', weight: 400, script: 'cjk' },
  { id: 'noto-sans-sc-700', family: 'Noto Sans SC', weight: 700, script: 'cjk' },
  { id: 'inter-400', family: 'Inter', weight: 400, script: 'latin' },
  { id: 'inter-700', family: 'Inter', weight: 700, script: 'latin' },
] as const;

export interface TypesetPage {
  page: Page;
  close(): Promise<void>;
}

export async function openTypesetPage(): Promise<TypesetPage> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'poster-typeset-page-'));
  const out = path.join(dir, 'page');
  await build({ root: import.meta.dirname, logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
  const backend = await createBackend({
    dataDir: path.join(dir, 'data'),
    projectsDir: path.join(dir, 'projects'),
    shell: { transport: 'web' },
    log: () => {},
  });
  const server: WebServer = await startWebServer({ dispatch: backend.dispatch, staticDir: out });
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[browser] ${e.message}`));
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => document.title === 'ready');
  await page.evaluate(([fonts, token]) => window.typesetTest.loadFonts(fonts as never, token as string), [
    PAGE_FONTS,
    server.token,
  ] as const);
  return {
    page,
    async close() {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
