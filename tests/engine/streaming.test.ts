// The executor runs the planner's plan (issue 7): with RAM budgets of 100%, 50% and 25% of the
// model's weights (over the plan's process and activation share) the image is bit-identical to
// the all-resident run, with and without prefetch; streamed block groups are loaded once a step
// for both CFG passes and once-a-job groups once a job; a budget too small for anything is
// refused with the smallest one that works, and that one runs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { type PipelineOptions, type QwenImageModel, QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import { type Plan, PlanError } from '../../electron/engine/plan/index';
import { makeTinyQwenImage } from './tiny';

const work = mkdtempSync(join(tmpdir(), 'streaming-'));
const dir = join(work, 'model');
let model: QwenImageModel;
const STEPS = 3;
const params = { prompt: 'red dots', negativePrompt: ' ', width: 128, height: 128, steps: STEPS, cfg: 4, seed: 9, model: dir };

beforeAll(async () => {
  await makeTinyQwenImage(dir, { size: 'bench', layers: 8 });
  model = await loadPipelineModel(dir);
}, 60_000);

const pipeline = (o: Partial<PipelineOptions> = {}) =>
  new QwenImagePipeline(model, { cacheDir: join(work, 'cache'), threads: 2, blockGroup: 1, ...o });

const weightBytes = (p: Plan) => p.groups.reduce((a, g) => a + g.bytes, 0);
const ram = (p: Plan) => p.devices.find((d) => d.kind === 'cpu');
const streamed = (p: Plan) => p.groups.filter((g) => g.placement === 'stream');

/** Every streamed group was loaded as often as the plan says: block groups once a step, the rest once a job. */
function expectLoads(pipe: QwenImagePipeline, plan: Plan): void {
  for (const g of streamed(plan)) {
    if (g.id === 'io') continue; // several graphs, each used every pass
    const name = g.id.startsWith('blocks')
      ? `blocks_${g.first}_${g.end}`
      : g.id.startsWith('mod')
        ? `mod_${g.first}_${g.end}`
        : (({ time: 'time', vae: 'vae_decoder' } as Record<string, string>)[g.id] ?? 'text_encoder');
    expect(pipe.loads.get(name), g.id).toBe(g.phase === 'denoise' ? STEPS : 1);
  }
  expect(pipe.streamLoads).toBe(streamed(plan).filter((g) => g.id.startsWith('blocks')).length * STEPS);
}

describe('executor runs the plan', () => {
  it('gives bit-identical images at 100%, 50% and 25% of the weights, prefetch on and off', async () => {
    const resident = pipeline();
    const reference = await resident.generate(params);
    const full = resident.activePlan as Plan;
    expect(streamed(full)).toEqual([]);
    expect(resident.loads.size).toBe(0);
    await resident.dispose();
    const host = ram(full)?.activationBytes as number;
    const weights = weightBytes(full);
    for (const share of [1, 0.5, 0.25]) {
      for (const prefetch of share === 0.25 ? [true, false] : [true]) {
        const p = pipeline({ ramBudgetBytes: host + Math.floor(weights * share), prefetch });
        const img = await p.generate(params);
        const plan = p.activePlan as Plan;
        const blocks = streamed(plan).filter((g) => g.id.startsWith('blocks')).length;
        if (share === 1) expect(streamed(plan)).toEqual([]);
        else expect(blocks, `${share}`).toBeGreaterThan(share === 0.5 ? 0 : 4);
        expect(ram(plan)?.peakBytes).toBeLessThanOrEqual(host + weights * share);
        expectLoads(p, plan);
        expect(Buffer.from(img.rgb).equals(Buffer.from(reference.rgb)), `budget ${share * 100}%, prefetch ${prefetch}`).toBe(true);
        await p.dispose();
      }
    }
  }, 180_000);

  it('refuses a budget too small for anything, naming the smallest that works, which then runs', async () => {
    const p = pipeline({ ramBudgetBytes: 1000 });
    const err = await p.generate(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanError);
    const min = (err as PlanError).minRamBytes;
    expect((err as Error).message).toContain(`(${min} bytes, --ram-budget`);
    await p.dispose();
    const ok = pipeline({ ramBudgetBytes: min });
    await expect(ok.generate({ ...params, steps: 1 })).resolves.toMatchObject({ width: 128 });
    expect(streamed(ok.activePlan as Plan).filter((g) => g.id.startsWith('blocks')).length).toBe(8);
    await ok.dispose();
    await expect(pipeline({ ramBudgetBytes: min - 1 }).generate(params)).rejects.toThrow(PlanError);
  }, 60_000);
});
