// Shared helpers for the typesetting tests: lay out with the bundled fonts, read line texts.
import { DEFAULT_TEXT_STYLE, type LayoutInput, layoutText, type TextLayout, type TextStyle } from '../../core/typeset';
import { bundledRegistry } from '../helpers/fonts';

/** 10 pt Noto Sans SC: every Han character is exactly 10 pt wide. */
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

/** Where the ink of a line ends along it: the caret after its last non-space character. */
export const lineEnd = (l: TextLayout, i: number): number => {
  const line = l.lines[i]!;
  const text = l.texts[line.block].slice(line.start, line.end);
  const inkEnd = line.start + text.trimEnd().length;
  const stop = line.carets.find((c) => c.index === inkEnd) ?? line.carets[line.carets.length - 1]!;
  return stop.x - line.x;
};

export const caretX = (l: TextLayout, index: number): number => {
  for (const line of l.lines) for (const c of line.carets) if (c.index === index) return c.x;
  throw new Error(`no caret at ${index}`);
};
