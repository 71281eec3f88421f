// The typesetter gives the same result in Chromium as in Node (glyph ids equal, positions within
// 0.01 pt), and glyph outlines drawn the app's way land where the browser's own rendering of the
// same font puts the same characters.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEXT_STYLE, type LayoutInput, layoutText } from '../../core/typeset';
import { bundledRegistry } from '../helpers/fonts';
import { openTypesetPage, type TypesetPage } from './typeset-page/harness';

const style = { ...DEFAULT_TEXT_STYLE, fontSize: 24, latinFamily: 'Inter', cjkFamily: 'Noto Sans SC' };
const CASES: LayoutInput[] = [
  { runs: [{ text: '春节快乐，万事如意！「新年」好。Happy Spring Festival 2026年，全场八折。' }], style, width: 300, height: 400 },
  {
    runs: [{ text: '双语标题', bold: true }, { text: ' Bilingual title, justified across the measure: 中文与English混排。' }],
    style: { ...style, align: 'justify' },
    width: 260,
    height: 400,
  },
  { runs: [{ text: '竖排文字2026年12月，Happy新年「快乐」。' }], style: { ...style, vertical: true }, width: 200, height: 300 },
  {
    runs: [{ text: '出口' }],
    style: { ...style, align: 'center', fontSize: 48 },
    width: 300,
    height: 300,
    secondary: { runs: [{ text: 'Exit' }], ratio: 0.5, gap: 8, arrangement: 'stacked' },
  },
];

let tp: TypesetPage;
let page: Page;

beforeAll(async () => {
  tp = await openTypesetPage();
  page = tp.page;
}, 120_000);

afterAll(async () => {
  await tp?.close();
});

describe('typesetting in Chromium', () => {
  it('lays text out exactly as Node does', async () => {
    const registry = await bundledRegistry();
    const inBrowser = await page.evaluate((cases) => window.typesetTest.layouts(cases), CASES);
    CASES.forEach((input, k) => {
      const node = layoutText(registry, input);
      const web = inBrowser[k]!;
      expect(web.lines.length, `case ${k} line count`).toBe(node.lines.length);
      let glyphs = 0;
      node.lines.forEach((line, i) => {
        const other = web.lines[i]!;
        expect([other.start, other.end]).toEqual([line.start, line.end]);
        line.runs.forEach((run, r) => {
          const o = other.runs[r]!;
          expect(o.fontId).toBe(run.fontId);
          run.glyphs.forEach((g, j) => {
            const h = o.glyphs[j]!;
            expect(h.id).toBe(g.id);
            expect(Math.abs(h.x - g.x), `case ${k} line ${i} glyph ${j} x`).toBeLessThanOrEqual(0.01);
            expect(Math.abs(h.y - g.y), `case ${k} line ${i} glyph ${j} y`).toBeLessThanOrEqual(0.01);
            glyphs++;
          });
        });
      });
      expect(glyphs).toBeGreaterThan(5);
    });
  });

  it("draws glyph outlines where the browser's own text rendering of the same font puts them", async () => {
    const input = CASES[0]!;
    const chars = [...(input.runs[0]!.text as string)];
    // Clusters are UTF-16 offsets; this text is all BMP, so they index characters directly.
    const [w, h] = [320, 220];
    const outline = await page.evaluate(
      ([i, c, ww, hh]) =>
        window.typesetTest.draw(window.typesetTest.layouts([i as never])[0]!, ww as number, hh as number, 'outline', c as string[]),
      [input, chars, w, h] as const,
    );
    const text = await page.evaluate(
      ([i, c, ww, hh]) =>
        window.typesetTest.draw(window.typesetTest.layouts([i as never])[0]!, ww as number, hh as number, 'text', c as string[]),
      [input, chars, w, h] as const,
    );
    const dark = (img: number[], x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && img[(y * w + x) * 4]! < 128;
    // Ink of one rendering with ink of the other within one pixel (anti-aliasing and hinting
    // differ at the edges of thin strokes; a wrong glyph or position would not match).
    const covered = (a: number[], b: number[]) => {
      let ink = 0;
      let hit = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (!dark(a, x, y)) continue;
          ink++;
          let near = false;
          for (let dy = -1; dy <= 1 && !near; dy++) for (let dx = -1; dx <= 1 && !near; dx++) near = dark(b, x + dx, y + dy);
          if (near) hit++;
        }
      }
      return { ink, ratio: hit / Math.max(1, ink) };
    };
    const ab = covered(outline, text);
    const ba = covered(text, outline);
    expect(ab.ink).toBeGreaterThan(2000); // there is real text on the canvas
    expect(ab.ratio).toBeGreaterThan(0.97);
    expect(ba.ratio).toBeGreaterThan(0.97);
    // A layout shifted by one glyph would fail: check the comparison can fail.
    const shifted = outline.map((_, i) => outline[(i + 4 * 12) % outline.length]!);
    expect(covered(shifted, text).ratio).toBeLessThan(0.8);
  });
});
