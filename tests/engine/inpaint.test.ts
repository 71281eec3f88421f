// Region regeneration (inpainting) with the bundled default model: the masked area is painted
// again from the prompt, pixels outside the mask stay the original's byte for byte (the
// tolerance is zero: the feather lies inside the mask), strength trades change for faithfulness,
// and unusable regions are refused in words. Plus the pixel helpers it stands on.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenerator } from '../../electron/engine/pipeline/index';
import { encodeImage, generationSize } from '../../electron/engine/pipeline/inpaint';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { QwenImagePipeline, toRgb } from '../../electron/engine/pipeline/qwen-image';
import { featherAlpha, latentMask, rectMask, resampleArea, rgbToPlanar } from '../../electron/engine/pipeline/region-mask';
import type { GeneratedImage, ImageGenerator } from '../../electron/engine/types';

const MODEL = join(import.meta.dirname, '../../native-models/default');
const SIZE = 256;
const RECT = { x: 64, y: 96, width: 128, height: 96 };
const base = { negativePrompt: ' ', steps: 16, cfg: 4, model: MODEL, width: SIZE, height: SIZE };
let gen: ImageGenerator;
let init: GeneratedImage;

function inRect(x: number, y: number, r: typeof RECT, margin = 0): boolean {
  return x >= r.x + margin && x < r.x + r.width - margin && y >= r.y + margin && y < r.y + r.height - margin;
}

/** Mean absolute difference per channel and mean colour of `b`, over the pixels `where` picks. */
function compare(a: Uint8Array, b: Uint8Array, where: (x: number, y: number) => boolean) {
  let diff = 0;
  let max = 0;
  let n = 0;
  const mean = [0, 0, 0];
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      if (!where(x, y)) continue;
      n++;
      for (let c = 0; c < 3; c++) {
        const k = (y * SIZE + x) * 3 + c;
        const d = Math.abs((a[k] as number) - (b[k] as number));
        diff += d;
        max = Math.max(max, d);
        mean[c] = (mean[c] as number) + (b[k] as number);
      }
    }
  }
  return { meanDiff: diff / (3 * n), maxDiff: max, mean: mean.map((v) => v / n) as [number, number, number] };
}

beforeAll(async () => {
  gen = createGenerator({ threads: 2, cacheDir: mkdtempSync(join(tmpdir(), 'inpaint-')) });
  init = await gen.generate({ ...base, prompt: 'blue plain background', seed: 1 });
}, 120_000);
afterAll(async () => {
  await gen.dispose();
});

describe('regenerate a region with the bundled model', { timeout: 120_000 }, () => {
  const region = (strength?: number) => ({ width: SIZE, height: SIZE, rgb: init.rgb, mask: rectMask(SIZE, SIZE, RECT), strength });

  it('repaints inside the mask from the prompt and keeps every pixel outside it', async () => {
    const out = await gen.generate({ ...base, prompt: 'red plain background', seed: 2, region: region() });
    expect([out.width, out.height]).toEqual([SIZE, SIZE]);
    const before = compare(init.rgb, init.rgb, (x, y) => inRect(x, y, RECT, 4)).mean;
    expect(before[2]).toBeGreaterThan(before[0] + 60); // the original is blue there
    const inside = compare(init.rgb, out.rgb, (x, y) => inRect(x, y, RECT, 4));
    expect(inside.meanDiff).toBeGreaterThan(40);
    const [r, g, b] = inside.mean;
    expect(r).toBeGreaterThan(b + 60); // and now red, as asked
    expect(r).toBeGreaterThan(g + 60);
    const outside = compare(init.rgb, out.rgb, (x, y) => !inRect(x, y, RECT));
    expect(outside.maxDiff).toBe(0);
  });

  it('blends the edge: the first pixels inside the mask lie between the original and the new paint', async () => {
    const out = await gen.generate({ ...base, prompt: 'red plain background', seed: 2, region: region() });
    const y = RECT.y + RECT.height / 2;
    const red = (x: number) => (out.rgb[(y * SIZE + x) * 3] as number) - (init.rgb[(y * SIZE + x) * 3] as number);
    const ramp = [0, 1, 2, 3, 6].map((d) => red(RECT.x + d));
    expect(ramp[0]).toBeGreaterThan(0);
    expect(ramp[0]).toBeLessThan(ramp[4] as number);
    for (let i = 1; i < ramp.length; i++) expect(ramp[i] as number).toBeGreaterThanOrEqual((ramp[i - 1] as number) - 2);
  });

  it('is reproducible, and a lower strength keeps more of the original', async () => {
    const a = await gen.generate({ ...base, prompt: 'red plain background', seed: 3, region: region() });
    const again = await gen.generate({ ...base, prompt: 'red plain background', seed: 3, region: region() });
    expect(Buffer.from(again.rgb).equals(Buffer.from(a.rgb))).toBe(true);
    const weak = await gen.generate({ ...base, prompt: 'red plain background', seed: 3, region: region(0.3) });
    const strong = compare(init.rgb, a.rgb, (x, y) => inRect(x, y, RECT, 4)).meanDiff;
    const light = compare(init.rgb, weak.rgb, (x, y) => inRect(x, y, RECT, 4)).meanDiff;
    expect(light).toBeLessThan(strong / 2);
    expect(compare(init.rgb, weak.rgb, (x, y) => !inRect(x, y, RECT)).maxDiff).toBe(0);
  });

  it('takes images of any size and returns that size (generated at the native size, resized back)', async () => {
    const w = 200;
    const h = 120;
    const rgb = new Uint8Array(w * h * 3);
    for (let k = 0; k < w * h; k++) rgb.set([20, 60, 200], k * 3);
    const mask = rectMask(w, h, { x: 150, y: 0, width: 50, height: 120 });
    const out = await gen.generate({ ...base, prompt: 'gold plain background', seed: 4, region: { width: w, height: h, rgb, mask } });
    expect([out.width, out.height, out.rgb.length]).toEqual([w, h, w * h * 3]);
    for (let y = 0; y < h; y++) for (let x = 0; x < 150; x++) expect(out.rgb[(y * w + x) * 3 + 2]).toBe(200);
    expect(out.rgb[(60 * w + 190) * 3 + 2]).toBeLessThan(150);
  });

  it('refuses an empty mask or one that does not match the image, in words', async () => {
    const empty = { width: SIZE, height: SIZE, rgb: init.rgb, mask: new Uint8Array(SIZE * SIZE) };
    await expect(gen.generate({ ...base, prompt: 'red', seed: 1, region: empty })).rejects.toThrow(/mask is empty/);
    const short = { ...empty, mask: new Uint8Array(10).fill(255) };
    await expect(gen.generate({ ...base, prompt: 'red', seed: 1, region: short })).rejects.toThrow(/one per image pixel/);
    const tooStrong = { ...empty, mask: rectMask(SIZE, SIZE, RECT), strength: 1.5 };
    await expect(gen.generate({ ...base, prompt: 'red', seed: 1, region: tooStrong })).rejects.toThrow(/strength/);
  });
});

describe('the bundled VAE encoder', () => {
  it('encodes what the decoder turns back into the same picture (normalisation matches the pipeline)', async () => {
    const pipe = new QwenImagePipeline(await loadPipelineModel(MODEL), {
      cacheDir: mkdtempSync(join(tmpdir(), 'inpaint-vae-')),
      threads: 2,
    });
    try {
      for (const prompt of ['gold dots on red background', 'blue stripes']) {
        const img = await gen.generate({ ...base, width: 64, height: 64, prompt, seed: 3 });
        const latents = await encodeImage(pipe, rgbToPlanar(img.rgb, 64, 64), 64, 64);
        const back = toRgb(await pipe.decodeLatents(latents, 8, 8), 64, 64);
        const mean = img.rgb.reduce((a, b) => a + b, 0) / img.rgb.length;
        let err = 0;
        let spread = 0;
        for (let k = 0; k < back.length; k++) {
          err += Math.abs((back[k] as number) - (img.rgb[k] as number)) / back.length;
          spread += Math.abs((img.rgb[k] as number) - mean) / back.length;
        }
        expect(err, prompt).toBeLessThan(12);
        expect(spread, prompt).toBeGreaterThan(3 * err);
      }
    } finally {
      await pipe.dispose();
    }
  }, 60_000);
});

describe('region pixel helpers', () => {
  it('generation size: native pixels for small models, the image size rounded to 16 otherwise', () => {
    expect(generationSize(512, 512, 4096)).toEqual({ width: 64, height: 64 });
    expect(generationSize(1000, 500, 4096)).toEqual({ width: 96, height: 48 });
    expect(generationSize(200, 120, undefined)).toEqual({ width: 208, height: 128 });
    expect(generationSize(4000, 1000, undefined)).toEqual({ width: 2048, height: 512 });
  });

  it('area resampling keeps a mask coverage and an image mean', () => {
    const m = new Float32Array(8 * 8);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) m[y * 8 + x] = 1;
    const small = resampleArea(m, 1, 8, 8, 2, 2);
    expect(Array.from(small)).toEqual([1, 1, 0, 0]);
    const odd = resampleArea(
      Float32Array.from({ length: 9 }, (_, i) => i),
      1,
      3,
      3,
      2,
      2,
    );
    const meanOdd = odd.reduce((s, v) => s + v, 0) / 4;
    expect(meanOdd).toBeCloseTo(4, 5);
  });

  it('latent mask covers every touched cell plus a one-cell margin', () => {
    const mask = rectMask(64, 64, { x: 24, y: 24, width: 4, height: 4 });
    const cells = latentMask(mask, 64, 64, 8, 8);
    const on = [...cells.keys()].filter((k) => cells[k]).map((k) => [k % 8, Math.floor(k / 8)]);
    expect(on.length).toBe(9);
    expect(on).toContainEqual([3, 3]);
    expect(on).toContainEqual([2, 2]);
    expect(on).toContainEqual([4, 4]);
  });

  it('feather: 0 outside, ramps over the feather width inside, no ramp along the image border', () => {
    const mask = rectMask(32, 32, { x: 0, y: 8, width: 20, height: 16 });
    const a = featherAlpha(mask, 32, 32, 4);
    const at = (x: number, y: number) => a[y * 32 + x] as number;
    expect(at(25, 16)).toBe(0);
    expect(at(19, 16)).toBeCloseTo(0.25, 5);
    expect(at(18, 16)).toBeCloseTo(0.5, 5);
    expect(at(10, 16)).toBe(1);
    expect(at(0, 16)).toBe(1); // the image border is not an edge to blend
  });
});
