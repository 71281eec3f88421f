// Spacing between units, before line breaking: punctuation compression of adjacent full-width
// marks (GB/T 15834 style) and the quarter em between Han and Latin letters or digits.
import type { Unit } from './segment';
import type { TextStyle } from './types';

const halfEm = (u: Unit) => u.size / 2;

export function applySpacing(units: Unit[], style: TextStyle): void {
  for (let i = 0; i + 1 < units.length; i++) {
    const a = units[i] as Unit;
    const b = units[i + 1] as Unit;
    if (style.compressPunctuation && a.cjk && b.cjk && a.punct && b.punct) {
      // Two marks in a row keep one half-em blank between them.
      if (a.punct === 'closing') a.trimAfter = halfEm(a);
      else if (a.punct === 'opening' && b.punct === 'opening') b.trimBefore = halfEm(b);
    }
    if (style.hanLatinSpacing && a.orientation !== 'tcy' && b.orientation !== 'tcy') {
      const hanThenLatin = a.han && b.latin && !b.cjk;
      const latinThenHan = a.latin && !a.cjk && b.han;
      if (hanThenLatin || latinThenHan) a.spaceAfter = Math.max(a.size, b.size) / 4;
    }
  }
}

/** Width a unit takes on a line, with spacing; `last` drops what never shows at a line end. */
export function unitWidth(u: Unit, style: TextStyle, first: boolean, last: boolean): number {
  const tracking = (style.tracking / 1000) * u.size;
  let w = u.advance + tracking - u.trimBefore - u.trimAfter;
  if (!last) w += u.spaceAfter;
  if (style.compressPunctuation && u.cjk) {
    if (first && u.punct === 'opening' && u.trimBefore === 0) w -= halfEm(u);
    if (last && u.punct === 'closing' && u.trimAfter === 0) w -= halfEm(u);
  }
  return w;
}

/** Blank trimmed at a line's start or end (on top of contextual compression). */
export function edgeTrim(u: Unit, style: TextStyle, edge: 'start' | 'end'): number {
  if (!style.compressPunctuation || !u.cjk) return 0;
  if (edge === 'start' && u.punct === 'opening' && u.trimBefore === 0) return halfEm(u);
  if (edge === 'end' && u.punct === 'closing' && u.trimAfter === 0) return halfEm(u);
  return 0;
}
