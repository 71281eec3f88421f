// More of what a designer does in the browser: recover after a crash, get a clear message for a
// damaged file, drop images onto the page, use the keyboard, switch the UI to Chinese, and drag
// on a busy page (the layered fast path must still draw the right stacking).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Element } from '../../core/document/schema';
import { createBackend } from '../../electron/api/backend';
import { docWith, rect } from '../helpers/fixtures';
import { encodePng } from '../helpers/png';
import { canvasPixel, canvasView, elementBox, sharedHarness } from './harness';

const harness = sharedHarness();

const layerCount = (page: Page) => page.locator('[data-testid=layers] li').count();

async function openPath(page: Page, file: string) {
  await page.keyboard.press('Control+o');
  await page.fill('[data-testid=open-path]', file);
  await page.keyboard.press('Enter');
}

async function saveProject(file: string, elements: Element[]) {
  const backend = await createBackend({ dataDir: harness().dataDir, projectsDir: harness().projectsDir, shell: { transport: 'web' } });
  const r = await backend.dispatch('project.save', { path: file, document: docWith(elements) });
  if (!r.ok) throw new Error(r.error.message);
}

function solidPng(w: number, hgt: number, rgb: [number, number, number]): Buffer {
  const px = new Uint8Array(w * hgt * 4);
  for (let i = 0; i < w * hgt; i++) px.set([...rgb, 255], i * 4);
  return Buffer.from(encodePng(w, hgt, px));
}

describe('workflows in the browser (web mode)', () => {
  it('recovers unsaved work after the tab dies without saving', async () => {
    const page = await harness().newPage();
    await page.click('[data-testid=add-rect]');
    await page.click('[data-testid=add-ellipse]');
    expect(await layerCount(page)).toBe(2);
    // Autosave runs a few seconds after the last change.
    await expect.poll(() => page.textContent('[data-testid=status]'), { timeout: 15_000 }).toMatch(/Autosaved/);
    await page.close({ runBeforeUnload: false }); // a crash: no save, no unload handlers

    const again = await harness().newPage();
    await again.waitForSelector('[data-testid=recovery-banner]');
    await again.click('[data-testid=recover]');
    await expect.poll(() => layerCount(again)).toBe(2);
    expect(await again.textContent('[data-testid=dirty]')).not.toBe('');
    // Starting a new document and discarding the recovered work removes the recovery copy.
    await again.keyboard.press('Control+n');
    await again.click('[data-testid=confirm-discard]');
    await expect.poll(() => layerCount(again)).toBe(0);
    await again.close({ runBeforeUnload: false });
    const third = await harness().newPage();
    await third.waitForTimeout(500);
    expect(await third.locator('[data-testid=recovery-banner]').count()).toBe(0);
    await third.close({ runBeforeUnload: false });
  }, 60_000);

  it('refuses a damaged project with a clear message and leaves the file alone', async () => {
    const file = path.join(harness().projectsDir, 'damaged.poster');
    const good = path.join(harness().projectsDir, 'good.poster');
    await saveProject(good, [rect('el:r1', 10, 10, 50, 50)]);
    const bytes = readFileSync(good).subarray(0, 200); // truncated
    writeFileSync(file, bytes);
    const page = await harness().newPage();
    await openPath(page, file);
    const toast = await page.waitForSelector('[data-testid=toast-error]');
    expect(await toast.textContent()).toMatch(/damaged or incomplete|missing/i);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(await layerCount(page)).toBe(0);
    await page.close({ runBeforeUnload: false });
  }, 60_000);

  it('places a dropped image where it is dropped', async () => {
    const page = await harness().newPage();
    const v = await canvasView(page);
    // Drop at 100 mm, 150 mm on the page.
    const clientX = v.left + v.originX + 100 * v.zoom;
    const clientY = v.top + v.originY + 150 * v.zoom;
    const b64 = solidPng(120, 80, [20, 140, 90]).toString('base64');
    await page.evaluate(
      ([data, x, y]) => {
        const bin = atob(data as string);
        const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
        const target = document.querySelector('[data-testid=canvas-host]')!;
        for (const type of ['dragenter', 'dragover', 'drop']) {
          target.dispatchEvent(
            new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt, clientX: x as number, clientY: y as number }),
          );
        }
      },
      [b64, clientX, clientY],
    );
    await page.waitForSelector('[data-testid=image-info]');
    const box = await elementBox(page);
    expect(box.x + box.width / 2).toBeCloseTo(100, 0);
    expect(box.y + box.height / 2).toBeCloseTo(150, 0);
    expect(box.width / box.height).toBeCloseTo(1.5, 2);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(200);
    const px = await canvasPixel(page, v.originX + 100 * v.zoom, v.originY + 150 * v.zoom);
    expect(px.slice(0, 3).every((c, i) => Math.abs(c - [20, 140, 90][i]!) < 20)).toBe(true);
    // A 120 px image across ~287 mm prints at about 10 dpi: preflight says so and points to it.
    await page.click('[data-testid=preflight]');
    const dialog = page.locator('[data-testid=preflight-report]');
    await expect.poll(() => dialog.locator('h3').textContent()).toBe('Preflight: 1 error, 0 warnings');
    expect(await dialog.textContent()).toMatch(/dropped: \d+ dpi at its printed size, too low/);
    await dialog.locator('li button').click();
    await page.waitForSelector('[data-testid=image-info]');
    await page.close({ runBeforeUnload: false });
  }, 60_000);

  it('nudges, undoes a run of nudges in one step, duplicates and deletes from the keyboard', async () => {
    const page = await harness().newPage();
    await page.click('[data-testid=add-rect]');
    const start = await elementBox(page);
    await page.locator('.canvas-host').click({ position: { x: 5, y: 5 } }); // focus the canvas area, clears selection
    await page.click('[data-testid=layers] li');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowDown');
    // The panel's fields update a render after the document; poll them.
    const nudged = { ...start, x: start.x + 3, y: start.y + 10 };
    await expect.poll(() => elementBox(page)).toEqual(nudged);
    await page.keyboard.press('Control+z');
    await expect.poll(() => elementBox(page)).toEqual(start);
    expect(await page.getAttribute('[data-testid=undo]', 'aria-label')).toBe('Undo: Add rectangle');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => elementBox(page)).toEqual(nudged);
    await page.keyboard.press('Control+d');
    expect(await layerCount(page)).toBe(2);
    await expect.poll(async () => (await elementBox(page)).x).toBeCloseTo(nudged.x + 5, 5);
    await page.keyboard.press('Delete');
    expect(await layerCount(page)).toBe(1);
    await page.close({ runBeforeUnload: false });
  }, 60_000);

  it('switches the interface to Chinese and remembers it', async () => {
    const page = await harness().newPage();
    await page.click('[data-testid=lang]');
    expect(await page.textContent('.properties h2')).toBe('属性');
    expect(await page.getAttribute('[data-testid=undo]', 'aria-label')).toBe('撤销');
    await page.reload();
    await page.waitForSelector('.canvas-host canvas.lower-canvas');
    expect(await page.textContent('.layers h2')).toBe('图层');
    await page.click('[data-testid=lang]');
    expect(await page.textContent('.layers h2')).toBe('Layers');
    await page.close({ runBeforeUnload: false });
  }, 60_000);

  it('keeps stacking right while dragging on a page with many elements', async () => {
    // 80 small grey squares, then a blue square (to drag) under a red square that overlaps it.
    const elements: Element[] = [];
    for (let i = 0; i < 80; i++)
      elements.push(rect(`el:g${i}`, 10 + (i % 10) * 25, 250 + Math.floor(i / 10) * 18, 12, 12, { fill: '#999999' } as Partial<Element>));
    elements.push(rect('el:blue', 40, 40, 60, 60, { fill: '#1e46dc' } as Partial<Element>));
    elements.push(rect('el:red', 120, 40, 60, 60, { fill: '#dc1e1e' } as Partial<Element>));
    const file = path.join(harness().projectsDir, 'busy.poster');
    await saveProject(file, elements);
    const page = await harness().newPage();
    await openPath(page, file);
    await expect.poll(() => layerCount(page)).toBe(82);
    await page.waitForTimeout(300);
    const v = await canvasView(page);
    const toClient = (mx: number, my: number) => ({ x: v.left + v.originX + mx * v.zoom, y: v.top + v.originY + my * v.zoom });
    const toCanvas = (mx: number, my: number) => [v.originX + mx * v.zoom, v.originY + my * v.zoom] as const;
    // Drag the blue square 60 mm right (to x 100..160), half under the red one, and hold it there.
    const from = toClient(70, 70);
    const to = toClient(130, 70);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, from.y, { steps: 4 });
    await page.mouse.move(to.x, to.y, { steps: 4 });
    await page.waitForTimeout(100);
    const red = [0xdc, 0x1e, 0x1e];
    const blue = [0x1e, 0x46, 0xdc];
    const close = (px: number[], c: number[]) => c.every((x, i) => Math.abs(px[i]! - x) < 12);
    // Mid-drag: where they overlap red stays on top; where only blue is, blue shows; the old
    // place is empty page again; the grey squares are still drawn.
    expect(close(await canvasPixel(page, ...toCanvas(150, 70)), red), 'overlap shows red on top').toBe(true);
    expect(close(await canvasPixel(page, ...toCanvas(185, 95)), blue), 'outside both').toBe(false);
    expect(close(await canvasPixel(page, ...toCanvas(125, 95)), red), 'red').toBe(true);
    expect(
      close(await canvasPixel(page, ...toCanvas(50, 70)), [255, 255, 255]),
      `old place empty: ${await canvasPixel(page, ...toCanvas(50, 70))}`,
    ).toBe(true);
    expect(close(await canvasPixel(page, ...toCanvas(16, 256)), [0x99, 0x99, 0x99]), 'grey squares still drawn').toBe(true);
    // Left of the red square (x 100..120) the moved blue square shows.
    expect(close(await canvasPixel(page, ...toCanvas(110, 70)), blue), `moved blue: ${await canvasPixel(page, ...toCanvas(110, 70))}`).toBe(
      true,
    );
    await page.mouse.up();
    await page.click('[data-testid=layers] li[data-id="el:blue"]');
    const box = await elementBox(page);
    await expect.poll(async () => (await elementBox(page)).x).toBeCloseTo(100, 0);
    expect(box.width).toBe(60);
    await page.close({ runBeforeUnload: false });
  }, 60_000);
});
