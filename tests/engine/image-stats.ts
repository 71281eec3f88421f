// Simple image statistics for checking what a generated picture shows: mean colour, edge
// energy (how much fine structure), and orientation coherence of the gradients (stripes are
// strongly oriented, dots and noise are not).
export interface ImageStats {
  mean: [number, number, number];
  /** Mean gradient magnitude of the luminance, in 0-255 units per pixel. */
  edge: number;
  /** 0 (isotropic) .. 1 (all gradients along one direction), from the structure tensor. */
  coherence: number;
}

export function imageStats(rgb: Uint8Array, width: number, height: number): ImageStats {
  const n = width * height;
  const mean: [number, number, number] = [0, 0, 0];
  const lum = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const r = rgb[k * 3] as number;
    const g = rgb[k * 3 + 1] as number;
    const b = rgb[k * 3 + 2] as number;
    mean[0] += r / n;
    mean[1] += g / n;
    mean[2] += b / n;
    lum[k] = 0.299 * r + 0.587 * g + 0.114 * b;
  }
  let edge = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const gx = ((lum[y * width + x + 1] as number) - (lum[y * width + x - 1] as number)) / 2;
      const gy = ((lum[(y + 1) * width + x] as number) - (lum[(y - 1) * width + x] as number)) / 2;
      edge += Math.hypot(gx, gy);
      sxx += gx * gx;
      syy += gy * gy;
      sxy += gx * gy;
    }
  }
  edge /= (width - 2) * (height - 2);
  const tr = sxx + syy;
  const coherence = tr > 0 ? Math.sqrt((sxx - syy) ** 2 + 4 * sxy * sxy) / tr : 0;
  return { mean, edge, coherence };
}
