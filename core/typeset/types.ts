// Typesetting data: the style of a text frame, its styled runs, and the layout result that
// every renderer (canvas, PDF, SVG, PNG) draws. Lengths are points (1/72 in) relative to the
// frame's top-left corner; y grows downwards.

/** Line-start/line-end prohibition (kinsoku) strictness, after W3C clreq §3.1.7. */
export type KinsokuLevel = 'none' | 'basic' | 'gb' | 'strict';
export type TextAlign = 'left' | 'center' | 'right' | 'justify';

export interface TextStyle {
  /** Family names of the faces used for Latin and for CJK characters. */
  latinFamily: string;
  cjkFamily: string;
  fontSize: number;
  color: string;
  /** Line pitch as a multiple of the font size. */
  lineHeight: number;
  /** Extra space after every character, in 1/1000 em. */
  tracking: number;
  paragraphSpacing: number;
  align: TextAlign;
  /** Alignment of a paragraph's last line when `align` is justify. */
  lastLineAlign: Exclude<TextAlign, 'justify'> | 'justify';
  vertical: boolean;
  kinsoku: KinsokuLevel;
  /** GB/T 15834-style compression of full-width punctuation. */
  compressPunctuation: boolean;
  /** 1/4 em between Han and Latin letters or digits. */
  hanLatinSpacing: boolean;
  /** A word wider than the line is broken, with a hyphen or without. */
  overlongWords: 'break' | 'hyphenate';
  /** shrink: scale the type down until the text fits the frame; grow: the frame follows the text. */
  fit: 'none' | 'shrink' | 'grow';
}

export interface TextRun {
  text: string;
  bold?: boolean;
  color?: string;
  /** Size in points; absent means the frame's size (times the block's ratio). */
  size?: number;
}

export interface BilingualOptions {
  runs: TextRun[];
  /** Size of the second text relative to the first. */
  ratio: number;
  /** Space between the two texts, in points. */
  gap: number;
  arrangement: 'stacked' | 'side-by-side';
}

export interface LayoutInput {
  runs: TextRun[];
  style: TextStyle;
  /** Frame size in points. */
  width: number;
  height: number;
  secondary?: BilingualOptions | null;
}

export interface PositionedGlyph {
  id: number;
  /** Pen position of the glyph's origin (baseline), frame points. */
  x: number;
  y: number;
  /** 90: drawn rotated a quarter turn clockwise about (x, y), for Latin in vertical text. */
  rotate?: 90;
  /** Horizontal squeeze (tate-chu-yoko wider than the column). */
  scaleX?: number;
  /** Index into the block's text of the first character this glyph renders. */
  cluster: number;
}

export interface GlyphRun {
  fontId: string;
  size: number;
  color: string;
  glyphs: PositionedGlyph[];
  /** Text range (UTF-16 offsets in the block's text) the run covers. */
  start: number;
  end: number;
}

export interface LayoutLine {
  block: 0 | 1;
  start: number;
  end: number;
  /** Box of the line (a column in vertical text). */
  x: number;
  y: number;
  width: number;
  height: number;
  runs: GlyphRun[];
  /** Caret stops: text offset and its position on the line's axis. */
  carets: { index: number; x: number; y: number }[];
}

export interface TextLayout {
  lines: LayoutLine[];
  /** Extent of the set text. */
  contentWidth: number;
  contentHeight: number;
  /** True when the text does not fit the frame (fit none) or could not be shrunk enough. */
  overflow: boolean;
  /** Scale applied by fit: shrink (1 when none). */
  scale: number;
  /** Plain text of each block, which runs' ranges index into. */
  texts: [string, string];
}

export const DEFAULT_TEXT_STYLE: TextStyle = {
  latinFamily: 'Inter',
  cjkFamily: 'Noto Sans SC',
  fontSize: 36,
  color: '#1a1a1a',
  lineHeight: 1.4,
  tracking: 0,
  paragraphSpacing: 0,
  align: 'left',
  lastLineAlign: 'left',
  vertical: false,
  kinsoku: 'gb',
  compressPunctuation: true,
  hanLatinSpacing: true,
  overlongWords: 'break',
  fit: 'none',
};
