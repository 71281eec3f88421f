// Parity of the ONNX engine with the independent PyTorch reference
// (native-models/qwen-image/reference, Debian's python3-torch) on a tiny Qwen-Image-family
// model: text encoder, every transformer block, the VAE decoder and one full denoising step
// within 1e-4 in fp32; scheduler sigmas and timesteps bit for bit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsReader } from '../../electron/engine/model/safetensors';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import { Rng } from '../../electron/engine/pipeline/rng';
import { flowMatchSchedule } from '../../electron/engine/pipeline/scheduler';
import { qwenImageRope } from '../../electron/engine/pipeline/tensors';
import { hasTorch, maxDiff, PY, REFERENCE_CLI, runReference, stepParity } from './parity-helpers';

const TOL = 1e-4;
let dir = '';
let work = '';
const reference = (command: string, inputs: Record<string, { shape: number[]; data: Float32Array }>) =>
  runReference(dir, work, command, inputs);

describe.skipIf(!hasTorch)('engine parity with the PyTorch reference (tiny model)', { timeout: 120_000 }, () => {
  let pipe: QwenImagePipeline;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'parity-'));
    dir = join(work, 'tiny');
    execFileSync(PY, [REFERENCE_CLI, 'make-tiny', '--out', dir, '--seed', '3'], { stdio: 'pipe' });
    pipe = new QwenImagePipeline(await loadPipelineModel(dir), { cacheDir: join(work, 'cache'), threads: 2, blockGroup: 1 });
  }, 120_000);

  it('scheduler sigmas and timesteps are bit-identical', async () => {
    for (const [steps, seqLen] of [
      [50, 4096],
      [8, 256],
      [4, 6889],
      [30, 1024],
    ] as const) {
      const outPath = join(work, `sched-${steps}.safetensors`);
      execFileSync(PY, [REFERENCE_CLI, 'scheduler', '--steps', String(steps), '--image-seq-len', String(seqLen), '--out', outPath], {
        stdio: 'pipe',
      });
      const ref = await SafetensorsReader.open(outPath);
      const ours = flowMatchSchedule(steps, seqLen);
      expect(Array.from(ours.sigmas)).toEqual(Array.from(await ref.readFloat32('sigmas')));
      expect(Array.from(ours.timesteps)).toEqual(Array.from(await ref.readFloat32('timesteps')));
      await ref.close();
    }
  });

  it('text encoder last hidden state within 1e-4', async () => {
    const ids = [5, 17, 42, 99, 3, 250, 7, 64];
    const ref = await reference('text-encoder', { input_ids: { shape: [1, ids.length], data: new Float32Array(ids) } });
    const te = pipe.model.textEncoder;
    const ours = await pipe.encodeTokens(ids);
    const want = await ref.readFloat32('last_hidden');
    expect(ours.length).toBe(ids.length * te.hidden_size);
    expect(maxDiff(ours, want)).toBeLessThan(TOL);
  });

  it('every transformer block, the modulation and the output head within 1e-4', async () => {
    const c = pipe.model.transformer;
    const rng = new Rng(11);
    const ph = 4;
    const pw = 6;
    const L = ph * pw;
    const T = 7;
    const hidden = rng.normals(L * c.in_channels);
    const ehs = rng.normals(T * c.joint_attention_dim);
    const t = Math.fround(0.73);
    const ref = await reference('transformer', {
      hidden_states: { shape: [1, L, c.in_channels], data: hidden },
      encoder_hidden_states: { shape: [1, T, c.joint_attention_dim], data: ehs },
      timestep: { shape: [1], data: new Float32Array([t]) },
      img_shape: { shape: [3], data: new Float32Array([1, ph, pw]) },
    });
    const mod = await pipe.modulation(new Float32Array([t * 1000]));
    const txt = await pipe.embedText({ embeds: ehs, length: T });
    expect(maxDiff(txt, await ref.readFloat32('txt_in'))).toBeLessThan(TOL);
    const img = await pipe.embedImage(hidden, L);
    expect(maxDiff(img, await ref.readFloat32('img_in'))).toBeLessThan(TOL);
    const trace = await pipe.traceBlocks(img, txt, T, L, 0, mod, qwenImageRope(c.axes_dims_rope, T, ph, pw));
    for (let i = 0; i < c.num_layers; i++) {
      expect(maxDiff(trace.blocks[i]?.img as Float32Array, await ref.readFloat32(`block${i}.img`)), `block ${i} image stream`).toBeLessThan(
        TOL,
      );
      expect(maxDiff(trace.blocks[i]?.txt as Float32Array, await ref.readFloat32(`block${i}.txt`)), `block ${i} text stream`).toBeLessThan(
        TOL,
      );
    }
    expect(maxDiff(trace.sample, await ref.readFloat32('sample'))).toBeLessThan(TOL);
  });

  it('VAE decoder within 1e-4', async () => {
    const z = pipe.model.vae.z_dim;
    const h = 6;
    const w = 5;
    const latents = new Rng(5).normals(z * h * w);
    const ref = await reference('vae', { latents: { shape: [1, z, 1, h, w], data: latents } });
    const ours = await pipe.decodeLatents(latents, h, w, false);
    const want = await ref.readFloat32('image');
    const clamped = want.map((v) => Math.min(1, Math.max(-1, v)));
    expect(maxDiff(ours, clamped)).toBeLessThan(TOL);
  });

  it('one full denoising step with true CFG within 1e-4', async () => {
    expect(await stepParity(pipe, dir, work)).toBeLessThan(TOL);
  });
});
