// Starts the real back end in web mode with the built renderer, and Debian's Chromium through
// playwright-core, for end-to-end tests and the benchmark.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { createBackend } from '../../electron/api/backend';
import { startWebServer, type WebServer } from '../../electron/server/web-server';
import { CHROMIUM, chromiumArgs } from '../helpers/chromium';

const root = path.resolve(import.meta.dirname, '../..');

export { CHROMIUM, chromiumArgs };

export function ensureBuilt(): string {
  const dir = path.join(root, 'out/renderer');
  if (!existsSync(path.join(dir, 'index.html'))) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/.bin/electron-vite'), 'build'], { cwd: root, stdio: 'inherit' });
  }
  return dir;
}

export interface Harness {
  server: WebServer;
  browser: Browser;
  dataDir: string;
  projectsDir: string;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const staticDir = ensureBuilt();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'poster-e2e-'));
  const dataDir = path.join(tmp, 'data');
  const projectsDir = path.join(tmp, 'projects');
  let emitTo: WebServer | undefined;
  const backend = await createBackend({
    dataDir,
    projectsDir,
    shell: { transport: 'web' },
    log: () => {},
    emit: (event, payload) => emitTo?.emit(event, payload),
  });
  const server = await startWebServer({ dispatch: backend.dispatch, staticDir });
  emitTo = server;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs });
  const pages: Page[] = [];
  return {
    server,
    browser,
    dataDir,
    projectsDir,
    async newPage() {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-GB' });
      page.on('pageerror', (e) => console.error(`[browser] ${e.message}`));
      pages.push(page);
      await page.goto(server.appUrl);
      await page.waitForSelector('.canvas-host canvas.lower-canvas');
      return page;
    },
    async close() {
      await backend.engine.close();
      await browser.close();
      await server.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Starts one harness for the calling test file and closes it after; read it via the getter. */
export function sharedHarness(): () => Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });
  return () => {
    if (!h) throw new Error('harness not started');
    return h;
  };
}

/** The canvas view: page-trim origin in CSS px (relative to the canvas) and px per mm. */
export async function canvasView(page: Page) {
  return page.evaluate(() => {
    const host = document.querySelector<HTMLElement>('[data-testid=canvas-host]')!;
    const canvas = host.querySelector('canvas.lower-canvas')!.getBoundingClientRect();
    return {
      zoom: Number(host.dataset.zoom),
      originX: Number(host.dataset.originX),
      originY: Number(host.dataset.originY),
      left: canvas.left,
      top: canvas.top,
    };
  });
}

/** Reads the properties panel's X/Y/width/height fields (mm) of the selected element. */
export async function elementBox(page: Page) {
  // One evaluate, so all four fields come from the same render.
  return page.evaluate(() => {
    const read = (key: string) => Number(document.querySelector<HTMLInputElement>(`[data-testid=el-${key}]`)?.value ?? Number.NaN);
    return { x: read('x'), y: read('y'), width: read('width'), height: read('height') };
  });
}

type Box = Awaited<ReturnType<typeof elementBox>>;

/**
 * The panel's fields follow the document one render later; wait until they differ from `prev`
 * (or until `timeoutMs`), then return them.
 */
export async function nextBox(page: Page, prev: Box, timeoutMs = 3000): Promise<Box> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const box = await elementBox(page);
    if (JSON.stringify(box) !== JSON.stringify(prev) || Date.now() > end) return box;
    await page.waitForTimeout(25);
  }
}

/** RGBA of the canvas's own pixels at a CSS position relative to the canvas. */
export async function canvasPixel(page: Page, x: number, y: number): Promise<[number, number, number, number]> {
  return page.evaluate(
    ([px, py]) => {
      const c = document.querySelector<HTMLCanvasElement>('.canvas-host canvas.lower-canvas')!;
      const scale = c.width / c.getBoundingClientRect().width;
      const d = c.getContext('2d')!.getImageData(Math.round(px! * scale), Math.round(py! * scale), 1, 1).data;
      return [d[0]!, d[1]!, d[2]!, d[3]!] as [number, number, number, number];
    },
    [x, y],
  );
}
