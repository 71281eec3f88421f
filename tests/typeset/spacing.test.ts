// Spacing: punctuation compression (GB/T 15834 / clreq §3.2), the quarter em between Han and
// Latin, tracking, justification, alignment, line height and paragraph spacing.
import { describe, expect, it } from 'vitest';
import { layoutText } from '../../core/typeset';
import { bundledRegistry } from '../helpers/fonts';
import { base, caretX, EM, glyphsOf, interWidth, lay, lineEnd, lineTexts } from './util';

describe('punctuation compression (标点挤压)', () => {
  it('sets two adjacent closing marks 。」 in 1.5 em, or 2 em without compression', async () => {
    const on = await lay('你好。」再见', 400, { compressPunctuation: true });
    const off = await lay('你好。」再见', 400, { compressPunctuation: false });
    expect(caretX(on, 4) - caretX(on, 2)).toBeCloseTo(1.5 * EM, 5);
    expect(caretX(off, 4) - caretX(off, 2)).toBeCloseTo(2 * EM, 5);
    // The blank taken out is the one after 。: 」 moves half an em back.
    expect(glyphsOf(on, 3, 4)[0]!.x).toBeCloseTo(glyphsOf(off, 3, 4)[0]!.x - EM / 2, 5);
  });

  it('sets two adjacent opening marks 「『 in 1.5 em, or 2 em without compression', async () => {
    const on = await lay('再「『好', 400, { compressPunctuation: true });
    const off = await lay('再「『好', 400, { compressPunctuation: false });
    expect(caretX(on, 3) - caretX(on, 1)).toBeCloseTo(1.5 * EM, 5);
    expect(caretX(off, 3) - caretX(off, 1)).toBeCloseTo(2 * EM, 5);
  });

  it('sets a closing mark followed by an opening one (。「, ）（) in 1.5 em', async () => {
    for (const pair of ['。「', '）（', '，《']) {
      const l = await lay(`好${pair}好`, 400);
      expect(caretX(l, 3) - caretX(l, 1), pair).toBeCloseTo(1.5 * EM, 5);
    }
  });

  it('leaves single marks between Han characters at a full em', async () => {
    const l = await lay('春，节。快「乐」好', 400);
    for (let i = 0; i < 9; i++) expect(caretX(l, i + 1) - caretX(l, i)).toBeCloseTo(EM, 5);
  });

  it('lets a closing mark at the line end take only half an em, so N ems and a comma fit N.5 em', async () => {
    const on = await lay('一二三四五，六七', 5.5 * EM, { compressPunctuation: true });
    expect(lineTexts(on)).toEqual(['一二三四五，', '六七']);
    expect(lineEnd(on, 0)).toBeCloseTo(5.5 * EM, 5);
    const off = await lay('一二三四五，六七', 5.5 * EM, { compressPunctuation: false });
    expect(lineTexts(off)).toEqual(['一二三四', '五，六七']);
  });

  it('justifies a line that ends in a comma flush to the width, the blank half of the comma past it', async () => {
    const l = await lay('一二三四五，六七八九十', 6 * EM, { align: 'justify' });
    expect(lineTexts(l)[0]).toBe('一二三四五，');
    // The caret after the comma is at the line end: its trailing half em is not counted.
    expect(caretX(l, 6)).toBeCloseTo(6 * EM, 5);
    // The comma's em box starts half an em before the line end (its ink sits in the left half).
    expect(glyphsOf(l, 5, 6)[0]!.x).toBeCloseTo(6 * EM - EM / 2, 5);
    // The 5 pt gained is spread over the five gaps before the comma.
    expect(caretX(l, 1)).toBeCloseTo(EM + 1, 5);
  });

  it('pulls an opening bracket at a line start back by half an em', async () => {
    const l = await lay('「新年」好', 400);
    expect(glyphsOf(l, 0, 1)[0]!.x).toBeCloseTo(-EM / 2, 5);
    expect(caretX(l, 1)).toBeCloseTo(EM / 2, 5);
    // Also on a wrapped line.
    const w = await lay('一二三四「五六」', 4 * EM);
    expect(lineTexts(w)).toEqual(['一二三四', '「五六」']);
    const second = w.lines[1]!;
    expect(glyphsOf(w, 4, 5)[0]!.x - second.x).toBeCloseTo(-EM / 2, 5);
    expect(caretX(w, 5) - second.x).toBeCloseTo(EM / 2, 5);
    // Without compression the bracket keeps its full em.
    const off = await lay('「新年」好', 400, { compressPunctuation: false });
    expect(glyphsOf(off, 0, 1)[0]!.x).toBeCloseTo(0, 5);
    expect(caretX(off, 1)).toBeCloseTo(EM, 5);
  });
});

describe('punctuation compression: clreq rules for ！ and ？', () => {
  // In Simplified Chinese fonts all pause and stop marks, ！ and ？ included, sit in the left half
  // of the em (Noto Sans SC: ！ ink 0.19–0.31 em, ？ 0.03–0.46 em). clreq §3.2: "any two adjacent
  // punctuation marks that are 2 em wide should be reduced to 1.5 em"; GB/T 15834—2011 §5.1.10
  // (quoted by clreq): a full-width mark at the line end "SHALL be trimmed to half-width".
  it('sets ！」 and ？」 in 1.5 em', async () => {
    for (const mark of ['！', '？']) {
      const l = await lay(`好${mark}」好`, 400);
      expect(caretX(l, 3) - caretX(l, 1), mark).toBeCloseTo(1.5 * EM, 5);
    }
  });

  it('fits ！ at a line end in half an em', async () => {
    const l = await lay('一二三四五！六七', 5.5 * EM);
    expect(lineTexts(l)).toEqual(['一二三四五！', '六七']);
  });
});

describe('Han–Latin spacing (中西文间距)', () => {
  const text = '中文English中文2026年';

  it('adds a quarter em between Han and Latin letters or digits, in both directions', async () => {
    const on = await lay(text, 1000, { hanLatinSpacing: true });
    const off = await lay(text, 1000, { hanLatinSpacing: false });
    const diff = (i: number) => caretX(on, i) - caretX(off, i);
    expect(diff(1)).toBeCloseTo(0, 5); // 中|文: none between two Han
    expect(diff(2)).toBeCloseTo(EM / 4, 5); // 文|E
    expect(diff(3)).toBeCloseTo(EM / 4, 5); // inside English: nothing more
    expect(diff(9)).toBeCloseTo(EM / 2, 5); // h|中
    expect(diff(11)).toBeCloseTo((3 * EM) / 4, 5); // 文|2
    expect(diff(15)).toBeCloseTo(EM, 5); // 6|年
    expect(caretX(on, 3) - caretX(on, 2)).toBeCloseTo(caretX(off, 3) - caretX(off, 2), 5);
  });

  it('adds none next to a space or a punctuation mark', async () => {
    const on = await lay('中文 English，中文', 1000, { hanLatinSpacing: true });
    const off = await lay('中文 English，中文', 1000, { hanLatinSpacing: false });
    expect(caretX(on, 13)).toBeCloseTo(caretX(off, 13), 5);
  });

  it('adds none at a line end: 文|English broken exactly at the boundary', async () => {
    const l = await lay('一二三四文English', 5 * EM, { hanLatinSpacing: true });
    expect(lineTexts(l)).toEqual(['一二三四文', 'English']);
    expect(lineEnd(l, 0)).toBeCloseTo(5 * EM, 5);
    const second = l.lines[1]!;
    expect(glyphsOf(l, 5, 6)[0]!.x - second.x).toBeCloseTo(0, 5);
    expect(second.carets[0]!.x - second.x).toBeCloseTo(0, 5);
  });

  it('adds none at a line start: Hello|中文 broken exactly at the boundary', async () => {
    const hello = await interWidth('Hello');
    const l = await lay('Hello中文', hello + 0.001, { hanLatinSpacing: true });
    expect(lineTexts(l)).toEqual(['Hello', '中文']);
    expect(lineEnd(l, 0)).toBeCloseTo(hello, 3);
    const second = l.lines[1]!;
    expect(glyphsOf(l, 5, 6)[0]!.x - second.x).toBeCloseTo(0, 5);
    expect(caretX(l, 6) - second.x).toBeCloseTo(EM, 5);
  });
});

describe('tracking', () => {
  it('adds tracking/1000 em after every character, Han and Latin', async () => {
    const han = await lay('一二三', 400, { tracking: 100 });
    for (let i = 1; i <= 3; i++) expect(caretX(han, i)).toBeCloseTo(i * EM * 1.1, 5);
    const plain = await lay('Type', 400);
    const tracked = await lay('Type', 400, { tracking: 50 });
    for (let i = 1; i <= 4; i++) expect(caretX(tracked, i) - caretX(plain, i)).toBeCloseTo((i * 50 * EM) / 1000, 5);
    const big = await lay('一二', 400, { tracking: 250, fontSize: 20 });
    expect(caretX(big, 2)).toBeCloseTo(2 * 20 * 1.25, 5);
  });
});

describe('justification', () => {
  it('sets non-last lines of a Chinese paragraph flush to the width with equal gaps, the last left-aligned', async () => {
    const text = '春节期间全场商品八折优惠活动时间为二月一日至十五日详情请咨询店员谢谢';
    const w = 73;
    const l = await lay(text, w, { align: 'justify' });
    expect(l.lines.length).toBeGreaterThan(4);
    for (let i = 0; i < l.lines.length - 1; i++) {
      const carets = l.lines[i]!.carets;
      expect(carets.at(-1)!.x).toBeCloseTo(w, 2);
      expect(carets[0]!.x).toBeCloseTo(0, 5);
      const gaps = carets.slice(1).map((c, k) => c.x - carets[k]!.x);
      // Seven characters in 73 pt: the 3 pt gained goes into the six inner gaps.
      expect(gaps).toHaveLength(7);
      for (const g of gaps.slice(0, -1)) expect(g).toBeCloseTo(EM + 3 / 6, 5);
      expect(gaps.at(-1)).toBeCloseTo(EM, 5);
    }
    const last = l.lines.at(-1)!;
    last.carets.forEach((c, k) => {
      expect(c.x).toBeCloseTo(k * EM, 5);
    });
  });

  it('ends justified lines with punctuation exactly at the width too', async () => {
    const text = '春节期间，全场商品八折优惠。活动时间为二月一日至十五日，详情请咨询店员。谢谢光临！';
    for (const w of [55, 65, 73, 88]) {
      const l = await lay(text, w, { align: 'justify' });
      for (let i = 0; i < l.lines.length - 1; i++) expect(lineEnd(l, i), `${w}: ${lineTexts(l)[i]}`).toBeCloseTo(w, 2);
    }
  });

  it('justifies a Latin line by its word spaces only', async () => {
    const text = 'Happy Spring Festival to everyone in our city';
    const w = 120;
    const plain = await lay(text, w);
    const just = await lay(text, w, { align: 'justify' });
    expect(lineTexts(just)).toEqual(lineTexts(plain));
    expect(lineTexts(just).length).toBeGreaterThan(1);
    expect(lineEnd(just, 0)).toBeCloseTo(w, 2);
    const line = lineTexts(just)[0]!.trimEnd();
    const words = [...line.matchAll(/\S+/g)].map((m) => [m.index!, m.index! + m[0].length] as const);
    expect(words.length).toBeGreaterThan(1);
    // Inside every word the letters keep their natural spacing.
    for (const [a, b] of words) {
      const dj = glyphsOf(just, a, b).map((g, k, gs) => (k ? g.x - gs[k - 1]!.x : 0));
      const dp = glyphsOf(plain, a, b).map((g, k, gs) => (k ? g.x - gs[k - 1]!.x : 0));
      expect(dj.length).toBe(b - a);
      dj.forEach((d, k) => {
        expect(d).toBeCloseTo(dp[k]!, 5);
      });
    }
    // Every word space grows by the same amount, and together they take up the slack.
    const slack = w - lineEnd(plain, 0);
    const growth = words.slice(1).map(([a]) => glyphsOf(just, a, a + 1)[0]!.x - glyphsOf(plain, a, a + 1)[0]!.x);
    growth.forEach((g, k) => {
      expect(g).toBeCloseTo(((k + 1) * slack) / (words.length - 1), 3);
    });
    // The last line keeps natural spacing.
    const n = just.lines.length - 1;
    expect(lineEnd(just, n)).toBeCloseTo(lineEnd(plain, n), 5);
  });

  it('justifies the last line too with lastLineAlign justify, or aligns it as asked', async () => {
    const j = await lay('一二三四五六七', 50, { align: 'justify', lastLineAlign: 'justify' });
    expect(lineTexts(j)).toEqual(['一二三四五', '六七']);
    expect(lineEnd(j, 1)).toBeCloseTo(50, 2);
    const r = await lay('一二三四五六七', 50, { align: 'justify', lastLineAlign: 'right' });
    expect(r.lines[1]!.carets[0]!.x).toBeCloseTo(30, 5);
    const c = await lay('一二三四五六七', 50, { align: 'justify', lastLineAlign: 'center' });
    expect(c.lines[1]!.carets[0]!.x).toBeCloseTo(15, 5);
    // A one-line paragraph is its own last line.
    const one = await lay('一二', 50, { align: 'justify' });
    expect(one.lines[0]!.carets.at(-1)!.x).toBeCloseTo(20, 5);
  });
});

describe('alignment', () => {
  it('centres and right-aligns lines', async () => {
    const c = await lay('一二', 100, { align: 'center' });
    expect(caretX(c, 0)).toBeCloseTo(40, 5);
    expect(caretX(c, 2)).toBeCloseTo(60, 5);
    const r = await lay('一二', 100, { align: 'right' });
    expect(caretX(r, 0)).toBeCloseTo(80, 5);
    expect(caretX(r, 2)).toBeCloseTo(100, 5);
  });

  it('aligns the ink, not the blank half of a line-end closing mark or trailing spaces', async () => {
    const r = await lay('一二。', 100, { align: 'right' });
    expect(caretX(r, 3)).toBeCloseTo(100, 5);
    expect(caretX(r, 0)).toBeCloseTo(75, 5);
    const latin = await lay('Hello world again', (await interWidth('Hello world')) + 5, { align: 'right' });
    expect(lineTexts(latin)[0]).toBe('Hello world ');
    expect(lineEnd(latin, 0)).toBeCloseTo((await interWidth('Hello world')) + 5, 3);
  });
});

describe('line height and paragraph spacing', () => {
  it('sets lines at font size × line height and adds paragraph spacing between paragraphs', async () => {
    const l = await lay('一二三四五六\n七八', 30, { lineHeight: 1.5, paragraphSpacing: 7 });
    expect(lineTexts(l)).toEqual(['一二三', '四五六', '七八']);
    const ys = l.lines.map((x) => x.y);
    expect(ys[1]! - ys[0]!).toBeCloseTo(15, 5);
    expect(ys[2]! - ys[1]!).toBeCloseTo(15 + 7, 5);
    for (const line of l.lines) expect(line.height).toBeCloseTo(15, 5);
    expect(l.contentHeight).toBeCloseTo(45 + 7, 5);
    // Glyph baselines follow the same pitch.
    expect(glyphsOf(l, 3, 4)[0]!.y - glyphsOf(l, 0, 1)[0]!.y).toBeCloseTo(15, 5);
  });

  it('scales the pitch with the size and line height, and gives a line with larger type a larger pitch', async () => {
    const l = await lay('一二三四', 24, { fontSize: 12, lineHeight: 2 });
    expect(l.lines).toHaveLength(2);
    expect(l.lines[1]!.y - l.lines[0]!.y).toBeCloseTo(24, 5);
    const mixed = layoutText(await bundledRegistry(), {
      runs: [{ text: '一二' }, { text: '大', size: 20 }, { text: '三四五六' }],
      style: base,
      width: 40,
      height: 400,
    });
    expect(lineTexts(mixed)).toEqual(['一二大', '三四五六']);
    expect(mixed.lines[0]!.height).toBeCloseTo(20 * base.lineHeight, 5);
    expect(mixed.lines[1]!.y).toBeCloseTo(20 * base.lineHeight, 5);
  });

  it('keeps an empty paragraph as an empty line of one pitch', async () => {
    const l = await lay('一\n\n二', 100, { paragraphSpacing: 0 });
    expect(lineTexts(l)).toEqual(['一', '', '二']);
    expect(l.lines[2]!.y).toBeCloseTo(2 * EM * base.lineHeight, 5);
  });
});
