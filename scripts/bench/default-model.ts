// Bundled default model benchmark (npm run bench): seconds per image at 512x512 and 1024x1024
// with the default steps (20, CFG 4) on this machine, the engine against the PyTorch reference
// on the same weights and thread count. The model generates at its native 64x64 and the engine
// upscales; the reference does the same model work without the upscale.
// Writes bench/results/default-model.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import { writeBenchResult } from './results';

const root = path.resolve(import.meta.dirname, '../..');
const MODEL = path.join(root, 'native-models/default');
const THREADS = 2;
const STEPS = 20;
const PROMPT = '红色渐变背景，金色圆点';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

it('default model benchmark', async () => {
  const model = await loadPipelineModel(MODEL);
  const pipe = new QwenImagePipeline(model, { cacheDir: mkdtempSync(path.join(os.tmpdir(), 'bench-default-')), threads: THREADS });
  await pipe.generate({ prompt: PROMPT, negativePrompt: ' ', width: 64, height: 64, steps: 2, cfg: 4, seed: 0, model: MODEL });
  const sizes: Record<string, { engineSeconds: number; pytorchSeconds: number | null; ratio: number | null }> = {};
  const native = Math.sqrt(model.nativeMaxPixels ?? 4096);
  let torch: number | null = null;
  let note: string | undefined;
  try {
    const ids = await model.tokenize(PROMPT);
    const neg = await model.tokenize(' ');
    const runs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const out = execFileSync(
        '/usr/bin/python3',
        [
          path.join(root, 'scripts/bench/torch_generate.py'),
          '--model',
          MODEL,
          '--ids',
          ids.join(','),
          '--neg-ids',
          neg.join(','),
          '--drop',
          String(model.prompt.dropTokens),
          '--size',
          String(native),
          '--steps',
          String(STEPS),
          '--threads',
          String(THREADS),
        ],
        { encoding: 'utf8' },
      );
      runs.push((JSON.parse(out.trim().split('\n').at(-1) as string) as { seconds: number }).seconds);
    }
    torch = median(runs);
  } catch (err) {
    note = `PyTorch reference not run: ${String((err as Error).message).split('\n')[0]}`;
  }
  for (const size of [512, 1024]) {
    const times: number[] = [];
    for (let seed = 1; seed <= 3; seed++) {
      const t0 = performance.now();
      await pipe.generate({ prompt: PROMPT, negativePrompt: ' ', width: size, height: size, steps: STEPS, cfg: 4, seed, model: MODEL });
      times.push((performance.now() - t0) / 1000);
    }
    const engine = median(times);
    sizes[`${size}x${size}`] = {
      engineSeconds: r3(engine),
      pytorchSeconds: torch === null ? null : r3(torch),
      ratio: torch === null ? null : r3(engine / torch),
    };
  }
  const result = {
    machine: { cpus: os.cpus().length, threads: THREADS },
    steps: STEPS,
    cfg: 4,
    nativeSize: `${native}x${native}`,
    sizes,
    note,
  };
  writeBenchResult('default-model', result);
  await pipe.dispose();
});
