// Caret placement and hit-testing on a layout's caret stops, for selection and editing tools.
import type { LayoutLine, TextLayout } from './types';

export interface CaretPosition {
  block: 0 | 1;
  index: number;
  /** Top of the caret and its length, frame points; vertical text has a horizontal caret. */
  x: number;
  y: number;
  length: number;
  vertical: boolean;
}

const isVertical = (l: LayoutLine) => l.height > l.width && l.carets.length > 1 && l.carets[0]!.x === l.carets[l.carets.length - 1]!.x;

/** The caret for a text offset of a block (end of the line for an offset at a line break). */
export function caretAt(layout: TextLayout, block: 0 | 1, index: number): CaretPosition | null {
  const lines = layout.lines.filter((l) => l.block === block);
  for (const l of lines) {
    if (index < l.start || index > l.end) continue;
    const stop =
      l.carets.find((c) => c.index === index) ??
      l.carets.reduce((best, c) => (Math.abs(c.index - index) < Math.abs(best.index - index) ? c : best));
    const vertical = isVertical(l);
    return vertical
      ? { block, index: stop.index, x: l.x, y: stop.y, length: l.width, vertical }
      : { block, index: stop.index, x: stop.x, y: l.y, length: l.height, vertical };
  }
  return null;
}

/** The text offset nearest to a point (frame points). */
export function hitTest(layout: TextLayout, x: number, y: number): { block: 0 | 1; index: number } | null {
  let best: { block: 0 | 1; index: number; d: number } | null = null;
  for (const l of layout.lines) {
    const vertical = isVertical(l);
    // Distance to the line box across the line, then to each caret stop along it.
    const across = vertical ? Math.max(0, l.x - x, x - (l.x + l.width)) : Math.max(0, l.y - y, y - (l.y + l.height));
    for (const c of l.carets) {
      const along = vertical ? Math.abs(c.y - y) : Math.abs(c.x - x);
      const d = across * 1000 + along;
      if (!best || d < best.d) best = { block: l.block, index: c.index, d };
    }
  }
  return best ? { block: best.block, index: best.index } : null;
}
