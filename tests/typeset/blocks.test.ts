// Faces and styles per run, font fallback, bilingual blocks, fitting, and determinism.
import { describe, expect, it } from 'vitest';
import { layoutText } from '../../core/typeset';
import { bundledRegistry } from '../helpers/fonts';
import { base, EM, lay, lineTexts } from './util';

const fontOf = (l: Awaited<ReturnType<typeof lay>>, index: number) =>
  l.lines.flatMap((x) => x.runs).find((r) => r.glyphs.some((g) => g.cluster === index));

describe('faces, runs and fallback', () => {
  it('sets Latin with the Latin face and Han with the CJK face, per element choice', async () => {
    const l = await lay('中A', 200);
    expect(fontOf(l, 0)!.fontId).toBe('noto-sans-sc-400');
    expect(fontOf(l, 1)!.fontId).toBe('inter-400');
    const serif = await lay('中A', 200, { cjkFamily: 'Noto Serif SC', latinFamily: 'Source Serif 4' });
    expect(fontOf(serif, 0)!.fontId).toBe('noto-serif-sc-400');
    expect(fontOf(serif, 1)!.fontId).toBe('source-serif-4-400');
  });

  it('applies bold, colour and size per run', async () => {
    const reg = await bundledRegistry();
    const l = layoutText(reg, {
      runs: [{ text: '春节' }, { text: '快乐', bold: true, color: '#cc0000', size: 20 }, { text: 'OK', bold: true }],
      style: base,
      width: 400,
      height: 400,
    });
    expect(fontOf(l, 0)).toMatchObject({ fontId: 'noto-sans-sc-400', size: 10, color: base.color });
    expect(fontOf(l, 2)).toMatchObject({ fontId: 'noto-sans-sc-700', size: 20, color: '#cc0000' });
    expect(fontOf(l, 4)!.fontId).toBe('inter-700');
    // The line is as tall as its largest type.
    expect(l.lines[0]!.height).toBeCloseTo(20 * base.lineHeight, 5);
  });

  it('falls back to a face that has the character', async () => {
    // Inter has no ideographs; an ideograph set "as Latin" (inside Latin context) still renders.
    const l = await lay('→★', 200, { latinFamily: 'Inter' });
    for (const r of l.lines[0]!.runs) for (const g of r.glyphs) expect(g.id).toBeGreaterThan(0);
  });
});

describe('bilingual blocks', () => {
  const secondary = { runs: [{ text: 'Spring Festival' }], ratio: 0.6, gap: 4, arrangement: 'stacked' as const };

  it('stacks the English text below the Chinese with the gap, at the size ratio', async () => {
    const l = await lay('春节快乐万事如意', 50, {}, { secondary });
    const first = l.lines.filter((x) => x.block === 0);
    const second = l.lines.filter((x) => x.block === 1);
    expect(lineTexts(l, 0).join('')).toBe('春节快乐万事如意');
    expect(lineTexts(l, 1).join(' ').replace(/\s+/g, ' ').trim()).toBe('Spring Festival');
    const bottom = first.at(-1)!.y + first.at(-1)!.height;
    expect(second[0]!.y).toBeCloseTo(bottom + 4, 5);
    expect(second[0]!.runs[0]!.size).toBeCloseTo(EM * 0.6, 5);
  });

  it('sets the texts side by side when asked', async () => {
    const l = await lay('春节快乐', 200, {}, { secondary: { ...secondary, arrangement: 'side-by-side' } });
    const right = l.lines.filter((x) => x.block === 1);
    expect(right[0]!.x).toBeGreaterThanOrEqual((200 - 4) / 2);
    expect(right[0]!.y).toBe(0);
  });
});

describe('fitting', () => {
  const text = '春节期间全场商品八折优惠活动时间为二月一日至十五日详情请咨询店员';

  it('reports overflow for a fixed frame, shrinks the type to fit when asked', async () => {
    const fixed = await lay(text, 60, { fit: 'none' }, { height: 30 });
    expect(fixed.overflow).toBe(true);
    const shrunk = await lay(text, 60, { fit: 'shrink' }, { height: 30 });
    expect(shrunk.overflow).toBe(false);
    expect(shrunk.scale).toBeLessThan(1);
    expect(shrunk.contentHeight).toBeLessThanOrEqual(30);
    expect(shrunk.lines[0]!.runs[0]!.size).toBeCloseTo(EM * shrunk.scale, 5);
  });

  it('grows the frame to the text', async () => {
    const grown = await lay(text, 60, { fit: 'grow' }, { height: 5 });
    expect(grown.overflow).toBe(false);
    expect(grown.contentHeight).toBeCloseTo(grown.lines.length * EM * base.lineHeight, 5);
  });
});

describe('determinism and carets', () => {
  it('gives the same layout for the same input, and a caret at every character boundary', async () => {
    const text = '春节快乐，Happy 2026！「新年」好。';
    const a = await lay(text, 90);
    const b = await lay(text, 90);
    expect(b).toEqual(a);
    const indices = new Set(a.lines.flatMap((l) => l.carets.map((c) => c.index)));
    for (let i = 0; i <= text.length; i++) expect(indices.has(i), `caret at ${i}`).toBe(true);
    for (const l of a.lines) {
      const xs = l.carets.map((c) => c.x);
      xs.slice(1).forEach((x, k) => {
        expect(x).toBeGreaterThanOrEqual(xs[k]! - 1e-9);
      });
    }
  });
});
