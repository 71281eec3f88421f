// Line breaking: clreq line-start and line-end prohibitions per level, GB/T 15834 marks that are
// never split, numbers with their units, English words (overlong ones broken or hyphenated) and
// long URLs. Widths are whole ems of 10 pt Noto Sans SC, so exactly N Han characters fit a line.
import { describe, expect, it } from 'vitest';
import type { KinsokuLevel, TextLayout } from '../../core/typeset';
import { bundledRegistry } from '../helpers/fonts';
import { breakOffsets, EM, interWidth, lay, lineEnd, lineTexts } from './util';

const PROHIBITING: KinsokuLevel[] = ['basic', 'gb', 'strict'];
const ALL_LEVELS: KinsokuLevel[] = ['none', ...PROHIBITING];

/** Five Han characters fill the 5 em line; a naive wrap puts the character after them at a line start. */
const fiveThen = (mark: string) => `一二三四五${mark}六七八`;

describe('line-start prohibition (行首禁则)', () => {
  for (const mark of ['。', '，', '、', '？', '！', '）', '」', '』']) {
    for (const level of PROHIBITING) {
      it(`${mark} never starts a line at level ${level}: the character before it is carried down`, async () => {
        const lines = lineTexts(await lay(fiveThen(mark), 5 * EM, { kinsoku: level }));
        for (const t of lines) expect(t.startsWith(mark), JSON.stringify(lines)).toBe(false);
        expect(lines).toEqual(['一二三四', `五${mark}六七八`]);
      });
    }

    it(`${mark} starts the line in a naive wrap at level none`, async () => {
      const lines = lineTexts(await lay(fiveThen(mark), 5 * EM, { kinsoku: 'none' }));
      expect(lines).toEqual(['一二三四五', `${mark}六七八`]);
    });

    it(`${mark} is carried down at every width at level gb, never left alone at a line start`, async () => {
      const text = `春节${mark}快乐${mark}万事${mark}如意${mark}新年${mark}好`;
      for (let n = 2; n <= 9; n++) {
        const lines = lineTexts(await lay(text, n * EM, { kinsoku: 'gb' }));
        expect(lines.join('')).toBe(text);
        for (const t of lines) expect(t.startsWith(mark), `${n} em: ${JSON.stringify(lines)}`).toBe(false);
      }
    });
  }

  it('carries two closing marks down together with the character before them', async () => {
    // 。」 may not start a line, and neither may 」 alone.
    for (const level of PROHIBITING) {
      const lines = lineTexts(await lay('一二三四五。」六七', 5 * EM, { kinsoku: level }));
      expect(lines, level).toEqual(['一二三四', '五。」六七']);
    }
  });
});

describe('line-end prohibition (行尾禁则)', () => {
  for (const mark of ['（', '「', '『']) {
    // Four characters and the opening mark fill the line; the mark would end it in a naive wrap.
    const text = `一二三四${mark}五六七`;
    for (const level of PROHIBITING) {
      it(`${mark} never ends a line at level ${level}: it moves to the next line`, async () => {
        const lines = lineTexts(await lay(text, 5 * EM, { kinsoku: level }));
        for (const t of lines.slice(0, -1)) expect(t.endsWith(mark), JSON.stringify(lines)).toBe(false);
        expect(lines).toEqual(['一二三四', `${mark}五六七`]);
      });
    }

    it(`${mark} may end a line at level none`, async () => {
      const lines = lineTexts(await lay(text, 5 * EM, { kinsoku: 'none' }));
      expect(lines).toEqual([`一二三四${mark}`, '五六七']);
    });

    it(`${mark} never ends a line at any width at level strict`, async () => {
      const t = `他说${mark}好${mark}新年${mark}快乐${mark}万事如意`;
      for (let n = 2; n <= 9; n++) {
        const lines = lineTexts(await lay(t, n * EM, { kinsoku: 'strict' }));
        expect(lines.join('')).toBe(t);
        for (const s of lines.slice(0, -1)) expect(s.endsWith(mark), `${n} em: ${JSON.stringify(lines)}`).toBe(false);
      }
    });
  }
});

describe('GB/T 15834 marks and the gb and strict levels', () => {
  const unsplit = (l: TextLayout, mark: string) => {
    const text = l.texts[0];
    for (const at of breakOffsets(l)) {
      expect(text[at - 1] === mark && text[at] === mark, `split ${mark}${mark} at ${at}: ${JSON.stringify(lineTexts(l))}`).toBe(false);
    }
  };

  for (const pair of ['——', '……']) {
    for (const level of ['basic', 'gb', 'strict'] as const) {
      it(`never splits ${pair} across lines at level ${level}, at any width`, async () => {
        const text = `他说${pair}我们走吧${pair}好的${pair}再见`;
        // From 3 em up, so that a character and the pair always fit one line.
        for (let n = 3; n <= 10; n++) {
          const l = await lay(text, n * EM, { kinsoku: level });
          expect(lineTexts(l).join('')).toBe(text);
          unsplit(l, pair[0]!);
        }
        // Where the pair meets the end of a line exactly, it moves down whole.
        const edge = await lay(`一二三四${pair}五`, 5 * EM, { kinsoku: level });
        unsplit(edge, pair[0]!);
      });
    }
  }

  for (const [ch, name] of [
    ['·', 'the interpunct ·'],
    ['々', 'the iteration mark 々'],
  ] as const) {
    for (const level of ['gb', 'strict'] as const) {
      it(`keeps ${name} off the line start at level ${level}`, async () => {
        const lines = lineTexts(await lay(fiveThen(ch), 5 * EM, { kinsoku: level }));
        expect(lines).toEqual(['一二三四', `五${ch}六七八`]);
      });
    }
    it(`lets ${name} start a line at level none`, async () => {
      expect(lineTexts(await lay(fiveThen(ch), 5 * EM, { kinsoku: 'none' }))).toEqual(['一二三四五', `${ch}六七八`]);
    });
  }

  it('lets the interpunct · start a line at level basic', async () => {
    expect(lineTexts(await lay(fiveThen('·'), 5 * EM, { kinsoku: 'basic' }))).toEqual(['一二三四五', '·六七八']);
  });

  for (const ch of ['ぁ', 'ッ', 'ー']) {
    it(`keeps ${ch} off the line start at level strict, not at gb`, async () => {
      expect(lineTexts(await lay(fiveThen(ch), 5 * EM, { kinsoku: 'strict' }))).toEqual(['一二三四', `五${ch}六七八`]);
      expect(lineTexts(await lay(fiveThen(ch), 5 * EM, { kinsoku: 'gb' }))).toEqual(['一二三四五', `${ch}六七八`]);
    });
  }
});

describe('numbers with their units', () => {
  const groupsIn = (text: string, re: RegExp) => [...text.matchAll(re)].map((m) => [m.index!, m.index! + m[0].length] as const);

  it('keeps 100元, 30%, 5 kg and 25℃ together at every width and level', async () => {
    const text = '今天价格100元，折扣30%，重量5 kg，温度25℃，共2026年。';
    const groups = groupsIn(text, /\d+ ?(元|%|kg|℃|年)/g);
    expect(groups).toHaveLength(5);
    let breaksSeen = 0;
    for (const level of ALL_LEVELS) {
      // From 4 em up, so that "2026年" always fits one line.
      for (let n = 4; n <= 16; n++) {
        const l = await lay(text, n * EM, { kinsoku: level });
        expect(lineTexts(l).join('')).toBe(text);
        for (const at of breakOffsets(l)) {
          breaksSeen++;
          for (const [a, b] of groups) expect(at > a && at < b, `${level} ${n} em: ${JSON.stringify(lineTexts(l))}`).toBe(false);
        }
      }
    }
    expect(breaksSeen).toBeGreaterThan(80);
  });

  it('keeps "5 kg" together where only the unit would overflow', async () => {
    // "重量5 " fits, "kg" would not: the number goes down with its unit.
    const w = 2 * EM + (await interWidth('5 kg')) - 1;
    const lines = lineTexts(await lay('重量5 kg', w));
    expect(lines).toEqual(['重量', '5 kg']);
  });

  it('keeps "100 元" (a space between number and Han unit) together', async () => {
    // chars.ts promises units stay with their number, "100 元" included.
    const w = 5 * EM + (await interWidth('100 ')) + 1;
    const l = await lay('价格是一百100 元', w);
    const lines = lineTexts(l);
    expect(lines.join('')).toBe('价格是一百100 元');
    expect(lines.at(-1), JSON.stringify(lines)).not.toBe('元');
    expect(lines).toEqual(['价格是一百', '100 元']);
  });
});

describe('English words inside Chinese text', () => {
  const text = '欢迎光临Welcome to our Spring Festival celebration活动现场';
  const words = ['Welcome', 'to', 'our', 'Spring', 'Festival', 'celebration'];

  it('never breaks a word that fits the line', async () => {
    const longest = Math.max(...(await Promise.all(words.map((w) => interWidth(w)))));
    let breaks = 0;
    for (let w = Math.ceil(longest) + 1; w <= 220; w += 3) {
      const l = await lay(text, w);
      for (const at of breakOffsets(l)) {
        breaks++;
        const pair = text.slice(at - 1, at + 1);
        expect(/^[A-Za-z]{2}$/.test(pair), `${w}: ${JSON.stringify(lineTexts(l))}`).toBe(false);
      }
      for (let i = 0; i < l.lines.length; i++) expect(lineEnd(l, i)).toBeLessThanOrEqual(w + 1e-6);
    }
    expect(breaks).toBeGreaterThan(100);
  });

  it('breaks a word only when it alone is wider than the line', async () => {
    const celebration = await interWidth('celebration');
    const w = Math.floor(celebration) - 2;
    const l = await lay(text, w);
    const lines = lineTexts(l);
    expect(lines.join('')).toBe(text);
    // celebration is split; every other word stays whole.
    const at = text.indexOf('celebration');
    const inside = breakOffsets(l).filter((b) => /[A-Za-z]/.test(text[b - 1]!) && /[A-Za-z]/.test(text[b]!));
    expect(inside.length).toBeGreaterThan(0);
    for (const b of inside) expect(b > at && b < at + 'celebration'.length, `${b}: ${JSON.stringify(lines)}`).toBe(true);
  });

  const word = 'Supercalifragilisticexpialidocious';

  it("breaks an overlong word anywhere with overlongWords 'break', inside the line, without a hyphen", async () => {
    const hyphen = (await bundledRegistry()).get('inter-400')!.glyphFor(0x2d);
    for (let w = 30; w <= 90; w += 4) {
      const l = await lay(word, w, { overlongWords: 'break' });
      expect(l.lines.length).toBeGreaterThan(1);
      expect(lineTexts(l).join('')).toBe(word);
      l.lines.forEach((line, i) => {
        expect(lineEnd(l, i), `${w}: line ${i}`).toBeLessThanOrEqual(w + 1e-6);
        expect(line.runs.flatMap((r) => r.glyphs).length).toBe(line.end - line.start);
        expect(line.runs.at(-1)!.glyphs.at(-1)!.id).not.toBe(hyphen);
      });
    }
  });

  it("ends each part of an overlong word with Inter's hyphen glyph with overlongWords 'hyphenate'", async () => {
    const inter = (await bundledRegistry()).get('inter-400')!;
    const hyphen = inter.glyphFor(0x2d)!;
    expect(hyphen).toBeGreaterThan(0);
    const l = await lay(word, 60, { overlongWords: 'hyphenate' });
    const lines = lineTexts(l);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join('')).toBe(word); // the hyphen is drawn, not part of the text
    l.lines.forEach((line, i) => {
      const glyphs = line.runs.flatMap((r) => r.glyphs);
      const last = i === l.lines.length - 1;
      // One extra glyph on every line but the last: the hyphen, after the line's letters.
      expect(glyphs.length).toBe(line.end - line.start + (last ? 0 : 1));
      if (!last) {
        expect(glyphs.at(-1)!.id).toBe(hyphen);
        expect(line.runs.at(-1)!.fontId).toBe('inter-400');
        expect(glyphs.at(-1)!.x).toBeGreaterThanOrEqual(glyphs.at(-2)!.x);
      }
    });
  });

  it('keeps a hyphenated line, hyphen included, inside the width', async () => {
    // The hyphen (0.46 em in Inter) replaces the last letter that fitted; after a narrow letter
    // such as i or l it must not stick out past the line end.
    const inter = (await bundledRegistry()).get('inter-400')!;
    const hyphen = inter.glyphFor(0x2d)!;
    const hyphenAdvance = (inter.glyphAdvance(hyphen) * EM) / inter.upem;
    const over: string[] = [];
    for (const w of [30, 35, 38, 42, 46, 52, 66]) {
      for (const text of [word, 'Illinoisillinoisillinois']) {
        const l = await lay(text, w, { overlongWords: 'hyphenate' });
        l.lines.forEach((line, i) => {
          const h = line.runs.flatMap((r) => r.glyphs).at(-1)!;
          if (h.id !== hyphen) return;
          const right = h.x - line.x + hyphenAdvance;
          if (right > w + 0.01) over.push(`${text} @${w}pt line ${i} "${lineTexts(l)[i]}-" ends at ${right.toFixed(2)}`);
        });
      }
    }
    expect(over).toEqual([]);
  });
});

describe('long URLs', () => {
  const url = 'https://example.com/a/very/long/path/to/a/page.html';

  it('wraps a URL only after its slashes when every piece fits, and keeps every line inside the column', async () => {
    // The widest piece between break opportunities is "example.com/".
    const widest = await interWidth('example.com/');
    for (const w of [Math.ceil(widest) + 1, 80, 100, 120]) {
      const l = await lay(`详情请访问${url}查看`, w);
      const text = l.texts[0];
      expect(lineTexts(l).join('')).toBe(text);
      for (let i = 0; i < l.lines.length; i++) {
        const line = l.lines[i]!;
        expect(line.carets.at(-1)!.x - line.x, `${w}: ${JSON.stringify(lineTexts(l))}`).toBeLessThanOrEqual(w + 1e-6);
      }
      const inUrl = breakOffsets(l).filter((b) => b > 5 && b < 5 + url.length);
      expect(inUrl.length).toBeGreaterThan(0);
      for (const b of inUrl) expect(text[b - 1], `${w}: ${JSON.stringify(lineTexts(l))}`).toBe('/');
    }
  });

  it('force-breaks a URL piece wider than the column but still keeps every line inside it', async () => {
    const l = await lay(url, 40);
    expect(lineTexts(l).join('')).toBe(url);
    for (const line of l.lines) expect(line.carets.at(-1)!.x - line.x).toBeLessThanOrEqual(40 + 1e-6);
  });
});
