// Drawing a layout's glyph runs on any 2D canvas (the editor's, and the PNG exporter's), so
// the screen and the raster export draw text the same way.
import type { TextLayout } from './types';

/** The parts of a CanvasRenderingContext2D that drawing glyphs needs. */
export interface GlyphCanvas<P> {
  fillStyle: unknown;
  save(): void;
  restore(): void;
  translate(x: number, y: number): void;
  rotate(angle: number): void;
  scale(x: number, y: number): void;
  fill(path: P): void;
}

/**
 * Draws every glyph of `layout`; `unit` converts layout points to the canvas's units,
 * `glyph` returns a glyph's outline path (font units, y up) and its font's units per em.
 */
export function drawLayout<P>(
  ctx: GlyphCanvas<P>,
  layout: TextLayout,
  unit: number,
  glyph: (fontId: string, id: number) => { path: P; upem: number } | null,
): void {
  for (const line of layout.lines) {
    for (const run of line.runs) {
      ctx.fillStyle = run.color;
      for (const g of run.glyphs) {
        const outline = glyph(run.fontId, g.id);
        if (!outline) continue;
        const s = (run.size * unit) / outline.upem;
        ctx.save();
        ctx.translate(g.x * unit, g.y * unit);
        if (g.rotate) ctx.rotate(Math.PI / 2);
        ctx.scale(s * (g.scaleX ?? 1), -s);
        ctx.fill(outline.path);
        ctx.restore();
      }
    }
  }
}
