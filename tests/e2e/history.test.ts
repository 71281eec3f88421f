// The generation history in the browser (web mode, the bundled model, the real engine): generate
// into a frame while the step previews change, cancel a second job, find the image on the canvas
// and in the History panel, compare two variants, save, reload and reopen with the history
// intact, then use an entry's settings and place its image again.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { PosterDocument } from '../../core/document/schema';
import { canvasPixel, canvasView, elementBox, sharedHarness } from './harness';

const harness = sharedHarness();

const layerCount = (page: Page) => page.locator('[data-testid=layers] li').count();
const historyCount = (page: Page) => page.locator('[data-testid=history-entry]').count();

/** What the History panel lists, newest first. */
function historyRows(page: Page) {
  return page.$$eval('[data-testid=history-entry]', (rows) =>
    rows.map((r) => ({
      id: r.getAttribute('data-id'),
      prompt: r.querySelector('[data-testid=history-prompt]')?.textContent,
      meta: r.querySelector('[data-testid=history-meta]')?.textContent,
      asset: r.querySelector('[data-testid=history-thumb]')?.getAttribute('data-asset'),
    })),
  );
}

/** Centre pixel of the first history thumbnail, once it is drawn. */
async function thumbCentre(page: Page): Promise<number[]> {
  await page.waitForSelector('[data-testid=history-entry] [data-testid=history-thumb][data-ready="1"]');
  return page.$eval('[data-testid=history-entry] [data-testid=history-thumb]', (c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(Math.floor(canvas.width / 2), Math.floor(canvas.height / 2), 1, 1).data;
    return [d[0]!, d[1]!, d[2]!];
  });
}

describe('generation history (web mode)', () => {
  it('records generations, keeps them through save and reopen, and reuses their settings', async () => {
    const page = await harness().newPage();
    await expect.poll(() => page.textContent('[data-testid=history-panel]')).toMatch(/History \(0\)/);

    // --- a frame to generate into
    await page.click('[data-testid=add-rect]');
    await expect.poll(() => layerCount(page)).toBe(1);
    const frame = await elementBox(page);
    const view = await canvasView(page);
    const centre = {
      x: view.originX + (frame.x + frame.width / 2) * view.zoom,
      y: view.originY + (frame.y + frame.height / 2) * view.zoom,
    };
    const before = await canvasPixel(page, centre.x, centre.y);

    // --- generate, recording every distinct step preview the row shows
    await page.evaluate(() => {
      const seen = new Set<string>();
      (window as unknown as { __previews: Set<string> }).__previews = seen;
      const note = () => {
        for (const img of document.querySelectorAll<HTMLImageElement>('[data-testid=gen-preview]')) seen.add(img.src);
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['src'] });
    });
    await page.fill('[data-testid=gen-prompt]', '红色纯背景');
    await page.fill('[data-testid=gen-seed]', '7');
    await page.locator('[data-testid=generate-panel] input[type=number]').first().fill('10');
    await page.click('[data-testid=gen-start]');
    await page.waitForSelector('[data-testid=gen-job][data-state=done]', { timeout: 90_000 });
    const previews = await page.evaluate(() => [...(window as unknown as { __previews: Set<string> }).__previews]);
    expect(previews.length).toBeGreaterThanOrEqual(2);
    expect(previews.every((p) => p.startsWith('data:image/png'))).toBe(true);

    // --- on the canvas: the image fills the frame and the pixels there changed to the image's
    await expect.poll(() => layerCount(page)).toBe(2);
    await expect.poll(() => elementBox(page)).toEqual(frame);
    await expect.poll(() => historyCount(page)).toBe(1);
    const [first] = await historyRows(page);
    expect(first!.prompt).toBe('红色纯背景');
    expect(first!.meta).toMatch(/^seed 7 · \d+ × \d+ · 10 steps · CFG 4 · \d+\.\d s$/);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    const after = await canvasPixel(page, centre.x, centre.y);
    const thumb = await thumbCentre(page);
    expect(Math.max(...[0, 1, 2].map((i) => Math.abs(after[i]! - before[i]!)))).toBeGreaterThan(30);
    for (const i of [0, 1, 2]) expect(Math.abs(after[i]! - thumb[i]!)).toBeLessThan(40);

    // --- a second job, cancelled: nothing new in the history or on the page
    await page.fill('[data-testid=gen-prompt]', 'blue gradient background');
    await page.locator('[data-testid=generate-panel] input[type=number]').first().fill('100');
    await page.click('[data-testid=gen-start]');
    await page.waitForSelector('[data-testid=gen-job][data-state=running]', { timeout: 30_000 });
    await page.click('[data-testid=gen-cancel]');
    await page.waitForSelector('[data-testid=gen-job][data-state=cancelled]', { timeout: 30_000 });
    expect(await historyCount(page)).toBe(1);
    expect(await layerCount(page)).toBe(2);

    // --- a variant onto the page (another size): two entries to compare at one scale
    await page.fill('[data-testid=gen-prompt]', 'red gradient, gold dots');
    await page.fill('[data-testid=gen-seed]', '11');
    await page.locator('[data-testid=generate-panel] input[type=number]').first().fill('3');
    await page.click('[data-testid=gen-start]');
    await expect.poll(() => historyCount(page), { timeout: 90_000 }).toBe(2);
    await expect.poll(() => layerCount(page)).toBe(3);
    const rows = await historyRows(page);
    expect(rows.map((r) => r.prompt)).toEqual(['red gradient, gold dots', '红色纯背景']);
    expect(rows[0]!.meta).toMatch(/^seed 11 · /);
    for (const pick of await page.locator('[data-testid=history-pick]').all()) await pick.check();
    await page.click('[data-testid=history-compare]');
    await page.waitForSelector('[data-testid=compare-dialog]');
    await expect.poll(() => page.locator('[data-testid=compare-image][data-ready="1"]').count()).toBe(2);
    const shown = await page.$$eval('[data-testid=compare-image]', (cs) =>
      cs.map((c) => c.getBoundingClientRect()).map((r) => [r.width, r.height]),
    );
    const sizes = rows.map((r) => (r.meta!.match(/(\d+) × (\d+)/) ?? []).slice(1).map(Number));
    expect(sizes[0]).not.toEqual(sizes[1]); // frame and page differ in aspect
    // Same scale: screen pixels per image pixel agree across images, in both directions.
    const scales = shown.flatMap(([w, h], i) => [w! / sizes[i]![0]!, h! / sizes[i]![1]!]);
    for (const s of scales) expect(s).toBeCloseTo(scales[0]!, 2);
    // Side by side: the second image starts right of the first.
    const lefts = await page.$$eval('[data-testid=compare-image]', (cs) => cs.map((c) => c.getBoundingClientRect().left));
    expect(lefts[1]!).toBeGreaterThan(lefts[0]! + shown[0]![0]! - 1);
    await page.click('[data-testid=compare-close]');
    await expect.poll(() => page.locator('[data-testid=compare-dialog]').count()).toBe(0);

    // --- delete from the history is one undo step
    await page.locator('[data-testid=history-delete]').first().click();
    await expect.poll(() => historyCount(page)).toBe(1);
    await page.keyboard.press('Control+z');
    await expect.poll(() => historyCount(page)).toBe(2);
    const saved = await historyRows(page);
    expect(saved).toEqual(rows);

    // --- save: the file on disk is format 3 and carries both entries and their images
    const file = path.join(harness().projectsDir, 'history.poster');
    await page.keyboard.press('Control+s');
    await page.fill('[data-testid=save-path]', file);
    await page.click('[data-testid=save-confirm]');
    await expect.poll(() => page.textContent('[data-testid=dirty]')).toBe('');
    const zip = unzipSync(readFileSync(file));
    const doc = JSON.parse(new TextDecoder().decode(zip['document.json'])) as PosterDocument;
    expect(doc.version).toBe(3);
    expect(doc.generations.map((g) => [g.id, g.prompt, g.seed])).toEqual([
      [rows[1]!.id, '红色纯背景', 7],
      [rows[0]!.id, 'red gradient, gold dots', 11],
    ]);
    expect(doc.generations[0]).toMatchObject({ steps: 10, cfg: 4, negativePrompt: '' });
    expect(doc.generations[0]!.durationMs).toBeGreaterThan(0);
    for (const g of doc.generations) expect(zip[`assets/${g.asset}.png`]).toBeDefined();

    // --- a new page load starts empty; reopening brings the same history back
    await page.reload();
    await page.waitForSelector('.canvas-host canvas.lower-canvas');
    expect(await historyCount(page)).toBe(0);
    await page.keyboard.press('Control+o');
    await page.click(`[data-testid=recent-list] [data-path="${file}"]`);
    await expect.poll(() => historyCount(page)).toBe(2);
    expect(await historyRows(page)).toEqual(rows);
    expect(await layerCount(page)).toBe(3);
    await expect.poll(() => page.locator('[data-testid=history-thumb][data-ready="1"]').count()).toBe(2);

    // --- "Use settings" puts the older entry's prompt, seed and steps back into the form
    await page.fill('[data-testid=gen-prompt]', 'something else');
    await page.fill('[data-testid=gen-seed]', '999');
    await page.locator('[data-testid=history-use]').nth(1).click();
    expect(await page.inputValue('[data-testid=gen-prompt]')).toBe('红色纯背景');
    expect(await page.inputValue('[data-testid=gen-seed]')).toBe('7');
    expect(await page.locator('[data-testid=generate-panel] input[type=number]').first().inputValue()).toBe('10');

    // --- "Place again" (nothing selected): a second copy of that image, centred on the page, undoable
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=history-place]').nth(1).click();
    await expect.poll(() => layerCount(page)).toBe(4);
    const placed = await elementBox(page);
    const [w, h] = sizes[1]!;
    expect(placed.width / placed.height).toBeCloseTo(w! / h!, 1);
    expect(placed.x + placed.width / 2).toBeCloseTo(doc.pages[0]!.width / 2, 0);
    await page.keyboard.press('Control+z');
    await expect.poll(() => layerCount(page)).toBe(3);

    // --- "Place again" with the frame selected: the page-shaped variant fits inside it, centred
    await page.locator('[data-testid=layers] li', { hasText: 'Rectangle' }).click();
    await expect.poll(() => elementBox(page)).toEqual(frame);
    await page.locator('[data-testid=history-place]').first().click();
    await expect.poll(() => layerCount(page)).toBe(4);
    const inFrame = await elementBox(page);
    const [vw, vh] = sizes[0]!;
    expect(inFrame.width / inFrame.height).toBeCloseTo(vw! / vh!, 1);
    expect(inFrame.height).toBeCloseTo(Math.min(frame.height, (frame.width * vh!) / vw!), 0);
    expect(inFrame.x + inFrame.width / 2).toBeCloseTo(frame.x + frame.width / 2, 0);
    expect(inFrame.y + inFrame.height / 2).toBeCloseTo(frame.y + frame.height / 2, 0);

    // --- the panel speaks Chinese too
    await page.click('[data-testid=lang]');
    await expect.poll(() => page.textContent('[data-testid=history-panel] h2')).toBe('生成历史 (2)');
    expect(await page.locator('[data-testid=history-use]').first().textContent()).toBe('使用此参数');
    expect(await page.locator('[data-testid=history-meta]').first().textContent()).toMatch(/^种子 11 · 720 × 1024 · 3 步/);
    await page.click('[data-testid=lang]');
    await page.close({ runBeforeUnload: false });
  }, 300_000);
});
