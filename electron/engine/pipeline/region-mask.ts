/**
 * Pixel work around region regeneration (pipeline/inpaint.ts): area resampling of the image and
 * the mask to the generation size, the mask at latent resolution, and the feathered blend that
 * puts the original back outside the mask.
 */

/** Default feather of the pixel-space blend: a few pixels, growing with the image (4 px at 512). */
export function featherWidth(width: number, height: number): number {
  return Math.max(3, Math.round(Math.min(width, height) / 128));
}

/** For each output cell along one axis, the source cells it covers and how much of each (weights sum to 1). */
function areaTaps(src: number, dst: number): { start: Int32Array; weights: Float32Array[] } {
  const start = new Int32Array(dst);
  const weights: Float32Array[] = [];
  const scale = src / dst;
  for (let i = 0; i < dst; i++) {
    const a = i * scale;
    const b = (i + 1) * scale;
    const first = Math.floor(a);
    const last = Math.min(src - 1, Math.ceil(b) - 1);
    const w = new Float32Array(last - first + 1);
    for (let k = first; k <= last; k++) w[k - first] = (Math.min(b, k + 1) - Math.max(a, k)) / scale;
    start[i] = first;
    weights.push(w);
  }
  return { start, weights };
}

/**
 * Resamples planar float channels [c, h, w] to [c, outH, outW] by area averaging: each output
 * pixel is the mean of the source area it covers, so a mask's value becomes its coverage.
 */
export function resampleArea(src: Float32Array, c: number, w: number, h: number, outW: number, outH: number): Float32Array {
  if (w === outW && h === outH) return src.slice();
  const tx = areaTaps(w, outW);
  const ty = areaTaps(h, outH);
  const tmp = new Float32Array(c * h * outW);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      const row = (ch * h + y) * w;
      for (let x = 0; x < outW; x++) {
        const s = tx.start[x] as number;
        const wx = tx.weights[x] as Float32Array;
        let v = 0;
        for (let k = 0; k < wx.length; k++) v += (wx[k] as number) * (src[row + s + k] as number);
        tmp[(ch * h + y) * outW + x] = v;
      }
    }
  }
  const out = new Float32Array(c * outH * outW);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < outH; y++) {
      const s = ty.start[y] as number;
      const wy = ty.weights[y] as Float32Array;
      for (let x = 0; x < outW; x++) {
        let v = 0;
        for (let k = 0; k < wy.length; k++) v += (wy[k] as number) * (tmp[(ch * h + s + k) * outW + x] as number);
        out[(ch * outH + y) * outW + x] = v;
      }
    }
  }
  return out;
}

/** Interleaved RGB bytes -> planar [3, h, w] floats in [-1, 1] (the VAE's input range). */
export function rgbToPlanar(rgb: Uint8Array, w: number, h: number): Float32Array {
  const n = w * h;
  const out = new Float32Array(3 * n);
  for (let k = 0; k < n; k++) for (let ch = 0; ch < 3; ch++) out[ch * n + k] = (rgb[k * 3 + ch] as number) / 127.5 - 1;
  return out;
}

/** A byte mask (>= 128 regenerates) as 0/1 floats. */
export function maskToFloat(mask: Uint8Array): Float32Array {
  return Float32Array.from(mask, (v) => (v >= 128 ? 1 : 0));
}

/**
 * The mask at latent resolution [h, w] as 0/1: every latent cell the pixel mask touches, grown
 * by `dilate` cells so the model repaints a margin around the region (the pixel blend hides it).
 */
export function latentMask(mask: Uint8Array, width: number, height: number, w: number, h: number, dilate = 1): Uint8Array {
  const cover = resampleArea(maskToFloat(mask), 1, width, height, w, h);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let hit = false;
      for (let dy = -dilate; dy <= dilate && !hit; dy++) {
        for (let dx = -dilate; dx <= dilate && !hit; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < h && xx >= 0 && xx < w && (cover[yy * w + xx] as number) > 1e-3) hit = true;
        }
      }
      out[y * w + x] = hit ? 1 : 0;
    }
  }
  return out;
}

/**
 * Blend weight per pixel: 0 outside the mask, rising to 1 over `feather` pixels inside it
 * (chamfer distance to the nearest kept pixel; the image border does not count as kept), so
 * every pixel outside the mask keeps the original's value exactly.
 */
export function featherAlpha(mask: Uint8Array, width: number, height: number, feather: number): Float32Array {
  const INF = 1e9;
  const d = new Float32Array(width * height);
  for (let k = 0; k < d.length; k++) d[k] = (mask[k] as number) >= 128 ? INF : 0;
  const D = Math.SQRT2;
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x >= width || y >= height ? INF : (d[y * width + x] as number));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = y * width + x;
      if (d[k] === 0) continue;
      d[k] = Math.min(d[k] as number, at(x - 1, y) + 1, at(x, y - 1) + 1, at(x - 1, y - 1) + D, at(x + 1, y - 1) + D);
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const k = y * width + x;
      if (d[k] === 0) continue;
      d[k] = Math.min(d[k] as number, at(x + 1, y) + 1, at(x, y + 1) + 1, at(x + 1, y + 1) + D, at(x - 1, y + 1) + D);
    }
  }
  const f = Math.max(1, feather);
  return d.map((v) => (v === 0 ? 0 : Math.min(1, v / f)));
}

/** original * (1 - alpha) + generated * alpha, per pixel; alpha 0 copies the original byte. */
export function blendRgb(original: Uint8Array, generated: Uint8Array, alpha: Float32Array): Uint8Array {
  const out = new Uint8Array(original.length);
  for (let k = 0; k < alpha.length; k++) {
    const a = alpha[k] as number;
    for (let ch = 0; ch < 3; ch++) {
      const i = k * 3 + ch;
      const o = original[i] as number;
      out[i] = a === 0 ? o : Math.round(o + a * ((generated[i] as number) - o));
    }
  }
  return out;
}

/** Interleaved RGB bytes resized by area averaging (used to bring the init image to the generation size). */
export function resizeRgbArea(rgb: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  if (w === outW && h === outH) return rgb;
  const n = w * h;
  const planar = new Float32Array(3 * n);
  for (let k = 0; k < n; k++) for (let ch = 0; ch < 3; ch++) planar[ch * n + k] = rgb[k * 3 + ch] as number;
  const r = resampleArea(planar, 3, w, h, outW, outH);
  const m = outW * outH;
  const out = new Uint8Array(3 * m);
  for (let k = 0; k < m; k++) for (let ch = 0; ch < 3; ch++) out[k * 3 + ch] = Math.round(r[ch * m + k] as number);
  return out;
}

/** A rectangle as a byte mask of an image (255 inside). */
export function rectMask(width: number, height: number, r: { x: number; y: number; width: number; height: number }): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let y = r.y; y < r.y + r.height; y++) mask.fill(255, y * width + r.x, y * width + r.x + r.width);
  return mask;
}
