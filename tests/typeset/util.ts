// Shared helpers for the typesetting tests: lay out with the bundled fonts, read line texts,
// caret positions and glyphs.
import {
  DEFAULT_TEXT_STYLE,
  type LayoutInput,
  layoutText,
  type PositionedGlyph,
  type TextLayout,
  type TextStyle,
} from '../../core/typeset';
import { bundledRegistry } from '../helpers/fonts';

/** 10 pt Noto Sans SC: every Han character (and full-width mark) is exactly 10 pt wide. */
export const EM = 10;
export const base: TextStyle = { ...DEFAULT_TEXT_STYLE, fontSize: EM, hanLatinSpacing: false, lineHeight: 1.5 };

export async function lay(
  text: string,
  width: number,
  style: Partial<TextStyle> = {},
  extra: Partial<LayoutInput> = {},
): Promise<TextLayout> {
  return layoutText(await bundledRegistry(), { runs: [{ text }], style: { ...base, ...style }, width, height: 10_000, ...extra });
}

export const lineTexts = (l: TextLayout, block: 0 | 1 = 0): string[] =>
  l.lines.filter((x) => x.block === block).map((x) => l.texts[block].slice(x.start, x.end));

/** Where the ink of a line ends along it (relative to the line box): the caret after its last non-space character. */
export const lineEnd = (l: TextLayout, i: number): number => {
  const line = l.lines[i]!;
  const text = l.texts[line.block].slice(line.start, line.end);
  const inkEnd = line.start + text.trimEnd().length;
  const stop = line.carets.find((c) => c.index === inkEnd) ?? line.carets[line.carets.length - 1]!;
  return stop.x - line.x;
};

/** x of the caret at a text offset of block 0 (the first line that has it). */
export const caretX = (l: TextLayout, index: number): number => {
  for (const line of l.lines) for (const c of line.carets) if (line.block === 0 && c.index === index) return c.x;
  throw new Error(`no caret at ${index}`);
};

/** All glyphs of block 0 whose cluster lies in [from, to), in line order. */
export const glyphsOf = (l: TextLayout, from: number, to: number): PositionedGlyph[] =>
  l.lines
    .filter((line) => line.block === 0)
    .flatMap((line) => line.runs.flatMap((r) => r.glyphs.filter((g) => g.cluster >= from && g.cluster < to)));

/** The run that draws the character at `index` of block 0. */
export const runOf = (l: TextLayout, index: number) =>
  l.lines
    .filter((x) => x.block === 0)
    .flatMap((x) => x.runs)
    .find((r) => r.glyphs.some((g) => g.cluster === index));

/** Natural advance of a Latin string in Inter at `size` (kerning on), points. */
export async function interWidth(s: string, size = EM, id = 'inter-400'): Promise<number> {
  const face = (await bundledRegistry()).get(id)!;
  return (face.shape(s, 'ltr').reduce((a, g) => a + g.xAdvance, 0) * size) / face.upem;
}

/** The text offsets at which lines after the first begin (one per break). */
export const breakOffsets = (l: TextLayout, block: 0 | 1 = 0): number[] =>
  l.lines
    .filter((x) => x.block === block)
    .slice(1)
    .map((x) => x.start);
