// Diffusion engine benchmark (npm run bench): time per denoising step (true CFG, two transformer
// passes) on a bench-size Qwen-Image-family model at 256x256, for
//   - the engine (pipeline code: embedding, block graphs, head, CFG, Euler step),
//   - the bare chain of session.run calls with the same sessions and prepared feeds,
//   - the PyTorch reference on the same weights and thread count (when python3-torch exists).
// Writes bench/results/engine.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { it } from 'vitest';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import { Rng } from '../../electron/engine/pipeline/rng';
import { eulerStep, flowMatchSchedule } from '../../electron/engine/pipeline/scheduler';
import { qwenImageRope, trueCfg } from '../../electron/engine/pipeline/tensors';
import { makeTinyQwenImage } from '../../tests/engine/tiny';
import { writeBenchResult } from './results';

const root = path.resolve(import.meta.dirname, '../..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const THREADS = 2;
const SIZE = 256;
const STEPS = 12;

it('engine benchmark', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-engine-'));
  const dir = path.join(work, 'model');
  await makeTinyQwenImage(dir, { size: 'bench', seed: 4 });
  const pipe = new QwenImagePipeline(await loadPipelineModel(dir), { cacheDir: path.join(work, 'cache'), threads: THREADS });
  const c = pipe.model.transformer;
  const D = c.num_attention_heads * c.attention_head_dim;
  const ph = SIZE / 16;
  const L = ph * ph;

  // Full job once (warms sessions), with stage timings.
  const t0 = performance.now();
  const job = await pipe.generate({
    prompt: 'red gradient background with gold dots',
    negativePrompt: ' ',
    width: SIZE,
    height: SIZE,
    steps: STEPS,
    cfg: 4,
    seed: 1,
    model: dir,
  });
  const jobMs = performance.now() - t0;

  // Engine: the loop body the pipeline runs per step.
  const cond = await pipe.encodePrompt('red gradient background with gold dots');
  const uncond = await pipe.encodePrompt(' ');
  const txtC = await pipe.embedText(cond);
  const txtU = await pipe.embedText(uncond);
  const schedule = flowMatchSchedule(STEPS, L);
  const mod = await pipe.modulation(schedule.timesteps);
  const ropeC = qwenImageRope(c.axes_dims_rope, cond.length, ph, ph);
  const ropeU = qwenImageRope(c.axes_dims_rope, uncond.length, ph, ph);
  const x = new Rng(2).normals(L * c.in_channels);
  const x0 = x.slice();
  // Bare chain: the same sessions and feeds, nothing but session.run.
  const sessions = (pipe as unknown as { sessions: Map<string, ort.InferenceSession> }).sessions;
  const imgIn = sessions.get('img_in') as ort.InferenceSession;
  const head = sessions.get('head') as ort.InferenceSession;
  const blocks = pipe.groups.map(([a, b]) => sessions.get(`blocks_${a}_${b}`) as ort.InferenceSession);
  const t = (d: Float32Array, dims: number[]) => new ort.Tensor('float32', d, dims);
  const feedsFor = (txt: Float32Array, T: number, rope: { cos: Float32Array; sin: Float32Array }, img: Float32Array) =>
    blocks.map((_, gi) => {
      const [a, b] = pipe.groups[gi] as [number, number];
      const k = b - a;
      return {
        img: t(img, [1, L, D]),
        txt: t(txt, [1, T, D]),
        mods: t((mod.mods[gi] as Float32Array).slice(0, k * 12 * D), [k, 12 * D]),
        rope_cos: t(rope.cos, [T + L, c.attention_head_dim / 2]),
        rope_sin: t(rope.sin, [T + L, c.attention_head_dim / 2]),
        attn_bias: t(new Float32Array(T + L), [1, 1, 1, T + L]),
      };
    });
  const img0 = await pipe.embedImage(x0, L);
  const fc = feedsFor(txtC, cond.length, ropeC, img0);
  const fu = feedsFor(txtU, uncond.length, ropeU, img0);
  const headFeed = { img: t(img0, [1, L, D]), out_mod: t(mod.outMod.slice(0, 2 * D), [1, 2 * D]) };
  const xin = { hidden_states: t(x0, [1, L, c.in_channels]) };
  // The engine's loop body and the bare chain of session.run calls, interleaved step by step so
  // background load affects both alike.
  const engine: number[] = [];
  const bare: number[] = [];
  const engineStep = async (i: number): Promise<number> => {
    const s = performance.now();
    const img = await pipe.embedImage(x, L);
    const v = await pipe.blocksAndHead(img, txtC, cond.length, L, i, mod, ropeC);
    const vu = await pipe.blocksAndHead(img, txtU, uncond.length, L, i, mod, ropeU);
    trueCfg(v, vu, 4, c.in_channels);
    eulerStep(x, v, schedule, i);
    return performance.now() - s;
  };
  const bareStep = async (): Promise<number> => {
    const s = performance.now();
    await imgIn.run(xin);
    for (const feeds of [fc, fu]) {
      for (const [gi, b] of blocks.entries()) await b.run(feeds[gi] as Record<string, ort.Tensor>);
      await head.run(headFeed);
    }
    return performance.now() - s;
  };
  // Alternate which goes first, so neither gains from the order.
  for (let i = 0; i < STEPS; i++) {
    if (i % 2) {
      bare.push(await bareStep());
      engine.push(await engineStep(i));
    } else {
      engine.push(await engineStep(i));
      bare.push(await bareStep());
    }
  }

  // PyTorch reference, same weights, same thread count.
  let torchMs: number | undefined;
  let torchNote = '';
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      [
        path.join(root, 'scripts/bench/torch_step.py'),
        '--model',
        dir,
        '--img-shape',
        `1,${ph},${ph}`,
        '--text-len',
        String(cond.length),
        '--neg-len',
        String(uncond.length),
        '--steps',
        String(STEPS),
        '--threads',
        String(THREADS),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    torchMs = (JSON.parse(out.trim().split('\n').at(-1) as string) as { median_ms: number }).median_ms;
  } catch (err) {
    torchNote = `PyTorch reference not run: ${String((err as Error).message).split('\n')[0]}`;
  }

  const result = {
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, ort: ort.env.versions.common },
    model: { transformer: c, image: `${SIZE}x${SIZE}`, imageTokens: L, textTokens: cond.length, threads: THREADS },
    job: { steps: STEPS, totalMs: r3(jobMs), ...Object.fromEntries(Object.entries(job.timings).map(([k, v]) => [k, r3(v)])) },
    stepMs: { engine: r3(median(engine)), bareSessionRuns: r3(median(bare)), pytorch: torchMs === undefined ? null : r3(torchMs) },
    ratios: {
      engineOverBare: r3(median(engine) / median(bare)),
      engineOverPytorch: torchMs === undefined ? null : r3(median(engine) / torchMs),
    },
    targets: { engineOverBare: '< 1.05', engineOverPytorch: '< 1.0' },
    note: torchNote || undefined,
  };
  writeBenchResult('engine', result);
  await pipe.dispose();
});
