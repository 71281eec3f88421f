// The OCR test helper: text drawn by Chromium in Noto Sans CJK SC is read back exactly, a text
// that differs by one character is not taken for the expected one, and the comparison helpers
// (normaliseOcr, charAccuracy) do what they say.
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, chromiumArgs } from '../helpers/chromium';
import { charAccuracy, normaliseOcr, readText } from '../helpers/ocr';

// Model loading and the first inference take about a second; later images a few hundred ms.
const OCR_TIMEOUT = 60_000;

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs });
  page = await browser.newPage({ viewport: { width: 1200, height: 600 }, deviceScaleFactor: 1 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** Lines of text at 32 px (the size OCR reads best) in Noto Sans CJK SC, captured as a PNG. */
async function renderLines(lines: string[], opts: { transparent?: boolean } = {}): Promise<Buffer> {
  const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const background = opts.transparent ? 'transparent' : '#fff';
  await page.setContent(`<!doctype html><html><body style="margin:0;background:${background}">
    <div id="sample" style="display:inline-block;padding:20px;background:${background};color:#000;
      font:400 32px/1.5 'Noto Sans CJK SC';white-space:nowrap">${lines.map((l) => `<div>${html(l)}</div>`).join('')}</div>
  </body></html>`);
  await page.evaluate('document.fonts.ready'); // a string: this tsconfig has no DOM types
  return page.locator('#sample').screenshot({ omitBackground: opts.transparent ?? false });
}

/** The rendered lines' boxes in the screenshot's pixels. */
async function lineRects(): Promise<{ left: number; top: number; right: number; bottom: number }[]> {
  const host = (await page.locator('#sample').boundingBox())!;
  const rects = [];
  for (const line of await page.locator('#sample > div').all()) {
    const r = (await line.boundingBox())!;
    rects.push({ left: r.x - host.x, top: r.y - host.y, right: r.x + r.width - host.x, bottom: r.y + r.height - host.y });
  }
  return rects;
}

describe('readText on text rendered by Chromium', () => {
  it(
    'reads a bilingual block back exactly, line by line, top to bottom, with boxes where the lines are',
    async () => {
      const expected = ['春节快乐 万事如意', 'Happy Spring Festival 2026'];
      const png = await renderLines(expected);
      const { lines, text } = await readText(png);
      expect(lines.map((l) => normaliseOcr(l.text))).toEqual(expected.map(normaliseOcr));
      expect(normaliseOcr(text)).toBe(normaliseOcr(expected.join('\n')));
      expect(text.split('\n')).toHaveLength(2);
      for (const l of lines) expect(l.score).toBeGreaterThan(0.9);

      // Boxes are in the PNG's own pixels and sit on the lines they were read from.
      const rects = await lineRects();
      lines.forEach((l, i) => {
        const xs = l.box.map((p) => p[0]!);
        const ys = l.box.map((p) => p[1]!);
        const r = rects[i]!;
        expect(Math.min(...xs)).toBeGreaterThanOrEqual(r.left - 6);
        expect(Math.max(...xs)).toBeLessThanOrEqual(r.right + 6);
        expect(Math.min(...ys)).toBeGreaterThanOrEqual(r.top - 6);
        expect(Math.max(...ys)).toBeLessThanOrEqual(r.bottom + 6);
      });
    },
    OCR_TIMEOUT,
  );

  it(
    'does not take a string one character off for the expected one',
    async () => {
      const { lines, text } = await readText(await renderLines(['春节快东']));
      expect(lines).toHaveLength(1);
      const read = normaliseOcr(text);
      expect(read).toBe('春节快东'); // it reads what is there…
      expect(read).not.toBe(normaliseOcr('春节快乐')); // …so the exact check would fail
      expect(charAccuracy('春节快乐', read)).toBeLessThan(1);
      expect(charAccuracy('春节快乐', read)).toBeCloseTo(0.75);
    },
    OCR_TIMEOUT,
  );

  it(
    'reads a PNG with a transparent background (flattened onto white first)',
    async () => {
      const { text } = await readText(await renderLines(['万事如意'], { transparent: true }));
      expect(normaliseOcr(text)).toBe('万事如意');
    },
    OCR_TIMEOUT,
  );
});

describe('charAccuracy', () => {
  it('is 1 − edit distance / longer length, over code points', () => {
    expect(charAccuracy('春节快乐', '春节快乐')).toBe(1);
    expect(charAccuracy('', '')).toBe(1);
    expect(charAccuracy('春节快乐', '春节快东')).toBe(0.75); // one substitution
    expect(charAccuracy('春节快乐', '春节快')).toBe(0.75); // one deletion
    expect(charAccuracy('abc', 'abxc')).toBe(0.75); // one insertion, over the longer length
    expect(charAccuracy('abc', '')).toBe(0);
    expect(charAccuracy('', 'abc')).toBe(0);
    expect(charAccuracy('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7);
    expect(charAccuracy('ab', 'ba')).toBe(0); // no transpositions: two substitutions
    // An astral character (U+20000) counts once, not as two UTF-16 units.
    expect(charAccuracy('𠀀a', '𠀀b')).toBe(0.5);
    expect(charAccuracy('春节快乐', '春节快东')).toBe(charAccuracy('春节快东', '春节快乐'));
  });
});

describe('normaliseOcr', () => {
  it('drops whitespace and maps full-width ASCII variants, keeping CJK sentence punctuation', () => {
    expect(normaliseOcr(' 春节快乐\u3000万事如意\nHappy  Spring\tFestival ')).toBe('春节快乐万事如意HappySpringFestival');
    expect(normaliseOcr('ＡＢＣ１２３（周一）／％')).toBe('ABC123(周一)/%');
    expect(normaliseOcr('好，是：对；吗！？')).toBe('好，是：对；吗！？');
    expect(normaliseOcr('“新年好”《春晓》、再见。')).toBe('“新年好”《春晓》、再见。');
  });
});
