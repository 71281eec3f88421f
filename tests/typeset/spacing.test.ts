// Spacing: punctuation compression (GB/T 15834 style), the quarter em between Han and Latin,
// tracking, justification, alignment, line height and paragraph spacing.
import { describe, expect, it } from 'vitest';
import { caretX, EM, lay, lineEnd, lineTexts } from './util';

describe('punctuation compression', () => {
  it('sets two adjacent closing marks in 1.5 em, not 2 em', async () => {
    const on = await lay('好。」再', 400, { compressPunctuation: true });
    const off = await lay('好。」再', 400, { compressPunctuation: false });
    expect(caretX(on, 3) - caretX(on, 1)).toBeCloseTo(1.5 * EM, 5);
    expect(caretX(off, 3) - caretX(off, 1)).toBeCloseTo(2 * EM, 5);
  });

  it('sets two adjacent opening marks in 1.5 em', async () => {
    const on = await lay('好「『再', 400, { compressPunctuation: true });
    expect(caretX(on, 3) - caretX(on, 1)).toBeCloseTo(1.5 * EM, 5);
  });

  it('lets a closing mark at the line end take only half an em', async () => {
    // Five characters and a comma fit in 5.5 em only because the comma's blank is dropped.
    const l = await lay('一二三四五，六七', 5.5 * EM, { compressPunctuation: true });
    expect(lineTexts(l)[0]).toBe('一二三四五，');
    const off = await lay('一二三四五，六七', 5.5 * EM, { compressPunctuation: false });
    expect(lineTexts(off)[0]).toBe('一二三四');
  });

  it('pulls an opening bracket at the line start back by half an em', async () => {
    const l = await lay('「新年」好', 400);
    const first = l.lines[0]!.runs[0]!.glyphs[0]!;
    expect(first.x).toBeCloseTo(-EM / 2, 5);
    expect(caretX(l, 1)).toBeCloseTo(EM / 2, 5);
  });
});

describe('Han–Latin spacing', () => {
  it('adds a quarter em between Han and Latin letters or digits, in both directions', async () => {
    const on = await lay('中文English中文2026年', 1000, { hanLatinSpacing: true });
    const off = await lay('中文English中文2026年', 1000, { hanLatinSpacing: false });
    const diff = (i: number) => caretX(on, i) - caretX(off, i);
    expect(diff(2)).toBeCloseTo(EM / 4, 5); // after 文, before E
    expect(diff(9)).toBeCloseTo(EM / 2, 5); // after h, before 中: two quarters so far
    expect(diff(11)).toBeCloseTo((3 * EM) / 4, 5); // 文|2
    expect(diff(15)).toBeCloseTo(EM, 5); // 6|年
    expect(diff(1)).toBeCloseTo(0, 5); // none between two Han
  });

  it('never adds it at the end of a line', async () => {
    // 文 ends the first line exactly; the quarter em before "English" is not there.
    const l = await lay('一二三四文English', 5 * EM, { hanLatinSpacing: true });
    expect(lineTexts(l)[0]).toBe('一二三四文');
    expect(lineEnd(l, 0)).toBeCloseTo(5 * EM, 5);
    expect(l.lines[1]!.runs[0]!.glyphs[0]!.x).toBeCloseTo(0, 5);
  });
});

describe('tracking, alignment and justification', () => {
  it('adds tracking per character', async () => {
    const l = await lay('一二三', 400, { tracking: 100 });
    expect(caretX(l, 3)).toBeCloseTo(3 * EM * 1.1, 5);
  });

  it('justifies Chinese lines to the full measure with equal gaps', async () => {
    const text = '春节期间全场商品八折优惠活动时间为二月一日至十五日详情请咨询店员谢谢';
    const l = await lay(text, 73, { align: 'justify' });
    expect(l.lines.length).toBeGreaterThan(2);
    for (let i = 0; i < l.lines.length - 1; i++) {
      expect(lineEnd(l, i)).toBeCloseTo(73, 2);
      const xs = l.lines[i]!.carets.map((c) => c.x);
      const gaps = xs.slice(1).map((x, k) => x - xs[k]!);
      for (const g of gaps.slice(0, -1)) expect(g).toBeCloseTo(gaps[0]!, 5);
    }
    // The last line keeps its natural spacing (left aligned).
    expect(lineEnd(l, l.lines.length - 1)).toBeLessThan(73);
  });

  it('justifies Latin lines by word spaces only', async () => {
    const text = 'Happy Spring Festival to everyone in our city';
    const plain = await lay(text, 120);
    const just = await lay(text, 120, { align: 'justify' });
    expect(lineTexts(just)).toEqual(lineTexts(plain));
    expect(lineEnd(just, 0)).toBeCloseTo(120, 2);
    // Inside "Happy" the letters keep their natural positions.
    const gx = (l: typeof plain) => l.lines[0]!.runs[0]!.glyphs.slice(0, 5).map((g) => g.x);
    expect(gx(just)).toEqual(gx(plain));
    // After the first space, glyphs moved right.
    expect(caretX(just, 6)).toBeGreaterThan(caretX(plain, 6) + 1);
  });

  it('justifies the last line too when asked', async () => {
    const l = await lay('一二三四五六七', 50, { align: 'justify', lastLineAlign: 'justify' });
    expect(lineTexts(l)).toEqual(['一二三四五', '六七']);
    expect(lineEnd(l, 1)).toBeCloseTo(50, 2);
  });

  it('centres and right-aligns lines', async () => {
    const c = await lay('一二', 100, { align: 'center' });
    expect(caretX(c, 0)).toBeCloseTo(40, 5);
    const r = await lay('一二', 100, { align: 'right' });
    expect(caretX(r, 0)).toBeCloseTo(80, 5);
  });

  it('sets lines at font size × line height and adds paragraph spacing', async () => {
    const l = await lay('一二三四五六\n七八', 30, { lineHeight: 1.5, paragraphSpacing: 7 });
    const ys = l.lines.map((x) => x.y);
    expect(ys).toHaveLength(3);
    expect(ys[1]! - ys[0]!).toBeCloseTo(15, 5);
    expect(ys[2]! - ys[1]!).toBeCloseTo(15 + 7, 5);
    expect(l.contentHeight).toBeCloseTo(45 + 7, 5);
  });
});
