// PNG and JPEG export at a chosen resolution, drawn in Node (Skia through @napi-rs/canvas)
// from the document and the typesetter's glyph runs. Large pages are drawn in strips and
// streamed into the PNG, so size is bounded by time, not memory. The image covers the page
// with its bleed.

import { createCanvas, type Image, loadImage, Path2D, type SKRSContext2D } from '@napi-rs/canvas';
import { flattenElements } from '../../core/document/flatten';
import { boundsOf } from '../../core/document/geometry';
import type { Page, PosterDocument, TextElement } from '../../core/document/schema';
import { drawLayout } from '../../core/typeset/draw';
import type { TextLayout } from '../../core/typeset/types';
import { mmToPx, ptToMm } from '../../core/units';
import { atomicWrite } from '../store/atomic';
import { ExportError, layoutOf, type PdfSources } from './pdf';
import { openPng } from './png-stream';

export interface RasterOptions {
  dpi: number;
  format: 'png' | 'jpeg';
  page?: number;
  /** Rows drawn per strip. */
  stripRows?: number;
  /** JPEG needs the whole image in memory; larger pages must use PNG. */
  maxJpegPixels?: number;
  onProgress?: (done: number, total: number) => void;
}

export function rasterSize(page: Page, dpi: number): { width: number; height: number } {
  return { width: Math.round(mmToPx(page.width + 2 * page.bleed, dpi)), height: Math.round(mmToPx(page.height + 2 * page.bleed, dpi)) };
}

async function drawStrip(
  ctx: SKRSContext2D,
  page: Page,
  items: ReturnType<typeof flattenElements>,
  pxPerMm: number,
  top: number,
  rows: number,
  width: number,
  images: Map<string, Image>,
  layouts: Map<TextElement, TextLayout>,
  src: PdfSources,
  paths: Map<string, Path2D>,
) {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = page.background;
  ctx.fillRect(0, 0, width, rows);
  // Page millimetres (origin at the trim) to this strip's pixels.
  const base = () => ctx.setTransform(pxPerMm, 0, 0, pxPerMm, page.bleed * pxPerMm, page.bleed * pxPerMm - top);
  const stripTopMm = top / pxPerMm - page.bleed;
  const stripBottomMm = (top + rows) / pxPerMm - page.bleed;
  for (const { el, opacity } of items) {
    const b = boundsOf(el);
    if (b.y > stripBottomMm || b.y + b.height < stripTopMm) continue;
    base();
    ctx.globalAlpha = opacity;
    ctx.translate(el.x + el.width / 2, el.y + el.height / 2);
    ctx.rotate((el.rotation * Math.PI) / 180);
    ctx.translate(-el.width / 2, -el.height / 2);
    if (el.type === 'shape') {
      ctx.beginPath();
      if (el.shape === 'ellipse') ctx.ellipse(el.width / 2, el.height / 2, el.width / 2, el.height / 2, 0, 0, Math.PI * 2);
      else if (el.cornerRadius > 0) ctx.roundRect(0, 0, el.width, el.height, Math.min(el.cornerRadius, el.width / 2, el.height / 2));
      else ctx.rect(0, 0, el.width, el.height);
      if (el.fill) {
        ctx.fillStyle = el.fill;
        ctx.fill();
      }
      if (el.stroke && el.strokeWidth > 0) {
        ctx.strokeStyle = el.stroke;
        ctx.lineWidth = el.strokeWidth;
        ctx.stroke();
      }
    } else if (el.type === 'image') {
      let img = images.get(el.asset);
      if (!img) {
        const a = src.asset(el.asset);
        if (!a) throw new ExportError(`Image ${el.name} is missing from the project.`);
        img = await loadImage(Buffer.from(a.bytes));
        images.set(el.asset, img);
      }
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(img, 0, 0, el.width, el.height);
    } else {
      let l = layouts.get(el);
      if (!l) {
        l = layoutOf(el, src.registry);
        layouts.set(el, l);
      }
      drawLayout(ctx, l, ptToMm(1), (fontId, id) => {
        const face = src.registry.get(fontId);
        if (!face) return null;
        const key = `${fontId}:${id}`;
        let p = paths.get(key);
        if (!p) {
          p = new Path2D(face.glyphPath(id));
          paths.set(key, p);
        }
        return { path: p, upem: face.upem };
      });
    }
  }
  ctx.globalAlpha = 1;
}

/** Renders one page to `target` (PNG streamed in strips; JPEG in one piece). */
export async function renderRaster(
  doc: PosterDocument,
  src: PdfSources,
  target: string,
  opts: RasterOptions,
): Promise<{ width: number; height: number }> {
  if (!(opts.dpi >= 10 && opts.dpi <= 2400)) throw new ExportError(`--dpi must be between 10 and 2400 (got ${opts.dpi}).`);
  const page = doc.pages[opts.page ?? 0];
  if (!page) throw new ExportError(`The document has no page ${(opts.page ?? 0) + 1}.`);
  const { width, height } = rasterSize(page, opts.dpi);
  const pxPerMm = mmToPx(1, opts.dpi);
  const items = flattenElements(page.elements);
  const images = new Map<string, Image>();
  const layouts = new Map<TextElement, TextLayout>();
  const paths = new Map<string, Path2D>();
  if (opts.format === 'jpeg') {
    const max = opts.maxJpegPixels ?? 80e6;
    if (width * height > max)
      throw new ExportError(`${width} × ${height} px is too large for JPEG export; use PNG, which is written in strips.`);
    const canvas = createCanvas(width, height);
    await drawStrip(canvas.getContext('2d'), page, items, pxPerMm, 0, height, width, images, layouts, src, paths);
    await atomicWrite(target, setJpegDpi(await canvas.encode('jpeg', 92), opts.dpi));
    return { width, height };
  }
  const rowsPerStrip = Math.max(1, Math.min(height, opts.stripRows ?? Math.floor(16e6 / width)));
  const canvas = createCanvas(width, rowsPerStrip);
  const ctx = canvas.getContext('2d');
  const sink = await openPng(target, width, height, opts.dpi);
  try {
    for (let top = 0; top < height; top += rowsPerStrip) {
      const rows = Math.min(rowsPerStrip, height - top);
      await drawStrip(ctx, page, items, pxPerMm, top, rows, width, images, layouts, src, paths);
      const rgba = ctx.getImageData(0, 0, width, rows).data;
      const rgb = new Uint8Array(width * rows * 3);
      for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
        rgb[j] = rgba[i] as number;
        rgb[j + 1] = rgba[i + 1] as number;
        rgb[j + 2] = rgba[i + 2] as number;
      }
      await sink.writeRows(rgb, rows);
      opts.onProgress?.(top + rows, height);
    }
    await sink.close();
  } catch (e) {
    await sink.abort();
    throw e;
  }
  return { width, height };
}

/** Writes the resolution into a JFIF APP0 header (units: dots per inch). */
function setJpegDpi(jpeg: Uint8Array, dpi: number): Uint8Array {
  const b = Buffer.from(jpeg);
  if (b[2] === 0xff && b[3] === 0xe0 && b.toString('latin1', 6, 10) === 'JFIF') {
    b[13] = 1;
    b.writeUInt16BE(dpi, 14);
    b.writeUInt16BE(dpi, 16);
    return b;
  }
  // No JFIF segment: insert one after SOI.
  const app0 = Buffer.from([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 1, dpi >> 8, dpi & 255, dpi >> 8, dpi & 255, 0, 0]);
  return Buffer.concat([b.subarray(0, 2), app0, b.subarray(2)]);
}
