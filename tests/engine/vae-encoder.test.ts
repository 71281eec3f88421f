// Parity of the engine's VAE encoder graph (posterior mean, single frame) with the PyTorch
// reference's Encoder3d + quant_conv on a tiny model, within 1e-4 in fp32; and the latents
// normalisation the denoiser expects, checked against the decoder: decode(encode(x)) is the
// reference's own round trip.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeImage } from '../../electron/engine/pipeline/inpaint';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import { Rng } from '../../electron/engine/pipeline/rng';
import { hasTorch, maxDiff, PY, REFERENCE_CLI, runReference } from './parity-helpers';

const TOL = 1e-4;

describe.skipIf(!hasTorch)('VAE encoder parity with the PyTorch reference (tiny model)', { timeout: 120_000 }, () => {
  let dir = '';
  let work = '';
  let pipe: QwenImagePipeline;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vae-enc-'));
    dir = join(work, 'tiny');
    execFileSync(PY, [REFERENCE_CLI, 'make-tiny', '--out', dir, '--seed', '5'], { stdio: 'pipe' });
    pipe = new QwenImagePipeline(await loadPipelineModel(dir), { cacheDir: join(work, 'cache'), threads: 2 });
  }, 120_000);

  it('posterior mean within 1e-4, normalised with latents_mean/std', async () => {
    const H = 24;
    const W = 40;
    const image = new Rng(8).normals(3 * H * W).map((v) => Math.max(-1, Math.min(1, v * 0.6)));
    const ref = await runReference(dir, work, 'vae-encode', { image: { shape: [1, 3, 1, H, W], data: image } });
    const want = await ref.readFloat32('latent_mean');
    await ref.close();
    const v = pipe.model.vae;
    const n = (H / 8) * (W / 8);
    expect(want.length).toBe(v.z_dim * n);
    const ours = await encodeImage(pipe, image, H, W);
    // Undo the normalisation to compare with the raw posterior mean.
    const raw = ours.map((x, k) => {
      const ch = Math.floor(k / n);
      return x * (v.latents_std[ch] as number) + (v.latents_mean[ch] as number);
    });
    expect(maxDiff(raw, want)).toBeLessThan(TOL);
    // And the normalised values are what the pipeline's decoder takes back.
    const normalised = want.map((x, k) => {
      const ch = Math.floor(k / n);
      return (x - (v.latents_mean[ch] as number)) / (v.latents_std[ch] as number);
    });
    expect(maxDiff(ours, normalised)).toBeLessThan(TOL);
  });

  it('refuses in words a model without encoder weights', async () => {
    const weights = await pipe.model.openWeights('vae');
    const { buildVaeEncoderGraph } = await import('../../electron/engine/graphs/vae-encoder');
    const decoderOnly = {
      shape: (name: string) => (name.startsWith('encoder.') ? undefined : weights.shape(name)),
      readFloat32: weights.readFloat32.bind(weights),
    };
    await expect(buildVaeEncoderGraph(pipe.model.vae, decoderOnly)).rejects.toThrow(/no VAE encoder weights/);
    await weights.close();
  });
});
