/**
 * Smooth upscaling of generated RGB images (for small models trained below the asked size):
 * separable bicubic (Catmull-Rom), centres aligned, edges clamped.
 */
function cubic(x: number): number {
  const a = Math.abs(x);
  if (a < 1) return 1.5 * a ** 3 - 2.5 * a ** 2 + 1;
  if (a < 2) return -0.5 * a ** 3 + 2.5 * a ** 2 - 4 * a + 2;
  return 0;
}

function weights(src: number, dst: number): { index: Int32Array; w: Float32Array } {
  const index = new Int32Array(dst * 4);
  const w = new Float32Array(dst * 4);
  const scale = src / dst;
  for (let i = 0; i < dst; i++) {
    const x = (i + 0.5) * scale - 0.5;
    const x0 = Math.floor(x) - 1;
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      const wk = cubic(x - (x0 + k));
      index[i * 4 + k] = Math.min(src - 1, Math.max(0, x0 + k));
      w[i * 4 + k] = wk;
      sum += wk;
    }
    for (let k = 0; k < 4; k++) w[i * 4 + k] = (w[i * 4 + k] as number) / sum;
  }
  return { index, w };
}

export function resizeRgb(rgb: Uint8Array, width: number, height: number, outW: number, outH: number): Uint8Array {
  if (width === outW && height === outH) return rgb;
  const wx = weights(width, outW);
  const wy = weights(height, outH);
  const tmp = new Float32Array(outW * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outW; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let k = 0; k < 4; k++)
          v += (wx.w[x * 4 + k] as number) * (rgb[(y * width + (wx.index[x * 4 + k] as number)) * 3 + c] as number);
        tmp[(y * outW + x) * 3 + c] = v;
      }
    }
  }
  const out = new Uint8Array(outW * outH * 3);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let k = 0; k < 4; k++)
          v += (wy.w[y * 4 + k] as number) * (tmp[((wy.index[y * 4 + k] as number) * outW + x) * 3 + c] as number);
        out[(y * outW + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return out;
}

/** The size to generate at for a model whose native resolution is `maxPixels`: same aspect, multiples of 16. */
export function nativeSize(width: number, height: number, maxPixels: number | undefined): { width: number; height: number } {
  if (!maxPixels || width * height <= maxPixels) return { width, height };
  const s = Math.sqrt(maxPixels / (width * height));
  const round16 = (v: number) => Math.max(16, Math.round(v / 16) * 16);
  return { width: round16(width * s), height: round16(height * s) };
}
