// The text check in the browser (web mode, the bundled model, OCR in the engine process): a job
// with "text to paint" finishes, the app checks the painted text by itself and shows what OCR
// read, the accuracy and the mismatch; a retry with new seeds runs without placing its tries on
// the page; "Replace with vector text" adds an exact text frame (with an optional cover) over
// the image as one undo step.
import { describe, expect, it } from 'vitest';
import { elementBox, sharedHarness } from './harness';

const harness = sharedHarness();
const WANT = '春节快乐';

describe('text check (web mode)', () => {
  it('checks the painted text after the job, retries, and replaces it with vector text', async () => {
    const page = await harness().newPage();
    await page.fill('[data-testid=gen-prompt]', '红色背景海报');
    await page.fill('[data-testid=gen-paint-text]', WANT);
    await page.fill('[data-testid=gen-seed]', '5');
    await page.locator('[data-testid=generate-panel] input[type=number]').first().fill('2');
    await page.click('[data-testid=gen-start]');
    await page.waitForSelector('[data-testid=gen-job][data-state=done]', { timeout: 60_000 });
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(1);
    const image = await elementBox(page);

    // The check runs by itself and shows its reading, the accuracy and the diff.
    const check = page.locator('[data-testid=text-check]');
    await check.waitFor({ timeout: 60_000 });
    const accuracy = Number(await check.getAttribute('data-accuracy'));
    expect(accuracy).toBeGreaterThanOrEqual(0);
    expect(accuracy).toBeLessThan(1); // the tiny model paints no legible Chinese
    expect(await page.textContent('[data-testid=tc-accuracy]')).toBe(`${Math.round(accuracy * 1000) / 10}%`);
    expect((await page.textContent('[data-testid=tc-read]'))?.length).toBeGreaterThan(0);
    const runs = await page
      .locator('[data-testid=tc-diff] [data-op]')
      .evaluateAll((els) => els.map((e) => ({ op: (e as HTMLElement).dataset.op, text: e.textContent ?? '' })));
    // The asked-for side of the diff spells the text to paint, and something is marked as not matching.
    expect(
      runs
        .filter((r) => r.op !== 'extra')
        .map((r) => r.text)
        .join(''),
    ).toBe(WANT);
    expect(runs.some((r) => r.op !== 'same')).toBe(true);

    // One retry: progress shows while it runs; its image is a candidate, not a new element.
    await page.fill('[data-testid=tc-tries]', '1');
    await page.click('[data-testid=tc-retry]');
    await page.waitForSelector('[data-testid=tc-progress]', { timeout: 10_000 });
    await page.waitForSelector('[data-testid=tc-progress]', { state: 'detached', timeout: 120_000 });
    expect(await page.locator('[data-testid=layers] li').count()).toBe(1);
    expect(Number(await check.getAttribute('data-accuracy'))).toBeGreaterThanOrEqual(accuracy);

    // Replace with vector text: one new text frame over the image, with exactly the asked-for text.
    await page.click('[data-testid=tc-replace]');
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(2);
    const text = await elementBox(page);
    expect(text.x).toBeGreaterThanOrEqual(image.x - 0.5);
    expect(text.y).toBeGreaterThanOrEqual(image.y - 0.5);
    expect(text.x + text.width).toBeLessThanOrEqual(image.x + image.width + 0.5);
    expect(text.y + text.height).toBeLessThanOrEqual(image.y + image.height + 0.5);
    await page.keyboard.press('Enter'); // opens the text editor on the selected frame
    const editor = page.locator('[data-testid=text-editor-primary]');
    await editor.waitFor();
    expect(await editor.inputValue()).toBe(WANT);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(1);

    // With the cover: a rectangle under the text, both undone as one step.
    await page.check('[data-testid=tc-cover]');
    await page.click('[data-testid=tc-replace]');
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(3);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(1);
    await page.close({ runBeforeUnload: false });
  }, 300_000);
});
