// Groups: children are built by their own views at page positions, then wrapped in a Fabric
// Group placed at the group's centre and rotation. Resizing a group scales its children.
import { Group } from 'fabric';
import { scaleElement } from '../../../../core/document/geometry';
import type { Element, GroupElement } from '../../../../core/document/schema';
import { applyCommon, boxFrom, type ElementView } from './types';

type ViewOf = (el: Element) => ElementView;

export function makeGroupView(viewOf: ViewOf): ElementView<GroupElement> {
  const build = (el: GroupElement, ctx: Parameters<ElementView['create']>[1]) => {
    const children = el.children.map((c) => {
      const obj = viewOf(c).create({ ...c, x: c.x + el.x, y: c.y + el.y }, ctx);
      obj.set({ selectable: false, evented: false });
      return obj;
    });
    const g = new Group(children, { subTargetCheck: false, interactive: false });
    applyCommon(g, el);
    g.setCoords();
    return g;
  };
  return {
    create: build,
    readBack(obj, el, t) {
      const box = boxFrom(t, obj.width, obj.height);
      const sx = (box.width as number) / el.width;
      const sy = (box.height as number) / el.height;
      if (Math.abs(sx - 1) < 1e-6 && Math.abs(sy - 1) < 1e-6) return { ...box, width: el.width, height: el.height };
      const scaled = scaleElement(el, sx, sy);
      return { ...box, children: scaled.children };
    },
  };
}
