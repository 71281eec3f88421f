// Vertical writing: columns right to left, upright Han with vertical punctuation forms, Latin
// words rotated, 2-3 digit numbers across the column (tate-chu-yoko), single letters upright.
import { describe, expect, it } from 'vitest';
import type { TextLayout } from '../../core/typeset';
import { EM, lay, lineTexts } from './util';

const glyphsOf = (l: TextLayout, from: number, to: number) =>
  l.lines.flatMap((line) => line.runs.flatMap((r) => r.glyphs.filter((g) => g.cluster >= from && g.cluster < to)));

describe('vertical text', () => {
  it('fills columns from right to left, top to bottom', async () => {
    const l = await lay('一二三四五六七', 200, { vertical: true }, { height: 50 });
    expect(lineTexts(l)).toEqual(['一二三四五', '六七']);
    expect(l.lines[0]!.x).toBeGreaterThan(l.lines[1]!.x);
    const ys = glyphsOf(l, 0, 5).map((g) => g.y);
    ys.slice(1).forEach((y, i) => {
      expect(y - ys[i]!).toBeCloseTo(EM, 5);
    });
    for (const g of glyphsOf(l, 0, 7)) {
      expect(g.rotate).toBeUndefined();
      expect(g.y).toBeLessThanOrEqual(50 + EM);
    }
  });

  it('rotates English words and 4-digit numbers, sets 2-3 digits across the column', async () => {
    const text = '春节Happy新年2026年12月365天';
    const l = await lay(text, 300, { vertical: true, hanLatinSpacing: false }, { height: 1000 });
    const at = (s: string) => text.indexOf(s);
    for (const g of glyphsOf(l, at('Happy'), at('Happy') + 5)) expect(g.rotate).toBe(90);
    for (const g of glyphsOf(l, at('2026'), at('2026') + 4)) expect(g.rotate).toBe(90);
    const twelve = glyphsOf(l, at('12'), at('12') + 2);
    expect(twelve).toHaveLength(2);
    for (const g of twelve) expect(g.rotate).toBeUndefined();
    expect(twelve[0]!.y).toBeCloseTo(twelve[1]!.y, 5); // side by side, one baseline
    expect(twelve[1]!.x).toBeGreaterThan(twelve[0]!.x);
    // The number takes one em of the column: 月 follows 年 after two ems.
    const nian = glyphsOf(l, at('年12'), at('年12') + 1)[0]!;
    const yue = glyphsOf(l, at('月'), at('月') + 1)[0]!;
    expect(yue.y - nian.y).toBeCloseTo(2 * EM, 5);
    // Three digits are squeezed into the em.
    const tcy3 = glyphsOf(l, at('365'), at('365') + 3);
    expect(tcy3[0]!.scaleX).toBeLessThan(1);
  });

  it('keeps a single Latin letter upright', async () => {
    const l = await lay('A字B', 300, { vertical: true }, { height: 300 });
    for (const g of glyphsOf(l, 0, 3)) expect(g.rotate).toBeUndefined();
  });

  it('uses vertical forms of punctuation', async () => {
    const text = '好，好。「好」';
    const h = await lay(text, 300);
    const v = await lay(text, 300, { vertical: true }, { height: 300 });
    for (const mark of ['，', '。', '「', '」']) {
      const i = text.indexOf(mark);
      expect(glyphsOf(v, i, i + 1)[0]!.id, mark).not.toBe(glyphsOf(h, i, i + 1)[0]!.id);
    }
    // Han characters keep their horizontal glyphs.
    expect(glyphsOf(v, 0, 1)[0]!.id).toBe(glyphsOf(h, 0, 1)[0]!.id);
  });
});
