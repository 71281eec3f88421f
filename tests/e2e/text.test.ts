// Text frames in the app: typing (also through a Chinese input method's composition) re-sets
// the frame live on the canvas, styles stay with their characters, the frame grows with the
// text, and a broken font file is refused with a clear message.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { charAccuracy, normaliseOcr, readText } from '../helpers/ocr';
import { canvasView, sharedHarness } from './harness';

const harness = sharedHarness();

/** Dark pixels of the canvas inside a page-mm rectangle. */
async function inkIn(page: Page, box: { x: number; y: number; width: number; height: number }): Promise<number> {
  const v = await canvasView(page);
  return page.evaluate(
    ([x, y, w, h]) => {
      const c = document.querySelector<HTMLCanvasElement>('.canvas-host canvas.lower-canvas')!;
      const d = c
        .getContext('2d')!
        .getImageData(Math.round(x!), Math.round(y!), Math.max(1, Math.round(w!)), Math.max(1, Math.round(h!))).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! < 110 && d[i + 1]! < 110 && d[i + 2]! < 110) n++;
      return n;
    },
    [v.originX + box.x * v.zoom, v.originY + box.y * v.zoom, box.width * v.zoom, box.height * v.zoom],
  );
}

async function selectedBox(page: Page) {
  return page.evaluate(() => {
    const read = (k: string) => Number(document.querySelector<HTMLInputElement>(`[data-testid=el-${k}]`)?.value);
    return { x: read('x'), y: read('y'), width: read('width'), height: read('height') };
  });
}

describe('text frames in the browser', () => {
  it('typing re-sets the frame live, through IME composition too, and the frame grows with the text', async () => {
    const page = await harness().newPage();
    await page.click('[data-testid=add-text]');
    const editor = page.locator('[data-testid=text-editor-primary]');
    await editor.waitFor();
    await editor.fill('');
    await page.waitForTimeout(300);
    await page.keyboard.press('Escape');
    await page.click('[data-testid=layers] li');
    const empty = await selectedBox(page);
    // The fonts load on first use; the frame then shows only its second-language line.
    await expect.poll(() => inkIn(page, { ...empty, height: empty.height / 2 }), { timeout: 15_000 }).toBe(0);

    await page.keyboard.press('Enter'); // opens the editor on the selected frame
    await editor.waitFor();
    // A Chinese IME: pinyin is composed first and must not reach the document.
    const cdp = await page.context().newCDPSession(page);
    await editor.focus();
    await cdp.send('Input.imeSetComposition', { text: 'chun', selectionStart: 4, selectionEnd: 4 });
    await page.waitForTimeout(400);
    expect(await editor.inputValue()).toBe('chun'); // the field shows the composition…
    expect(await inkIn(page, { ...empty, height: empty.height / 2 })).toBe(0); // …the poster does not
    await cdp.send('Input.insertText', { text: '春节快乐' });
    expect(await editor.inputValue()).toBe('春节快乐');
    await expect.poll(() => inkIn(page, { ...empty, height: empty.height / 2 })).toBeGreaterThan(100);
    await page.keyboard.type('，万事如意！');
    await expect.poll(() => inkIn(page, { ...empty, height: empty.height / 2 })).toBeGreaterThan(200);

    // Long text: the frame follows it (fit: grow) and every line is drawn.
    const before = await selectedBox(page);
    await page.keyboard.type('全场商品八折优惠，活动时间为二月一日至十五日，详情请咨询店员。Spring Festival sale, 20% off everything.');
    await expect.poll(async () => (await selectedBox(page)).height).toBeGreaterThan(before.height + 20);
    const grown = await selectedBox(page);
    const bottomHalf = await inkIn(page, { x: grown.x, y: grown.y + grown.height / 2, width: grown.width, height: grown.height / 2 });
    expect(bottomHalf).toBeGreaterThan(200);

    // One undo step per typing burst, and undo restores the earlier text on the canvas.
    await page.click('[data-testid=text-editor-done]');
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await selectedBox(page)).height).toBeLessThan(grown.height);
    await page.close({ runBeforeUnload: false });
  }, 90_000);

  it('refuses a file that is not a font, with a message, and keeps the font list', async () => {
    const page = await harness().newPage();
    await page.click('[data-testid=add-text]');
    await page.locator('[data-testid=text-editor-done]').click();
    const before = await page.locator('[data-testid=latin-family] option').count();
    await page.setInputFiles('[data-testid=text-settings] input[type=file]', {
      name: 'Broken.ttf',
      mimeType: 'font/ttf',
      buffer: Buffer.from('this is not a font at all, just text'),
    });
    const toast = await page.waitForSelector('[data-testid=toast-error]');
    expect(await toast.textContent()).toMatch(/Broken\.ttf: .*not a TrueType or OpenType font/);
    expect(await page.locator('[data-testid=latin-family] option').count()).toBe(before);
    await page.close({ runBeforeUnload: false });
  }, 60_000);

  it('draws a bilingual block that OCR reads back exactly', async () => {
    const page = await harness().newPage();
    // A small sign (200 x 120 mm) so that the page fills the view at a readable scale.
    await page.fill('[data-testid=page-width]', '200');
    await page.keyboard.press('Enter');
    await page.fill('[data-testid=page-height]', '120');
    await page.keyboard.press('Enter');
    await page.click('[data-testid=add-text]');
    await page.fill('[data-testid=text-editor-primary]', '春节快乐万事如意');
    await page.fill('[data-testid=text-editor-secondary]', 'Happy Spring Festival 2026');
    await page.click('[data-testid=text-editor-done]');
    await page.fill('[data-testid=text-size]', '48');
    await page.keyboard.press('Enter');
    await page.fill('[data-testid=el-width]', '184');
    await page.keyboard.press('Enter');
    await page.fill('[data-testid=el-x]', '8');
    await page.keyboard.press('Enter');
    await page.fill('[data-testid=el-y]', '20');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await selectedBox(page)).x).toBe(8);
    const box = await selectedBox(page);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(500);
    const v = await canvasView(page);
    expect(v.zoom).toBeGreaterThan(3); // px per mm: the 24 pt English line is ~30 px tall
    const clip = {
      x: v.left + v.originX + (box.x - 3) * v.zoom,
      y: v.top + v.originY + (box.y - 3) * v.zoom,
      width: (box.width + 6) * v.zoom,
      height: (box.height + 6) * v.zoom,
    };
    const png = await page.screenshot({ clip });
    if (process.env.POSTER_DEBUG_OCR) (await import('node:fs')).writeFileSync('.tmp/ocr-clip.png', png);
    const { lines, text } = await readText(png);
    expect(lines.length).toBe(2);
    const read = normaliseOcr(text);
    expect(read).toBe(normaliseOcr('春节快乐万事如意\nHappy Spring Festival 2026'));
    // The comparison can fail: a different text does not read as this one.
    expect(charAccuracy('春节快东万事如意', read.slice(0, 8))).toBeLessThan(1);
    await page.close({ runBeforeUnload: false });
  }, 90_000);
});
