import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { createDocument, createShape, createText } from '../../core/document/factory';
import type { Element } from '../../core/document/schema';
import { canvasView, startHarness } from '../../tests/e2e/harness';
import { writeBenchResult } from './results';

const _root = path.resolve(import.meta.dirname, '../..');
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};
const round = (x: number) => Math.round(x * 100) / 100;

it('renderer benchmark', async () => {
  const h = await startHarness();
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGB: Math.round(os.totalmem() / 2 ** 30),
      browser: 'Debian chromium (headless, --disable-gpu)',
    },
  };
  try {
    // 1. Page load to first canvas paint, five cold loads.
    const firstPaint: number[] = [];
    for (let i = 0; i < 5; i++) {
      const page = await h.browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(h.server.appUrl);
      await page.waitForFunction(() => performance.getEntriesByName('poster:first-canvas-paint').length > 0);
      firstPaint.push(await page.evaluate(() => performance.getEntriesByName('poster:first-canvas-paint')[0]!.startTime));
      await page.close();
    }
    results.firstCanvasPaintMs = { median: round(quantile(firstPaint, 0.5)), runs: firstPaint.map(round) };

    // 2. A 500-element A2 page: rectangles, ellipses and text frames in a grid.
    const doc = createDocument('Bench 500', 'A2');
    const page0 = doc.pages[0]!;
    const elements: Element[] = [];
    for (let i = 0; i < 500; i++) {
      const box = { x: 10 + (i % 25) * 16, y: 10 + Math.floor(i / 25) * 28, width: 14, height: 22 };
      const kind = i % 3;
      const el = kind === 2 ? createText(box, `标题 ${i}`) : createShape(kind === 0 ? 'rect' : 'ellipse', box);
      if (el.type === 'shape') el.fill = `#${((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)}`;
      if (el.type === 'text') el.style = { ...el.style, fontSize: 9 };
      elements.push(el);
    }
    page0.elements = elements;
    const file = path.join(h.projectsDir, 'bench-500.poster');
    const { createBackend } = await import('../../electron/api/backend');
    const backend = await createBackend({ dataDir: h.dataDir, projectsDir: h.projectsDir, shell: { transport: 'web' } });
    const saved = await backend.dispatch('project.save', { path: file, document: doc });
    if (!saved.ok) throw new Error(saved.error.message);

    const page = await h.newPage();
    await page.evaluate(() => localStorage.setItem('posterProfile', '1'));
    await page.reload();
    await page.waitForSelector('.canvas-host canvas.lower-canvas');
    await page.keyboard.press('Control+o');
    await page.fill('[data-testid=open-path]', file);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=layers] li').length === 500);
    // Let the text frames' fonts arrive and the page settle before dragging.
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(1500);

    // Drag the first rectangle in a loop while recording every animation frame.
    const v = await canvasView(page);
    const first = elements[0]!;
    const sx = v.left + v.originX + (first.x + first.width / 2) * v.zoom;
    const sy = v.top + v.originY + (first.y + first.height / 2) * v.zoom;
    await page.evaluate(() => {
      performance.clearMeasures('poster:render');
      const w = window as unknown as { __frames: number[]; __rec: boolean };
      w.__frames = [];
      w.__rec = true;
      const tick = (t: number) => {
        w.__frames.push(t);
        if (w.__rec) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.mouse.move(sx, sy);
    await page.mouse.down();
    const steps = 150;
    for (let i = 1; i <= steps; i++) {
      await page.mouse.move(sx + Math.sin(i / 12) * 150 + i, sy + i * 1.5);
    }
    await page.mouse.up();
    const frames = await page.evaluate(() => {
      const w = window as unknown as { __frames: number[]; __rec: boolean };
      w.__rec = false;
      return w.__frames;
    });
    const renders = await page.evaluate(() => performance.getEntriesByName('poster:render').map((e) => e.duration));
    const deltas = frames.slice(1).map((t, i) => t - frames[i]!);
    results.drag500 = {
      elements: 500,
      pointerMoves: steps,
      frames: deltas.length,
      frameMs: { median: round(quantile(deltas, 0.5)), p95: round(quantile(deltas, 0.95)), max: round(Math.max(...deltas)) },
      renderMs: {
        count: renders.length,
        median: round(quantile(renders, 0.5)),
        p95: round(quantile(renders, 0.95)),
        max: round(Math.max(...renders)),
      },
      targetMedianMs: 16,
      note: 'frameMs: requestAnimationFrame intervals; renderMs: duration of each full canvas render (Fabric renderAll + print guides); headless Chromium, software rendering, pointer dragging one rectangle',
    };
    await page.close();
  } finally {
    await h.close();
  }
  writeBenchResult('renderer', results);
}, 300_000);
