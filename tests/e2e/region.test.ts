// Regenerate a region in the browser (web mode, the bundled model, the real engine process):
// generate a red image into a frame, drag over the bottom-right quarter of its thumbnail in the
// Generate panel, ask for blue: that quarter turns blue on the canvas, the rest stays red, no
// element is added, and one undo brings the red back.
import { describe, expect, it } from 'vitest';
import { canvasPixel, canvasView, elementBox, sharedHarness } from './harness';

const harness = sharedHarness();

describe('regenerate region (web mode)', () => {
  it('repaints the dragged area of the selected image, undoably', async () => {
    const page = await harness().newPage();
    await page.click('[data-testid=add-rect]');
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(1);
    await page.fill('[data-testid=gen-prompt]', 'red plain background');
    await page.fill('[data-testid=gen-seed]', '5');
    await page.click('[data-testid=gen-start]');
    await page.waitForSelector('[data-testid=gen-job][data-state=done]', { timeout: 60_000 });
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(2);
    const box = await elementBox(page);
    const view = await canvasView(page);
    const at = (fx: number, fy: number) =>
      canvasPixel(page, view.originX + (box.x + box.width * fx) * view.zoom, view.originY + (box.y + box.height * fy) * view.zoom);
    const isRed = ([r, g, b]: number[]) => (r as number) > (g as number) + 60 && (r as number) > (b as number) + 60;
    const isBlue = ([r, g, b]: number[]) => (b as number) > (r as number) + 40 && (b as number) > (g as number) + 30;
    expect(isRed(await at(0.75, 0.75))).toBe(true);

    // The selected image offers the region tool; drag over the thumbnail's bottom-right quarter.
    const thumb = page.locator('[data-testid=region-thumb]');
    await thumb.waitFor();
    await thumb.scrollIntoViewIfNeeded();
    const t = (await thumb.boundingBox()) as { x: number; y: number; width: number; height: number };
    await page.mouse.move(t.x + t.width * 0.5, t.y + t.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(t.x + t.width * 0.8, t.y + t.height * 0.8, { steps: 4 });
    await page.mouse.move(t.x + t.width - 1, t.y + t.height - 1, { steps: 4 });
    await page.mouse.up();
    // The fields show the dragged area in image pixels.
    const imageWidth = Number(await page.getAttribute('[data-testid=region-x]', 'max')) + 1;
    const x = Number(await page.inputValue('[data-testid=region-x]'));
    const w = Number(await page.inputValue('[data-testid=region-width]'));
    expect(Math.abs(x - imageWidth / 2)).toBeLessThan(imageWidth * 0.03);
    expect(x + w).toBeGreaterThan(imageWidth * 0.97);
    if (process.env.REGION_SCREENSHOT) await page.screenshot({ path: process.env.REGION_SCREENSHOT });

    await page.fill('[data-testid=gen-prompt]', 'blue plain background');
    await page.click('[data-testid=region-start]');
    await page.waitForSelector('[data-testid=region-job][data-state=done]', { timeout: 60_000 });
    await expect.poll(async () => isBlue(await at(0.8, 0.8)), { timeout: 10_000 }).toBe(true);
    expect(isRed(await at(0.25, 0.25))).toBe(true);
    expect(isRed(await at(0.8, 0.25))).toBe(true);
    expect(await page.locator('[data-testid=layers] li').count()).toBe(2);

    await page.keyboard.press('Control+z');
    await expect.poll(async () => isRed(await at(0.8, 0.8)), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('[data-testid=layers] li').count()).toBe(2);
    await page.close({ runBeforeUnload: false });
  }, 180_000);
});
