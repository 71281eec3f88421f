// End to end in Debian Chromium against web mode: a designer sets up an A3 page, imports an
// image, moves and resizes it, undoes, saves, reloads, reopens, and the canvas pixels show the
// image where the saved document says.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ImageElement, PosterDocument } from '../../core/document/schema';
import { encodePng } from '../helpers/png';
import { canvasPixel, canvasView, elementBox, nextBox, sharedHarness } from './harness';

// A 400 x 300 image with four flat quadrants, so any placement error shows as a wrong colour.
const QUADRANTS: [number, number, number][] = [
  [220, 30, 30], // top-left red
  [30, 160, 60], // top-right green
  [30, 70, 220], // bottom-left blue
  [240, 200, 20], // bottom-right yellow
];
function quadrantPng(): Buffer {
  const w = 400;
  const h = 300;
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const q = (y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1);
      const c = QUADRANTS[q]!;
      rgba.set([c[0], c[1], c[2], 255], (y * w + x) * 4);
    }
  }
  return Buffer.from(encodePng(w, h, rgba));
}

const near = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;
const colourClose = (px: number[], c: number[], tol = 24) => c.every((v, i) => near(px[i]!, v, tol));

const harness = sharedHarness();

async function screenPoint(page: Page, mmX: number, mmY: number) {
  const v = await canvasView(page);
  return { x: v.left + v.originX + mmX * v.zoom, y: v.top + v.originY + mmY * v.zoom };
}

describe('editor in the browser (web mode)', () => {
  it('creates an A3 page, imports, moves, resizes, undoes, saves, reloads, reopens, and draws the image where the document says', async () => {
    const page = await harness().newPage();

    // --- A3 page from the size presets (go through A1 landscape first so the change is real)
    await page.selectOption('[data-testid=page-preset]', 'A1');
    await page.check('[data-testid=orientation-landscape]');
    expect(await page.inputValue('[data-testid=page-width]')).toBe('841');
    await page.selectOption('[data-testid=page-preset]', 'A3');
    await page.check('[data-testid=orientation-portrait]');
    expect(await page.inputValue('[data-testid=page-width]')).toBe('297');
    expect(await page.inputValue('[data-testid=page-height]')).toBe('420');

    // --- import an image through the file picker
    await page.setInputFiles('[data-testid=file-input]', { name: 'quadrants.png', mimeType: 'image/png', buffer: quadrantPng() });
    await page.waitForSelector('[data-testid=layers] li');
    await page.waitForSelector('[data-testid=image-info]');
    const placed = await elementBox(page);
    // Fitted inside the 5 mm safe area of the A3 page at the image's 4:3 aspect.
    expect(placed.width).toBeCloseTo(287, 0);
    expect(placed.height / placed.width).toBeCloseTo(0.75, 2);

    // --- move it by dragging its centre 60 x 40 screen px
    const { zoom } = await canvasView(page);
    const c = await screenPoint(page, placed.x + placed.width / 2, placed.y + placed.height / 2);
    await page.mouse.move(c.x, c.y);
    await page.mouse.down();
    await page.mouse.move(c.x + 30, c.y + 20, { steps: 5 });
    await page.mouse.move(c.x + 60, c.y + 40, { steps: 5 });
    await page.mouse.up();
    const moved = await nextBox(page, placed);
    expect(moved.x).toBeCloseTo(placed.x + 60 / zoom, 0);
    expect(moved.y).toBeCloseTo(placed.y + 40 / zoom, 0);
    expect(moved.width).toBeCloseTo(placed.width, 1);

    // --- resize from the bottom-right corner handle, 50 px inwards
    const br = await screenPoint(page, moved.x + moved.width, moved.y + moved.height);
    await page.mouse.move(br.x, br.y);
    await page.mouse.down();
    await page.mouse.move(br.x - 25, br.y - 25, { steps: 5 });
    await page.mouse.move(br.x - 50, br.y - 50, { steps: 5 });
    await page.mouse.up();
    const resized = await nextBox(page, moved);
    expect(resized.width).toBeLessThan(moved.width - 40 / zoom);
    expect(resized.height).toBeLessThan(moved.height - 40 / zoom);
    expect(resized.x).toBeCloseTo(moved.x, 1);

    // --- undo the resize: back to the moved box
    await page.keyboard.press('Control+z');
    expect(await nextBox(page, resized)).toEqual(moved);

    // --- save (web mode asks for a path in the app)
    const file = path.join(harness().projectsDir, 'e2e-poster.poster');
    await page.keyboard.press('Control+s');
    await page.fill('[data-testid=save-path]', file);
    await page.click('[data-testid=save-confirm]');
    await page.waitForSelector('[data-testid=toast-info]');
    await expect.poll(async () => page.textContent('[data-testid=dirty]')).toBe('');
    const saved = JSON.parse(new TextDecoder().decode(unzipSync(readFileSync(file))['document.json'])) as PosterDocument;
    const savedImage = saved.pages[0]!.elements[0] as ImageElement;
    expect(saved.pages[0]!.width).toBe(297);
    expect(savedImage.x).toBeCloseTo(moved.x, 1);
    expect(savedImage.width).toBeCloseTo(moved.width, 1);

    // --- reload: a fresh, empty document
    await page.reload();
    await page.waitForSelector('.canvas-host canvas.lower-canvas');
    expect(await page.locator('[data-testid=layers] li').count()).toBe(0);

    // --- reopen from the recent list
    await page.keyboard.press('Control+o');
    await page.click(`[data-testid=recent-list] [data-path="${file}"]`);
    await page.waitForSelector('[data-testid=layers] li');
    await page.click('[data-testid=layers] li');
    await expect.poll(() => elementBox(page)).toEqual(moved);

    // --- the canvas pixels show the image where the saved document says
    await page.keyboard.press('Escape'); // no selection handles over the image
    await page.waitForTimeout(300);
    const v = await canvasView(page);
    const at = (mmX: number, mmY: number) => canvasPixel(page, v.originX + mmX * v.zoom, v.originY + mmY * v.zoom);
    const { x, y, width: w, height: hh } = savedImage;
    const samples: [number, number, number][] = [
      [x + w * 0.25, y + hh * 0.25, 0],
      [x + w * 0.75, y + hh * 0.25, 1],
      [x + w * 0.25, y + hh * 0.75, 2],
      [x + w * 0.75, y + hh * 0.75, 3],
    ];
    for (const [mx, my, q] of samples) {
      const px = await at(mx, my);
      expect(colourClose(px, QUADRANTS[q]!), `quadrant ${q} at ${mx.toFixed(1)},${my.toFixed(1)} mm is rgb(${px.slice(0, 3)})`).toBe(true);
    }
    // Just outside the image, on the white page.
    const outside = await at(x + w / 2, y + hh + 4);
    expect(colourClose(outside, [255, 255, 255], 6)).toBe(true);
    // Just inside each edge the image colour starts (placement accurate to ~1 mm).
    expect(colourClose(await at(x + 1.2, y + hh * 0.25), QUADRANTS[0]!)).toBe(true);
    expect(colourClose(await at(x - 1.2, y + hh * 0.25), [255, 255, 255], 6)).toBe(true);
    await page.close();
  }, 120_000);
});
