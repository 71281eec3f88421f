/**
 * Step previews: a linear map from a latent vector to RGB, fitted per model by decoding a few
 * small latents with the model's own VAE and solving least squares (so it needs no per-model
 * table), then applied to the predicted clean latents at latent resolution.
 */
import { Rng } from './rng.js';

export interface PreviewProjection {
  /** (C + 1) x 3, the last row the bias. */
  m: Float64Array;
  channels: number;
}

type Decode = (latents: Float32Array, h: number, w: number) => Promise<Float32Array>;

const SIZE = 4;

/** Solves A x = b for a symmetric positive (semi-)definite A by Gaussian elimination with a ridge. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) m[i * n + i] = (m[i * n + i] as number) + 1e-6;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col] as number) > Math.abs(m[piv * n + col] as number)) piv = r;
    if (piv !== col) {
      for (let k = 0; k < n; k++) {
        const t = m[col * n + k] as number;
        m[col * n + k] = m[piv * n + k] as number;
        m[piv * n + k] = t;
      }
      const t = x[col] as number;
      x[col] = x[piv] as number;
      x[piv] = t;
    }
    const d = m[col * n + col] as number;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = (m[r * n + col] as number) / d;
      if (!f) continue;
      for (let k = col; k < n; k++) m[r * n + k] = (m[r * n + k] as number) - f * (m[col * n + k] as number);
      x[r] = (x[r] as number) - f * (x[col] as number);
    }
  }
  for (let i = 0; i < n; i++) x[i] = (x[i] as number) / (m[i * n + i] as number);
  return x;
}

export async function fitPreview(channels: number, decode: Decode, samples = 12): Promise<PreviewProjection> {
  const n = channels + 1;
  const ata = new Float64Array(n * n);
  const atb = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const rng = new Rng(0x5eed);
  const cells = SIZE * SIZE;
  const px = SIZE * 8;
  for (let s = 0; s < samples; s++) {
    const base = rng.normals(channels);
    const lat = new Float32Array(channels * cells);
    for (let ch = 0; ch < channels; ch++) for (let k = 0; k < cells; k++) lat[ch * cells + k] = (base[ch] as number) + 0.3 * rng.normal();
    const img = await decode(lat, SIZE, SIZE);
    for (let cy = 0; cy < SIZE; cy++) {
      for (let cx = 0; cx < SIZE; cx++) {
        const row = new Float64Array(n);
        for (let ch = 0; ch < channels; ch++) row[ch] = lat[ch * cells + cy * SIZE + cx] as number;
        row[channels] = 1;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) ata[i * n + j] = (ata[i * n + j] as number) + (row[i] as number) * (row[j] as number);
        for (let rgb = 0; rgb < 3; rgb++) {
          let sum = 0;
          for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) sum += img[rgb * px * px + (cy * 8 + y) * px + cx * 8 + x] as number;
          const t = atb[rgb] as Float64Array;
          for (let i = 0; i < n; i++) t[i] = (t[i] as number) + (row[i] as number) * (sum / 64);
        }
      }
    }
  }
  const m = new Float64Array(n * 3);
  for (let rgb = 0; rgb < 3; rgb++) {
    const col = solve(ata, atb[rgb] as Float64Array, n);
    for (let i = 0; i < n; i++) m[i * 3 + rgb] = col[i] as number;
  }
  return { m, channels };
}

/** Normalised latents [C,h,w] -> an h x w RGB preview. */
export function previewRgb(
  p: PreviewProjection,
  latents: Float32Array,
  channels: number,
  h: number,
  w: number,
): { width: number; height: number; rgb: Uint8Array } {
  const rgb = new Uint8Array(h * w * 3);
  for (let k = 0; k < h * w; k++) {
    for (let c = 0; c < 3; c++) {
      let v = p.m[channels * 3 + c] as number;
      for (let ch = 0; ch < channels; ch++) v += (latents[ch * h * w + k] as number) * (p.m[ch * 3 + c] as number);
      rgb[k * 3 + c] = Math.max(0, Math.min(255, Math.round((v / 2 + 0.5) * 255)));
    }
  }
  return { width: w, height: h, rgb };
}
