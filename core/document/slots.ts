// Generated-image slots in templates: a rectangle named "@image:<field> <prompt>" marks where the
// image engine paints a picture for <prompt>. `poster render` fills the slots with the bundled
// model (or keeps the rectangle as a placeholder with --no-generate); `--set <field>=<prompt>`
// changes what is asked for.
import type { Asset, Element, PosterDocument, ShapeElement } from './schema';

const SLOT = /^@image:([A-Za-z0-9_-]{1,40})(?:\s+([\s\S]*))?$/;

export interface ImageSlot {
  field: string;
  prompt: string;
  element: ShapeElement;
}

function walk(els: readonly Element[], out: ImageSlot[]): ImageSlot[] {
  for (const el of els) {
    if (el.type === 'group') walk(el.children, out);
    else if (el.type === 'shape') {
      const m = SLOT.exec(el.name);
      if (m) out.push({ field: m[1] as string, prompt: (m[2] ?? '').trim(), element: el });
    }
  }
  return out;
}

export function imageSlots(doc: PosterDocument): ImageSlot[] {
  return doc.pages.flatMap((p) => walk(p.elements, []));
}

function mapElements(doc: PosterDocument, f: (el: Element) => Element): PosterDocument {
  const map = (els: Element[]): Element[] => els.map((el) => (el.type === 'group' ? { ...el, children: map(el.children) } : f(el)));
  return { ...doc, pages: doc.pages.map((p) => ({ ...p, elements: map(p.elements) })) };
}

/** Sets the prompt of the slot `field`. */
export function setSlotPrompt(doc: PosterDocument, field: string, prompt: string): PosterDocument {
  return mapElements(doc, (el) => {
    if (el.type !== 'shape') return el;
    const m = SLOT.exec(el.name);
    return m && m[1] === field ? { ...el, name: `@image:${field} ${prompt.replace(/\s+/g, ' ').trim()}`.slice(0, 200) } : el;
  });
}

/** Replaces each filled slot (by element id) with an image element of the same frame. */
export function fillSlots(doc: PosterDocument, images: ReadonlyMap<string, Asset>): PosterDocument {
  const assets = { ...doc.assets };
  for (const a of images.values()) assets[a.sha256] = a;
  const filled = mapElements(doc, (el) => {
    const asset = el.type === 'shape' ? images.get(el.id) : undefined;
    if (!asset || el.type !== 'shape') return el;
    const { id, name, x, y, width, height, rotation, opacity, locked, hidden } = el;
    return { id, name, x, y, width, height, rotation, opacity, locked, hidden, type: 'image', asset: asset.sha256 };
  });
  return { ...filled, assets };
}

/** Pixel size to generate for a slot: its aspect ratio, the long side `longSide`, multiples of 16. */
export function slotPixels(slot: ImageSlot, longSide = 2048): { width: number; height: number } {
  const { width, height } = slot.element;
  const scale = longSide / Math.max(width, height);
  const r16 = (v: number) => Math.max(64, Math.min(2048, Math.round((v * scale) / 16) * 16));
  return { width: r16(width), height: r16(height) };
}
