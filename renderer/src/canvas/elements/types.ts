// One view module per element type: how it becomes a Fabric object, how the object follows
// the element, and how a finished gesture turns back into a patch of the element.
import type { FabricObject } from 'fabric';
import type { ElementPatch } from '../../../../core/document/commands';
import type { Element } from '../../../../core/document/schema';
import type { ImageCache } from '../image-cache';

export interface ViewContext {
  images: ImageCache;
  requestRender(): void;
}

/** A Fabric object's transform in page millimetres, as decomposed after a gesture. */
export interface SceneTransform {
  cx: number;
  cy: number;
  angle: number;
  scaleX: number;
  scaleY: number;
}

export interface ElementView<E extends Element = Element> {
  create(el: E, ctx: ViewContext): FabricObject;
  /** Makes the object follow a changed element; views without it are rebuilt on change. */
  update?(obj: FabricObject, el: E, ctx: ViewContext): void;
  readBack(obj: FabricObject, el: E, t: SceneTransform): ElementPatch;
}

/** Sets what every element shares: centre position, rotation, opacity, visibility, lock. */
export function applyCommon(obj: FabricObject, el: Element): void {
  obj.set({
    originX: 'center',
    originY: 'center',
    left: el.x + el.width / 2,
    top: el.y + el.height / 2,
    angle: el.rotation,
    opacity: el.opacity,
    visible: !el.hidden,
    evented: !el.hidden,
    lockMovementX: el.locked,
    lockMovementY: el.locked,
    lockRotation: el.locked,
    lockScalingX: el.locked,
    lockScalingY: el.locked,
    hasControls: !el.locked,
    lockScalingFlip: true,
  });
  (obj as FabricObject & { elementId?: string }).elementId = el.id;
}

/** The common part of a patch: the box from the transform, given the unscaled object size. */
export function boxFrom(t: SceneTransform, width: number, height: number): ElementPatch {
  const w = Math.max(0.1, Math.abs(width * t.scaleX));
  const h = Math.max(0.1, Math.abs(height * t.scaleY));
  return { x: t.cx - w / 2, y: t.cy - h / 2, width: w, height: h, rotation: normalise(t.angle) };
}

function normalise(deg: number): number {
  let a = deg % 360;
  if (a > 180) a -= 360;
  if (a <= -180) a += 360;
  return Math.round(a * 1000) / 1000;
}

export const elementIdOf = (obj: FabricObject): string | undefined => (obj as FabricObject & { elementId?: string }).elementId;
