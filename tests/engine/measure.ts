// Small measuring helpers the engine tests and benchmarks share: image PSNR, bytes of cached
// graphs on disk, and a seeded uniform generator for test matrices.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Peak signal-to-noise ratio of two 8-bit images of the same size, in dB (Infinity if equal). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += ((a[i] as number) - (b[i] as number)) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

/** Bytes on disk under `cache` of the graph files whose names start with `prefix` (weights, and the .onnx too if asked). */
export function graphBytes(cache: string, prefix: string, exts: readonly string[] = ['.bin']): number {
  let total = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.startsWith(prefix) && exts.some((e) => name.endsWith(e))) total += statSync(p).size;
    }
  };
  walk(cache);
  return total;
}

/** n values uniform in [-0.5, 0.5) times `scale`, from a 32-bit LCG: the same on every machine. */
export function rand(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * scale;
  }
  return out;
}

/** The prompts (and seeds) the precision tests and benchmarks compare formats on. */
export const QUALITY_PROMPTS = [
  ['red gradient background', 1],
  ['蓝色纯背景，金色圆点', 2],
  ['white plain background with blue stripes', 3],
] as const;
