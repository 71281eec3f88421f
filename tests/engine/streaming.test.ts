// Block-group streaming under a memory budget (issue 7): with budgets of 100%, 50% and 25% of
// the block weights the image is bit-identical to the all-resident run; groups that do not fit
// are loaded once a step for both CFG passes; a budget below two groups is refused with the
// smallest one that works.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { BudgetError, type QwenImageModel, QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
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

const pipeline = (blockBudgetBytes?: number) =>
  new QwenImagePipeline(model, { cacheDir: join(work, 'cache'), threads: 2, blockGroup: 1, blockBudgetBytes });

describe('block streaming', () => {
  it('gives bit-identical images at 100%, 50% and 25% of the block weights, loading each streamed group once a step', async () => {
    const resident = pipeline();
    const reference = await resident.generate(params);
    expect(resident.placement).toEqual(new Array(8).fill('resident'));
    expect(resident.streamLoads).toBe(0);
    await resident.dispose();
    const total =
      8 *
      (await (async () => {
        const p = pipeline(0.25 * 1e12);
        await p.plan();
        const bytes = (p as unknown as { cache: { weightBytes(n: string): number } }).cache.weightBytes('blocks_0_1');
        await p.dispose();
        return bytes;
      })());
    for (const share of [1, 0.5, 0.25]) {
      const p = pipeline(Math.floor(total * share));
      const img = await p.generate(params);
      const streamed = (p.placement ?? []).filter((x) => x === 'stream').length;
      if (share === 1) expect(streamed).toBe(0);
      else expect(streamed).toBeGreaterThan(share === 0.5 ? 2 : 5);
      // One load per streamed group per step, although every step runs two passes (CFG).
      expect(p.streamLoads).toBe(streamed * STEPS);
      expect(Buffer.from(img.rgb).equals(Buffer.from(reference.rgb)), `budget ${share * 100}%`).toBe(true);
      await p.dispose();
    }
  }, 120_000);

  it('refuses a budget below two groups and names the smallest that works', async () => {
    const p = pipeline(1000);
    const err = await p.generate(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetError);
    const min = (err as BudgetError).minimumBytes;
    expect((err as Error).message).toContain(`at least ${min} bytes`);
    await p.dispose();
    const ok = pipeline(min);
    await expect(ok.generate({ ...params, steps: 1 })).resolves.toMatchObject({ width: 128 });
    expect(ok.placement?.every((x) => x === 'stream')).toBe(true);
    await ok.dispose();
  }, 60_000);
});
