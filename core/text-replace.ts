// "Replace with vector text": where the painted text sits on the page, from the OCR boxes of the
// generated image and the image element that shows it. The element stretches its image over its
// box, so image pixels map to page mm linearly.
import type { TextCheckResult } from './api/contract';
import { createShape, createText } from './document/factory';
import type { ImageElement, ShapeElement, TextElement } from './document/schema';
import { mmToPt } from './units';

/**
 * How tall PaddleOCR's box around a line is, in em of its font: a little under the em, since it
 * hugs the ink of CJK glyphs (measured on typeset Noto Sans SC + Inter lines at 18-36 pt: 0.89 em;
 * tests/engine/text-check.test.ts holds the font size this gives within 15%).
 */
export const OCR_BOX_EM = 0.9;

export interface PaintedTextPlace {
  /** Page mm, unrotated. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Font size in pt from the line boxes' height. */
  fontSize: number;
  /** False when OCR found nothing: the place is a guess (a band across the image's middle). */
  found: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Where the text OCR found in `image` (pixels `imageWidth` x `imageHeight`) lies on the page. */
export function paintedTextPlace(
  lines: TextCheckResult['lines'],
  image: Pick<ImageElement, 'x' | 'y' | 'width' | 'height'>,
  imageWidth: number,
  imageHeight: number,
): PaintedTextPlace {
  const sx = image.width / imageWidth;
  const sy = image.height / imageHeight;
  const boxes = lines
    .map((l) => {
      const xs = l.box.map((p) => p[0] ?? 0);
      const ys = l.box.map((p) => p[1] ?? 0);
      return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
    })
    .filter((b) => b.x1 > b.x0 && b.y1 > b.y0);
  if (boxes.length === 0) {
    // Nothing legible: a band across the middle, a tenth of the image tall.
    const height = image.height / 10;
    return {
      x: image.x + image.width * 0.1,
      y: image.y + (image.height - height) / 2,
      width: image.width * 0.8,
      height,
      fontSize: mmToPt(height) / OCR_BOX_EM,
      found: false,
    };
  }
  const x0 = Math.min(...boxes.map((b) => b.x0));
  const x1 = Math.max(...boxes.map((b) => b.x1));
  const y0 = Math.min(...boxes.map((b) => b.y0));
  const y1 = Math.max(...boxes.map((b) => b.y1));
  const lineHeight = median(boxes.map((b) => b.y1 - b.y0)) * sy;
  return {
    x: image.x + x0 * sx,
    y: image.y + y0 * sy,
    width: (x1 - x0) * sx,
    height: (y1 - y0) * sy,
    fontSize: mmToPt(lineHeight) / OCR_BOX_EM,
    found: true,
  };
}

/**
 * The elements that replace the painted text: an exact text frame with `text`, centred in the
 * place and shrunk to fit it if need be, and optionally, beneath it, a rectangle in `cover`
 * colour hiding the painted letters.
 */
export function vectorTextElements(
  text: string,
  place: PaintedTextPlace,
  opts: { color?: string; cover?: string | null } = {},
): (TextElement | ShapeElement)[] {
  const el = createText({ x: place.x, y: place.y, width: place.width, height: place.height }, text);
  el.name = text.slice(0, 60);
  el.style = {
    ...el.style,
    fontSize: Math.max(1, Math.round(place.fontSize * 10) / 10),
    lineHeight: 1.2,
    align: 'center',
    lastLineAlign: 'center',
    fit: 'shrink',
    ...(opts.color ? { color: opts.color } : {}),
  };
  if (!opts.cover) return [el];
  const rect = createShape('rect', { x: place.x, y: place.y, width: place.width, height: place.height });
  Object.assign(rect, { name: 'Cover', fill: opts.cover });
  return [rect, el];
}
