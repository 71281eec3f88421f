// Text frames on the canvas: a custom Fabric object that draws the typesetter's positioned
// glyph runs as outlines, exactly what the PDF writer places. Editing happens in an HTML
// overlay (panels/TextEditor), not in Fabric.
import { FabricObject } from 'fabric';
import type { TextElement } from '../../../../core/document/schema';
import { drawLayout } from '../../../../core/typeset/draw';
import type { TextLayout } from '../../../../core/typeset/types';
import { ptToMm } from '../../../../core/units';
import type { TextEngine } from '../text-engine';
import { applyCommon, boxFrom, type ElementView } from './types';

const PT = ptToMm(1);

export class TypesetText extends FabricObject {
  static override type = 'TypesetText';
  element: TextElement | null = null;
  engine: TextEngine | null = null;
  layoutResult: TextLayout | null = null;

  override _render(ctx: CanvasRenderingContext2D): void {
    const w = this.width;
    const h = this.height;
    const l = this.layoutResult;
    if (!l || !this.engine) {
      // Fonts still loading: a light frame so the element stays visible and selectable.
      ctx.fillStyle = 'rgba(120, 120, 140, 0.12)';
      ctx.fillRect(-w / 2, -h / 2, w, h);
      return;
    }
    ctx.save();
    ctx.translate(-w / 2, -h / 2);
    const engine = this.engine;
    drawLayout(ctx, l, PT, (fontId, id) => {
      const path = engine.glyphPath(fontId, id);
      return path ? { path, upem: engine.upem(fontId) } : null;
    });
    if (l.overflow) {
      // Text that does not fit: a red marker at the frame's bottom-right, as layout tools do.
      const m = Math.min(w, h, 6);
      ctx.fillStyle = '#d23c3c';
      ctx.fillRect(w - m, h - m, m, m);
      ctx.fillStyle = '#fff';
      ctx.fillRect(w - m * 0.75, h - m * 0.56, m * 0.5, m * 0.12);
      ctx.fillRect(w - m * 0.56, h - m * 0.75, m * 0.12, m * 0.5);
    }
    ctx.restore();
  }
}

export function makeTextView(engine: TextEngine): ElementView<TextElement> {
  return {
    create(el, ctx) {
      const obj = new TypesetText();
      this.update?.(obj, el, ctx);
      return obj;
    },
    update(obj, el) {
      const t = obj as TypesetText;
      t.engine = engine;
      t.element = el;
      t.layoutResult = engine.layout(el);
      t.set({ width: el.width, height: el.height, scaleX: 1, scaleY: 1, strokeWidth: 0, objectCaching: true });
      t.dirty = true;
      applyCommon(t, el);
      t.setCoords();
    },
    readBack(obj, el, t) {
      const box = boxFrom(t, obj.width, obj.height);
      // Scaling a frame from a corner scales its type, as in layout tools; side handles reflow.
      const uniform = Math.abs(t.scaleX - t.scaleY) < 1e-3 && Math.abs(t.scaleX - 1) > 1e-3;
      if (!uniform) return box;
      const k = Math.abs(t.scaleY);
      const scaleRun = (r: TextElement['runs'][number]) => (r.size ? { ...r, size: r.size * k } : r);
      return {
        ...box,
        style: { ...el.style, fontSize: el.style.fontSize * k },
        runs: el.runs.map(scaleRun),
        ...(el.secondary ? { secondary: { ...el.secondary, runs: el.secondary.runs.map(scaleRun), gap: el.secondary.gap * k } } : {}),
      };
    },
  };
}
