// Stage 1 and 2 of layout: split a paragraph into units (one per character cluster), choose
// the face for each character (Latin face for Latin, CJK face for Han, fallback when a face
// lacks the glyph), decide orientation in vertical text, and shape with HarfBuzz.
import { isAmbiguous, isCjk, isDigit, isHan, isLatinLetterOrDigit, isSpace, type PunctKind, punctKind } from './chars';
import type { FontFace, FontRegistry, ShapedGlyph } from './font';
import type { TextRun, TextStyle } from './types';

/** How a unit sits in a vertical column. */
export type Orientation = 'horizontal' | 'upright' | 'rotated' | 'tcy';

export interface UnitGlyph {
  id: number;
  /** Offset of the glyph origin from the unit's pen position: along the line, across it. */
  along: number;
  across: number;
  cluster: number;
}

export interface Unit {
  start: number;
  end: number;
  cp: number;
  face: FontFace;
  size: number;
  color: string;
  orientation: Orientation;
  glyphs: UnitGlyph[];
  /** Natural advance along the line, points. */
  advance: number;
  /** Width across a vertical column (tate-chu-yoko, rotated runs), points. */
  cross: number;
  cjk: boolean;
  han: boolean;
  latin: boolean;
  space: boolean;
  punct: PunctKind;
  /** Filled by spacing: blank removed before/after the ink, space added after. */
  trimBefore: number;
  trimAfter: number;
  spaceAfter: number;
}

export interface ParagraphUnits {
  text: string;
  units: Unit[];
}

interface CharInfo {
  index: number;
  cp: number;
  run: TextRun;
}

/** A paragraph: its runs (split at line feeds) and its offset in the block's text. */
export interface ParagraphSource {
  offset: number;
  text: string;
  runs: TextRun[];
}

/** Splits a block's runs into paragraphs at line feeds without touching single characters. */
export function paragraphs(runs: readonly TextRun[]): { text: string; paras: ParagraphSource[] } {
  const paras: ParagraphSource[] = [{ offset: 0, text: '', runs: [] }];
  let offset = 0;
  for (const run of runs) {
    const pieces = run.text.split('\n');
    pieces.forEach((piece, k) => {
      if (k > 0) {
        offset += 1;
        paras.push({ offset, text: '', runs: [] });
      }
      const para = paras[paras.length - 1] as ParagraphSource;
      if (piece) {
        para.runs.push({ ...run, text: piece });
        para.text += piece;
      }
      offset += piece.length;
    });
  }
  return { text: runs.map((r) => r.text).join(''), paras };
}

/** A key that is equal for paragraphs that shape identically (text and run styles). */
export function paragraphKey(p: ParagraphSource): string {
  let key = p.text;
  for (const r of p.runs) key += `\u0000${r.text.length}/${r.bold ? 1 : 0}/${r.color ?? ''}/${r.size ?? ''}`;
  return key;
}

function charsOf(p: ParagraphSource): CharInfo[] {
  const chars: CharInfo[] = [];
  let index = p.offset;
  for (const run of p.runs) {
    for (const ch of run.text) {
      chars.push({ index, cp: ch.codePointAt(0) as number, run });
      index += ch.length;
    }
  }
  return chars;
}

interface FaceChoice {
  latin: (bold: boolean) => FontFace;
  cjk: (bold: boolean) => FontFace;
}

export function faceChooser(registry: FontRegistry, style: TextStyle): FaceChoice {
  const cache = new Map<string, FontFace>();
  const get = (family: string, bold: boolean, script: 'latin' | 'cjk') => {
    const key = `${family}:${bold}:${script}`;
    let f = cache.get(key);
    if (!f) {
      f = registry.pick(family, bold ? 700 : 400, script) ?? registry.list()[0];
      if (!f) throw new Error('No fonts are loaded.');
      cache.set(key, f);
    }
    return f;
  };
  return { latin: (b) => get(style.latinFamily, b, 'latin'), cjk: (b) => get(style.cjkFamily, b, 'cjk') };
}

/** Whether each character is set as CJK: Han and full-width forms, and ambiguous marks beside them. */
function cjkFlags(chars: CharInfo[]): boolean[] {
  const flags = chars.map((c) => isCjk(c.cp));
  for (let i = 0; i < chars.length; i++) {
    if (!isAmbiguous((chars[i] as CharInfo).cp)) continue;
    const prev = chars[i - 1];
    const next = chars[i + 1];
    flags[i] = Boolean((prev && isCjk(prev.cp)) || (next && isCjk(next.cp)) || (!prev && !next));
  }
  return flags;
}

function orientations(chars: CharInfo[], cjk: boolean[], vertical: boolean): Orientation[] {
  const out: Orientation[] = chars.map((_, i) => (!vertical ? 'horizontal' : cjk[i] ? 'upright' : 'rotated'));
  if (!vertical) return out;
  // Latin words: 2-3 digit numbers set across the column, single letters upright, others rotated.
  let i = 0;
  while (i < chars.length) {
    if (cjk[i] || isSpace((chars[i] as CharInfo).cp)) {
      i++;
      continue;
    }
    let j = i;
    while (j < chars.length && !cjk[j] && !isSpace((chars[j] as CharInfo).cp)) j++;
    const word = chars.slice(i, j);
    if (word.length >= 2 && word.length <= 3 && word.every((c) => isDigit(c.cp))) for (let k = i; k < j; k++) out[k] = 'tcy';
    else if (word.length === 1 && isLatinLetterOrDigit((word[0] as CharInfo).cp)) out[i] = 'upright';
    i = j;
  }
  return out;
}

/** Shapes one paragraph into units. */
export function shapeParagraph(para: ParagraphSource, style: TextStyle, faces: FaceChoice, sizeScale: number, baseSize: number): Unit[] {
  const chars = charsOf(para);
  if (chars.length === 0) return [];
  const cjk = cjkFlags(chars);
  const orient = orientations(chars, cjk, style.vertical);
  const faceOf = chars.map((c, i) => {
    const bold = Boolean(c.run.bold);
    const preferred = cjk[i] ? faces.cjk(bold) : faces.latin(bold);
    if (preferred.has(c.cp) || isSpace(c.cp)) return preferred;
    const other = cjk[i] ? faces.latin(bold) : faces.cjk(bold);
    return other.has(c.cp) ? other : preferred;
  });
  const sizeOf = (c: CharInfo) => (c.run.size ?? baseSize) * sizeScale;

  const units: Unit[] = [];
  // Items: maximal spans sharing face, size, colour and orientation; a tate-chu-yoko number
  // is one item of its own.
  let i = 0;
  while (i < chars.length) {
    const c0 = chars[i] as CharInfo;
    let j = i + 1;
    while (
      j < chars.length &&
      faceOf[j] === faceOf[i] &&
      sizeOf(chars[j] as CharInfo) === sizeOf(c0) &&
      (chars[j] as CharInfo).run.color === c0.run.color &&
      orient[j] === orient[i] &&
      !(orient[i] === 'tcy' && isSpace((chars[j] as CharInfo).cp)) &&
      !(orient[i] === 'upright' && !cjk[i])
    ) {
      j++;
    }
    units.push(
      ...shapeItem(
        chars.slice(i, j),
        faceOf[i] as FontFace,
        sizeOf(c0),
        c0.run.color ?? style.color,
        orient[i] as Orientation,
        cjk.slice(i, j),
        para.offset,
      ),
    );
    i = j;
  }
  return units;
}

/**
 * Shapes text in pieces that do not interact: each CJK character alone (CJK faces have no
 * contextual shaping across ideographs) and Latin text word by word (split after spaces), with
 * every piece cached on the face. Clusters stay offsets into the whole text.
 */
function shapeBySegments(face: FontFace, text: string, direction: 'ltr' | 'ttb'): ShapedGlyph[] {
  const out: ShapedGlyph[] = [];
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i) as number;
    let j = i + (cp > 0xffff ? 2 : 1);
    if (!isCjk(cp)) {
      while (j < text.length) {
        const next = text.codePointAt(j) as number;
        if (isCjk(next) || isSpace(text.codePointAt(j - 1) as number)) break;
        j += next > 0xffff ? 2 : 1;
      }
    }
    for (const g of face.shapeCached(text.slice(i, j), direction)) out.push({ ...g, cluster: g.cluster + i });
    i = j;
  }
  return out;
}

function shapeItem(
  chars: CharInfo[],
  face: FontFace,
  size: number,
  color: string,
  orientation: Orientation,
  cjk: boolean[],
  offset: number,
): Unit[] {
  const text = chars.map((c) => String.fromCodePoint(c.cp)).join('');
  const base = chars[0]?.index ?? 0;
  const scale = size / face.upem;
  const glyphs = shapeBySegments(face, text, orientation === 'upright' && cjk[0] ? 'ttb' : 'ltr');
  const make = (ci: number, endIndex: number): Unit => {
    const c = chars[ci] as CharInfo;
    return {
      start: c.index - offset,
      end: endIndex - offset,
      cp: c.cp,
      face,
      size,
      color,
      orientation,
      glyphs: [],
      advance: 0,
      cross: size,
      cjk: Boolean(cjk[ci]),
      han: isHan(c.cp),
      latin: isLatinLetterOrDigit(c.cp),
      space: isSpace(c.cp),
      punct: punctKind(c.cp),
      trimBefore: 0,
      trimAfter: 0,
      spaceAfter: 0,
    };
  };

  if (orientation === 'tcy' || (orientation === 'upright' && !cjk[0])) {
    // The whole item sits across the column in one em of column length.
    const last = chars[chars.length - 1] as CharInfo;
    const u = make(0, last.index + String.fromCodePoint(last.cp).length);
    let pen = 0;
    for (const g of glyphs) {
      u.glyphs.push({ id: g.id, along: 0, across: pen + g.xOffset * scale, cluster: base + g.cluster - offset });
      pen += g.xAdvance * scale;
    }
    u.cross = pen;
    u.advance = size;
    return [u];
  }

  // Map HarfBuzz clusters (UTF-16 offsets within the item) to characters.
  const charAt = new Map<number, number>();
  let off = 0;
  chars.forEach((c, k) => {
    charAt.set(off, k);
    off += String.fromCodePoint(c.cp).length;
  });
  const units: Unit[] = [];
  let current: Unit | null = null;
  let currentCluster = -1;
  for (const g of glyphs) {
    if (g.cluster !== currentCluster) {
      const k = charAt.get(g.cluster) ?? 0;
      current = make(k, 0);
      units.push(current);
      currentCluster = g.cluster;
    }
    const u = current as Unit;
    if (orientation === 'upright') {
      // Vertical alternates from the 'vert' feature; the glyph is centred across the column.
      const adv = -g.yAdvance * scale;
      const hAdv = u.face.glyphAdvance(g.id) * scale;
      u.glyphs.push({ id: g.id, along: u.advance, across: -hAdv / 2, cluster: base + g.cluster - offset });
      u.advance += adv;
      u.cross = Math.max(u.cross, hAdv);
    } else {
      u.glyphs.push({ id: g.id, along: u.advance + g.xOffset * scale, across: -g.yOffset * scale, cluster: base + g.cluster - offset });
      u.advance += g.xAdvance * scale;
    }
  }
  // Each unit ends where the next begins.
  for (let k = 0; k < units.length; k++) {
    const next = units[k + 1];
    const lastChar = chars[chars.length - 1] as CharInfo;
    (units[k] as Unit).end = next ? next.start : lastChar.index + String.fromCodePoint(lastChar.cp).length - offset;
  }
  return units;
}
