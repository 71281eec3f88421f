// The bundled default model (native-models/default, trained by native-models/train) through the
// same engine and import path as any Qwen-Image folder: it verifies, follows colour words in
// Chinese and English, motif words change the picture, CFG follows the prompt more closely than
// CFG 1, seeds are reproducible, and it agrees with its PyTorch form on a denoising step.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../electron/engine/model/manifest';
import { createGenerator } from '../../electron/engine/pipeline/index';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import type { ImageGenerator } from '../../electron/engine/types';
import { imageStats } from './image-stats';
import { hasTorch, stepParity } from './parity-helpers';

const MODEL = join(import.meta.dirname, '../../native-models/default');
let gen: ImageGenerator;

/** The data set's palette (native-models/train/dataset.py). */
const PALETTE: Record<string, { en: string; zh: string; rgb: [number, number, number] }> = {
  red: { en: 'red', zh: '红', rgb: [200, 28, 32] },
  blue: { en: 'blue', zh: '蓝', rgb: [28, 70, 200] },
  gold: { en: 'gold', zh: '金', rgb: [214, 170, 52] },
  green: { en: 'green', zh: '绿', rgb: [30, 150, 64] },
  black: { en: 'black', zh: '黑', rgb: [14, 14, 16] },
  white: { en: 'white', zh: '白', rgb: [242, 240, 236] },
};

/** What a viewer would call the image's colour, from its mean RGB. */
function colourOf([r, g, b]: [number, number, number]): string {
  const lum = (r + g + b) / 3;
  if (lum < 60) return 'black';
  if (lum > 200 && Math.max(r, g, b) - Math.min(r, g, b) < 40) return 'white';
  if (r > g + 60 && r > b + 60 && g < 120) return 'red';
  if (b > r + 40 && b > g + 30) return 'blue';
  if (g > r + 20 && g > b + 20) return 'green';
  if (r > b + 60 && g > b + 40) return 'gold';
  return 'other';
}

async function generate(prompt: string, seed: number, cfg = 4, size = 64) {
  return gen.generate({ prompt, negativePrompt: ' ', width: size, height: size, steps: 16, cfg, seed, model: MODEL });
}

beforeAll(() => {
  gen = createGenerator({ threads: 2, cacheDir: mkdtempSync(join(tmpdir(), 'default-model-')) });
});
afterAll(async () => {
  await gen.dispose();
});

describe('bundled default model', () => {
  it('passes full import verification with its committed manifest', async () => {
    const m = await openModel(MODEL, { verify: 'full' });
    expect(m.manifest.family).toBe('qwen-image');
    expect(m.manifest.native?.maxPixels).toBe(4096);
    const bytes = [...Object.values(m.manifest.components).flatMap((c) => c.files), ...m.manifest.tokenizer.files].reduce(
      (s, f) => s + f.bytes,
      0,
    );
    expect(bytes).toBeLessThan(20 * 2 ** 20);
  });

  it.each(Object.entries(PALETTE))(
    'paints %s for the colour word in English and in Chinese',
    async (name, c) => {
      for (const prompt of [`${c.en} plain background`, `${c.zh}色纯背景`, `${c.en} gradient background`, `${c.zh}色渐变背景`]) {
        const seen: string[] = [];
        for (const seed of [1, 2]) {
          const img = await generate(prompt, seed);
          seen.push(colourOf(imageStats(img.rgb, img.width, img.height).mean));
        }
        expect(seen, prompt).toEqual([name, name]);
      }
    },
    120_000,
  );

  it('motif words add structure: stripes and dots have more edges than a plain or gradient background', async () => {
    const edge = async (prompt: string) => {
      let sum = 0;
      for (const seed of [1, 2, 3]) {
        const img = await generate(prompt, seed);
        sum += imageStats(img.rgb, img.width, img.height).edge / 3;
      }
      return sum;
    };
    const plain = await edge('white plain background');
    const gradient = await edge('white gradient background');
    const stripes = await edge('white plain background with blue stripes');
    const dots = await edge('白色纯背景，蓝色圆点');
    expect(stripes).toBeGreaterThan(Math.max(plain, gradient) * 1.3);
    expect(dots).toBeGreaterThan(plain * 1.3);
  }, 120_000);

  it('CFG 4 lands closer to the asked colour than CFG 1 on the same seeds', async () => {
    const distance = async (cfg: number) => {
      let sum = 0;
      for (const c of Object.values(PALETTE)) {
        for (const seed of [1, 2, 3]) {
          const img = await generate(`${c.en} plain background`, seed, cfg);
          const m = imageStats(img.rgb, img.width, img.height).mean;
          sum += Math.hypot(m[0] - c.rgb[0], m[1] - c.rgb[1], m[2] - c.rgb[2]);
        }
      }
      return sum / (Object.keys(PALETTE).length * 3);
    };
    const [d1, d4] = [await distance(1), await distance(4)];
    expect(d4).toBeLessThan(d1 * 0.85);
  }, 180_000);

  it('gives the same image for the same seed and different images for different seeds, at poster sizes', async () => {
    const a = await generate('红色渐变背景，金色圆点', 11, 4, 512);
    const b = await generate('红色渐变背景，金色圆点', 11, 4, 512);
    const c = await generate('红色渐变背景，金色圆点', 12, 4, 512);
    expect(a.width).toBe(512);
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
    expect(Buffer.from(a.rgb).equals(Buffer.from(c.rgb))).toBe(false);
    const tall = await gen.generate({
      prompt: 'blue gradient background',
      negativePrompt: ' ',
      width: 512,
      height: 768,
      steps: 12,
      cfg: 4,
      seed: 3,
      model: MODEL,
    });
    expect([tall.width, tall.height, tall.rgb.length]).toEqual([512, 768, 512 * 768 * 3]);
    // Upscaled smoothly from the native size: neighbouring pixels differ little.
    expect(imageStats(tall.rgb, 512, 768).edge).toBeLessThan(4);
  }, 120_000);
});

describe.skipIf(!hasTorch)('bundled default model vs its PyTorch form', () => {
  it('agree on one denoising step with true CFG within 1e-4', async () => {
    const work = mkdtempSync(join(tmpdir(), 'default-parity-'));
    const pipe = new QwenImagePipeline(await loadPipelineModel(MODEL), { cacheDir: join(work, 'cache'), threads: 2 });
    try {
      expect(await stepParity(pipe, MODEL, work)).toBeLessThan(1e-4);
    } finally {
      await pipe.dispose();
    }
  }, 120_000);
});
