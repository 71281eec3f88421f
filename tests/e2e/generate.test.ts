// Generating on the canvas in the browser (web mode, the bundled model, the real engine
// process): type a prompt, watch step previews arrive, the image lands filling the selected
// frame as one undoable step; a second job can be cancelled.
import { describe, expect, it } from 'vitest';
import { canvasPixel, canvasView, elementBox, sharedHarness } from './harness';

const harness = sharedHarness();

describe('generate panel (web mode)', () => {
  it('generates into the selected frame with live previews, undoably', async () => {
    const page = await harness().newPage();
    await page.click('[data-testid=add-rect]');
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(1);
    const frame = await elementBox(page);
    await expect.poll(() => page.textContent('[data-testid=gen-size]')).toMatch(/Fills the selected frame/);
    await page.fill('[data-testid=gen-prompt]', '红色纯背景');
    await page.fill('[data-testid=gen-seed]', '7');
    await page.click('[data-testid=gen-start]');
    await page.waitForSelector('[data-testid=gen-preview]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid=gen-job][data-state=done]', { timeout: 60_000 });
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(2);
    // The new image is selected and sits exactly where the frame was.
    await expect.poll(() => elementBox(page)).toEqual(frame);
    // It is red on the canvas.
    const view = await canvasView(page);
    const [r, g, b] = await canvasPixel(
      page,
      view.originX + (frame.x + frame.width / 2) * view.zoom,
      view.originY + (frame.y + frame.height / 2) * view.zoom,
    );
    expect(r).toBeGreaterThan(g + 60);
    expect(r).toBeGreaterThan(b + 60);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(1);
    await page.close({ runBeforeUnload: false });
  }, 120_000);

  it('cancels a running job from its row', async () => {
    const page = await harness().newPage();
    await page.fill('[data-testid=gen-prompt]', 'blue gradient background');
    await page.fill('[data-testid=gen-seed]', '3');
    await page.locator('[data-testid=generate-panel] input[type=number]').first().fill('100');
    await page.click('[data-testid=gen-start]');
    await page.waitForSelector('[data-testid=gen-job][data-state=running]', { timeout: 30_000 });
    await page.click('[data-testid=gen-cancel]');
    await page.waitForSelector('[data-testid=gen-job][data-state=cancelled]', { timeout: 30_000 });
    expect(await page.locator('[data-testid=layers] li').count()).toBe(0);
    await page.close({ runBeforeUnload: false });
  }, 120_000);
});
