import { Ellipse, type FabricObject, Rect } from 'fabric';
import type { ShapeElement } from '../../../../core/document/schema';
import { applyCommon, boxFrom, type ElementView } from './types';

export const shapeView: ElementView<ShapeElement> = {
  create(el, ctx) {
    const obj = el.shape === 'ellipse' ? new Ellipse() : new Rect();
    this.update?.(obj, el, ctx);
    return obj;
  },
  update(obj, el) {
    const paint = {
      fill: el.fill ?? 'transparent',
      stroke: el.stroke ?? undefined,
      strokeWidth: el.stroke ? el.strokeWidth : 0,
      scaleX: 1,
      scaleY: 1,
    };
    if (obj instanceof Ellipse) obj.set({ ...paint, rx: el.width / 2, ry: el.height / 2 });
    else obj.set({ ...paint, width: el.width, height: el.height, rx: el.cornerRadius, ry: el.cornerRadius });
    applyCommon(obj, el);
    obj.setCoords();
  },
  readBack(obj: FabricObject, _el, t) {
    return boxFrom(t, obj.width, obj.height);
  },
};
