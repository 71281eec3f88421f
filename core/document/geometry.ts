// Geometry of elements in page millimetres: corners after rotation, axis-aligned bounds,
// alignment, group/ungroup transforms.
import type { Element } from './schema';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

const rad = (deg: number) => (deg * Math.PI) / 180;

export function rotateAbout(p: Point, c: Point, deg: number): Point {
  const a = rad(deg);
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const dx = p.x - c.x;
  const dy = p.y - c.y;
  return { x: c.x + dx * cos - dy * sin, y: c.y + dx * sin + dy * cos };
}

export const centreOf = (b: Box): Point => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

export function corners(el: Box & { rotation: number }): Point[] {
  const c = centreOf(el);
  return [
    { x: el.x, y: el.y },
    { x: el.x + el.width, y: el.y },
    { x: el.x + el.width, y: el.y + el.height },
    { x: el.x, y: el.y + el.height },
  ].map((p) => rotateAbout(p, c, el.rotation));
}

/** Axis-aligned bounds of the element as drawn (rotation included). */
export function boundsOf(el: Box & { rotation: number }): Box {
  const pts = corners(el);
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

export function unionBounds(boxes: Box[]): Box | null {
  if (boxes.length === 0) return null;
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const r = Math.max(...boxes.map((b) => b.x + b.width));
  const btm = Math.max(...boxes.map((b) => b.y + b.height));
  return { x, y, width: r - x, height: btm - y };
}

export type AlignEdge = 'left' | 'hcenter' | 'right' | 'top' | 'vcenter' | 'bottom';

/** The translation that aligns `el`'s drawn bounds to `target` along one edge. */
export function alignDelta(el: Box & { rotation: number }, target: Box, edge: AlignEdge): Point {
  const b = boundsOf(el);
  switch (edge) {
    case 'left':
      return { x: target.x - b.x, y: 0 };
    case 'right':
      return { x: target.x + target.width - (b.x + b.width), y: 0 };
    case 'hcenter':
      return { x: target.x + target.width / 2 - (b.x + b.width / 2), y: 0 };
    case 'top':
      return { x: 0, y: target.y - b.y };
    case 'bottom':
      return { x: 0, y: target.y + target.height - (b.y + b.height) };
    case 'vcenter':
      return { x: 0, y: target.y + target.height / 2 - (b.y + b.height / 2) };
  }
}

/** Places a child of a group (coordinates local to the group) into the group's parent space. */
export function childToParent<T extends Element>(child: T, group: Box & { rotation: number }): T {
  const localCentre = centreOf(child);
  const parentCentre = rotateAbout({ x: group.x + localCentre.x, y: group.y + localCentre.y }, centreOf(group), group.rotation);
  return {
    ...child,
    x: parentCentre.x - child.width / 2,
    y: parentCentre.y - child.height / 2,
    rotation: normaliseAngle(child.rotation + group.rotation),
  };
}

/** Scales an element's box (and a group's children) by sx, sy about the group origin. */
export function scaleElement<T extends Element>(el: T, sx: number, sy: number): T {
  const scaled = { ...el, x: el.x * sx, y: el.y * sy, width: el.width * sx, height: el.height * sy };
  if (scaled.type === 'group') {
    return { ...scaled, children: scaled.children.map((c) => scaleElement(c, sx, sy)) } as T;
  }
  return scaled;
}

export function normaliseAngle(deg: number): number {
  let a = deg % 360;
  if (a > 180) a -= 360;
  if (a <= -180) a += 360;
  return Math.abs(a) < 1e-9 ? 0 : a;
}
