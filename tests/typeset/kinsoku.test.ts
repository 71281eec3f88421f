// Line breaking: clreq line-start and line-end prohibitions per level, GB/T 15834 marks that are
// never split, numbers with their units, English words and long URLs.
import { describe, expect, it } from 'vitest';
import { breakOpportunities } from '../../core/typeset/breaks';
import { bundledRegistry } from '../helpers/fonts';
import { EM, lay, lineEnd, lineTexts } from './util';

const STRICT_LEVELS = ['basic', 'gb', 'strict'] as const;

describe('line-start prohibition (行首禁则)', () => {
  // Five Han characters fill a 50 pt line; the mark would start the next line in a naive wrap.
  for (const mark of ['。', '，', '、', '？', '！', '）', '」', '』']) {
    for (const level of STRICT_LEVELS) {
      it(`${mark} never starts a line at level ${level}`, async () => {
        const l = await lay(`一二三四五${mark}六七八`, 5 * EM, { kinsoku: level });
        const lines = lineTexts(l);
        expect(lines.join('')).toBe(`一二三四五${mark}六七八`);
        for (const t of lines) expect(t.startsWith(mark), `${JSON.stringify(lines)}`).toBe(false);
        // The previous character is carried down with it (or the mark squeezes onto the line).
        expect(lines[0]!.length).toBeLessThanOrEqual(6);
      });
    }
    it(`${mark} may start a line at level none`, async () => {
      const lines = lineTexts(await lay(`一二三四五${mark}六七八`, 5 * EM, { kinsoku: 'none', compressPunctuation: false }));
      expect(lines[1]!.startsWith(mark)).toBe(true);
    });
  }
});

describe('line-end prohibition (行尾禁则)', () => {
  for (const mark of ['（', '「', '『']) {
    for (const level of STRICT_LEVELS) {
      it(`${mark} never ends a line at level ${level}`, async () => {
        const lines = lineTexts(await lay(`一二三四${mark}五六七八`, 5 * EM, { kinsoku: level, compressPunctuation: false }));
        for (const t of lines.slice(0, -1)) expect(t.endsWith(mark), JSON.stringify(lines)).toBe(false);
        expect(lines[1]!.startsWith(mark)).toBe(true);
      });
    }
    it(`${mark} may end a line at level none`, async () => {
      const lines = lineTexts(await lay(`一二三四${mark}五六七八`, 5 * EM, { kinsoku: 'none', compressPunctuation: false }));
      expect(lines[0]!.endsWith(mark)).toBe(true);
    });
  }
});

describe('GB/T 15834 and strict levels', () => {
  it('never splits —— or …… across lines, at any width', async () => {
    for (const pair of ['——', '……']) {
      for (let w = 3; w <= 9; w++) {
        const l = await lay(`他说${pair}我们走吧${pair}好`, w * EM, { kinsoku: 'gb' });
        const lines = lineTexts(l);
        for (const t of lines) {
          expect(t.startsWith(pair[0]!), `${w}: ${JSON.stringify(lines)}`).toBe(false);
          expect(t.endsWith(pair[0]!) && !t.endsWith(pair), `${w}: ${JSON.stringify(lines)}`).toBe(false);
        }
      }
    }
  });

  it('keeps the interpunct · off the line start at gb and strict, not at basic', () => {
    const text = '一二三四五·六';
    const at = text.indexOf('·');
    expect(breakOpportunities(text, 'basic')[at]).toBe(true);
    expect(breakOpportunities(text, 'gb')[at]).toBe(false);
    expect(breakOpportunities(text, 'strict')[at]).toBe(false);
  });

  it('keeps small kana and the prolonged sound mark off the line start only at strict', () => {
    for (const ch of ['ッ', 'ー', 'ぁ']) {
      const text = `一二三${ch}四`;
      expect(breakOpportunities(text, 'strict')[3], ch).toBe(false);
      expect(breakOpportunities(text, 'gb')[3], ch).toBe(true);
    }
  });
});

describe('numbers, units, English words and URLs', () => {
  it('keeps numbers with their units at every width', async () => {
    const text = '今天价格100元，折扣30%，重量5 kg，温度25℃。';
    const groups = [...text.matchAll(/\d+ ?(元|%|kg|℃)/g)].map((m) => [m.index!, m.index! + m[0].length] as const);
    let splitsSeen = 0;
    for (let w = 3; w <= 16; w++) {
      const l = await lay(text, w * EM);
      for (const line of l.lines.slice(1)) {
        splitsSeen++;
        for (const [a, b] of groups) expect(line.start > a && line.start < b, `${w}: ${JSON.stringify(lineTexts(l))}`).toBe(false);
      }
    }
    expect(splitsSeen).toBeGreaterThan(20);
  });

  it('breaks English words only between words unless a word is wider than the line', async () => {
    const text = '欢迎光临Welcome to our Spring Festival celebration活动现场';
    const reg = await bundledRegistry();
    const inter = reg.get('inter-400')!;
    const wordWidth = (w: string) => (inter.shape(w, 'ltr').reduce((a, g) => a + g.xAdvance, 0) * EM) / inter.upem;
    const longest = Math.max(...['Welcome', 'Spring', 'Festival', 'celebration'].map(wordWidth));
    for (let w = Math.ceil(longest) + 1; w <= 200; w += 7) {
      const lines = lineTexts(await lay(text, w));
      for (let i = 1; i < lines.length; i++) {
        const a = lines[i - 1]!.slice(-1);
        const b = lines[i]![0]!;
        expect(/[A-Za-z]/.test(a) && /[A-Za-z]/.test(b), `${w}: ${JSON.stringify(lines)}`).toBe(false);
      }
    }
  });

  it('breaks a word longer than the line, with a hyphen when asked', async () => {
    const word = 'Supercalifragilisticexpialidocious';
    const broken = await lay(word, 60, { overlongWords: 'break' });
    expect(broken.lines.length).toBeGreaterThan(1);
    expect(lineTexts(broken).join('')).toBe(word);
    for (let i = 0; i < broken.lines.length; i++) expect(lineEnd(broken, i)).toBeLessThanOrEqual(60.01);
    const hyphenated = await lay(word, 60, { overlongWords: 'hyphenate' });
    const reg = await bundledRegistry();
    const hyphen = reg.get('inter-400')!.glyphFor(0x2d);
    const first = hyphenated.lines[0]!;
    const lastGlyph = first.runs[first.runs.length - 1]!.glyphs.at(-1)!;
    expect(lastGlyph.id).toBe(hyphen);
    const plain = broken.lines[0]!;
    expect(plain.runs[plain.runs.length - 1]!.glyphs.at(-1)!.id).not.toBe(hyphen);
  });

  it('wraps a long URL inside the column, only at URL punctuation', async () => {
    const url = 'https://example.com/a/very/long/path/to/a/page.html';
    const l = await lay(`详情请访问${url}查看`, 120);
    const lines = lineTexts(l);
    expect(lines.join('')).toBe(`详情请访问${url}查看`);
    for (let i = 0; i < l.lines.length; i++) expect(lineEnd(l, i)).toBeLessThanOrEqual(120.01);
    for (let i = 1; i < lines.length; i++) {
      const end = lines[i - 1]!.slice(-1);
      const start = lines[i]![0]!;
      if (/[a-z]/.test(end) && /[a-z]/.test(start)) throw new Error(`URL broken inside a word: ${JSON.stringify(lines)}`);
    }
  });
});
