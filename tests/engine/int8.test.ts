// Weight-only int8 (issue 7): the transformer blocks, their modulation and the text encoder
// stored as int8 with one scale per output channel. The built graphs shrink about fourfold and
// the decoded images stay close to fp32 (PSNR reported), with the same colours asked for.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import { imageStats } from './image-stats';
import { graphBytes, psnr, QUALITY_PROMPTS } from './measure';

const MODEL = join(import.meta.dirname, '../../native-models/default');

describe('weight-only int8', () => {
  it('shrinks the block graphs about fourfold and stays close to fp32 on the bundled model', async () => {
    const model = await loadPipelineModel(MODEL);
    const work = mkdtempSync(join(tmpdir(), 'int8-'));
    const fp32 = new QwenImagePipeline(model, { cacheDir: join(work, 'fp32'), threads: 2 });
    const int8 = new QwenImagePipeline(model, { cacheDir: join(work, 'int8'), threads: 2, precision: 'int8' });
    const scores: number[] = [];
    try {
      for (const [prompt, seed] of QUALITY_PROMPTS) {
        const params = { prompt, negativePrompt: ' ', width: 64, height: 64, steps: 16, cfg: 4, seed, model: MODEL };
        const a = await fp32.generate(params);
        const b = await int8.generate(params);
        scores.push(psnr(a.rgb, b.rgb));
        const [ma, mb] = [imageStats(a.rgb, 64, 64).mean, imageStats(b.rgb, 64, 64).mean];
        expect(Math.hypot(ma[0] - mb[0], ma[1] - mb[1], ma[2] - mb[2]), prompt).toBeLessThan(12);
      }
      console.log(`int8 vs fp32 PSNR (dB): ${scores.map((s) => s.toFixed(1)).join(', ')}`);
      for (const s of scores) expect(s).toBeGreaterThan(24);
      const ratio = graphBytes(join(work, 'int8'), 'blocks_') / graphBytes(join(work, 'fp32'), 'blocks_');
      expect(ratio).toBeGreaterThan(0.2);
      expect(ratio).toBeLessThan(0.32);
    } finally {
      await fp32.dispose();
      await int8.dispose();
    }
  }, 120_000);
});
