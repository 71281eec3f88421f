// Region regeneration benchmark (npm run bench): seconds to repaint the middle half of a
// 512x512 and a 1024x1024 image with the bundled model (20 steps, CFG 4), next to a
// text-to-image job of the same size, and where the time goes (encode = VAE encode + prompt,
// denoise, decode = VAE decode + resize + feathered blend). Writes bench/results/inpaint.json.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { createGenerator } from '../../electron/engine/pipeline/index';
import { rectMask } from '../../electron/engine/pipeline/region-mask';
import type { GeneratedImage } from '../../electron/engine/types';
import { writeBenchResult } from './results';

const root = path.resolve(import.meta.dirname, '../..');
const MODEL = path.join(root, 'native-models/default');
const THREADS = 2;
const STEPS = 20;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

it('region regeneration benchmark', async () => {
  const gen = createGenerator({ threads: THREADS, cacheDir: mkdtempSync(path.join(os.tmpdir(), 'bench-inpaint-')) });
  const base = { negativePrompt: ' ', steps: STEPS, cfg: 4, model: MODEL };
  const sizes: Record<string, unknown> = {};
  try {
    for (const size of [512, 1024]) {
      const init = await gen.generate({ ...base, prompt: 'blue gradient background', width: size, height: size, seed: 1 });
      const mask = rectMask(size, size, { x: size / 4, y: size / 4, width: size / 2, height: size / 2 });
      const region = { width: size, height: size, rgb: init.rgb, mask };
      await gen.generate({ ...base, prompt: 'red plain background', width: size, height: size, seed: 0, region }); // warm the encoder graph
      const t2i: number[] = [];
      const runs: { total: number; image: GeneratedImage }[] = [];
      for (let seed = 1; seed <= 3; seed++) {
        let t0 = performance.now();
        await gen.generate({ ...base, prompt: 'red plain background', width: size, height: size, seed });
        t2i.push((performance.now() - t0) / 1000);
        t0 = performance.now();
        const image = await gen.generate({ ...base, prompt: 'red plain background', width: size, height: size, seed, region });
        runs.push({ total: (performance.now() - t0) / 1000, image });
      }
      const pick = (f: (t: GeneratedImage['timings']) => number) => r3(median(runs.map((r) => f(r.image.timings) / 1000)));
      sizes[`${size}x${size}`] = {
        regionSeconds: r3(median(runs.map((r) => r.total))),
        textToImageSeconds: r3(median(t2i)),
        stages: {
          encodeSeconds: pick((t) => t.encodeMs),
          denoiseSeconds: pick((t) => t.denoiseMs),
          decodeBlendSeconds: pick((t) => t.decodeMs),
        },
      };
    }
  } finally {
    await gen.dispose();
  }
  const result = {
    machine: { cpus: os.cpus().length, threads: THREADS },
    steps: STEPS,
    cfg: 4,
    mask: 'the middle half (a centred square of half the side)',
    sizes,
    date: new Date().toISOString(),
  };
  writeBenchResult('inpaint', result);
});
