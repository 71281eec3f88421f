/**
 * Turns a region request (an image and a mask, by rectangle or by mask image) into the pixels
 * the engine paints with. Shared by the API's engine service and the `poster generate` CLI.
 * Images are decoded with Skia (@napi-rs/canvas): PNG, JPEG and WebP; transparent pixels of
 * the image count as white, a mask image regenerates where it is light and opaque.
 */
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { MaskRect } from '../../../core/api/contract.js';
import { checkRegion, RegionError } from '../pipeline/inpaint.js';
import { rectMask } from '../pipeline/region-mask.js';
import type { RegionInput } from '../types.js';

export interface DecodedImage {
  width: number;
  height: number;
  /** Row-major RGBA, not premultiplied. */
  rgba: Uint8ClampedArray;
}

export async function decodeImage(bytes: Uint8Array, what: string): Promise<DecodedImage> {
  let img: Awaited<ReturnType<typeof loadImage>>;
  try {
    img = await loadImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new RegionError(`${what} could not be read as an image (PNG, JPEG or WebP): ${(e as Error).message}`);
  }
  const { width, height } = img;
  if (!width || !height) throw new RegionError(`${what} has no pixels.`);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width, height, rgba: ctx.getImageData(0, 0, width, height).data };
}

/** RGB over a white background. */
export function flattenRgb(img: DecodedImage): Uint8Array {
  const n = img.width * img.height;
  const rgb = new Uint8Array(n * 3);
  for (let k = 0; k < n; k++) {
    const a = (img.rgba[k * 4 + 3] as number) / 255;
    for (let c = 0; c < 3; c++) rgb[k * 3 + c] = Math.round((img.rgba[k * 4 + c] as number) * a + 255 * (1 - a));
  }
  return rgb;
}

/** A mask image as one byte a pixel: luminance times opacity (light and opaque = regenerate). */
export function maskFromImage(img: DecodedImage): Uint8Array {
  const n = img.width * img.height;
  const mask = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const p = k * 4;
    const lum = 0.299 * (img.rgba[p] as number) + 0.587 * (img.rgba[p + 1] as number) + 0.114 * (img.rgba[p + 2] as number);
    mask[k] = Math.round((lum * (img.rgba[p + 3] as number)) / 255);
  }
  return mask;
}

/** Checks that a rectangle lies inside a width x height image and is not empty. */
export function checkRect(r: MaskRect, width: number, height: number): void {
  if (r.width < 1 || r.height < 1) throw new RegionError(`The mask rectangle is empty (${r.width}x${r.height}).`);
  if (r.x < 0 || r.y < 0 || r.x + r.width > width || r.y + r.height > height)
    throw new RegionError(
      `The mask rectangle ${r.x},${r.y} ${r.width}x${r.height} reaches outside the ${width}x${height} image; it must lie within 0,0 ${width}x${height}.`,
    );
}

export interface RegionSource {
  image: Uint8Array;
  /** A rectangle in image pixels, or the bytes of a mask image of the image's size. */
  mask: MaskRect | Uint8Array;
  strength?: number;
}

export async function regionInput(src: RegionSource): Promise<RegionInput> {
  const img = await decodeImage(src.image, 'The image to change');
  const { width, height } = img;
  let mask: Uint8Array;
  if (src.mask instanceof Uint8Array) {
    const m = await decodeImage(src.mask, 'The mask');
    if (m.width !== width || m.height !== height)
      throw new RegionError(`The mask is ${m.width}x${m.height} but the image is ${width}x${height}; they must be the same size.`);
    mask = maskFromImage(m);
  } else {
    checkRect(src.mask, width, height);
    mask = rectMask(width, height, src.mask);
  }
  const region: RegionInput = { width, height, rgb: flattenRgb(img), mask, strength: src.strength };
  checkRegion(region);
  return region;
}
