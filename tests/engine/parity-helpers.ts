// Shared by the parity tests: run the PyTorch reference CLI on safetensors inputs, compare
// arrays, and check one full denoising step with true CFG against the reference.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { SafetensorsReader, writeSafetensors } from '../../electron/engine/model/safetensors';
import type { QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import { Rng } from '../../electron/engine/pipeline/rng';
import { flowMatchSchedule } from '../../electron/engine/pipeline/scheduler';
import { qwenImageRope, trueCfg } from '../../electron/engine/pipeline/tensors';

export const PY = '/usr/bin/python3';
export const REFERENCE_CLI = join(import.meta.dirname, '../../native-models/qwen-image/reference/cli.py');
export const hasTorch = (() => {
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'pipe' });
    return existsSync(REFERENCE_CLI);
  } catch {
    return false;
  }
})();

export function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  // A comparison of near-zero tensors would prove nothing: the reference output must vary.
  expect(Math.max(...Array.from(b, Math.abs))).toBeGreaterThan(1e-2);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

export async function runReference(
  dir: string,
  work: string,
  command: string,
  inputs: Record<string, { shape: number[]; data: Float32Array }>,
): Promise<SafetensorsReader> {
  const inPath = join(work, `${command}-in.safetensors`);
  const outPath = join(work, `${command}-out.safetensors`);
  await writeSafetensors(
    inPath,
    Object.entries(inputs).map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.data })),
  );
  execFileSync(PY, [REFERENCE_CLI, command, '--model', dir, '--inputs', inPath, '--out', outPath, '--threads', '2'], { stdio: 'pipe' });
  return SafetensorsReader.open(outPath);
}

/** Max abs difference between the engine's and the reference's next latents after step 2 of 5 (CFG 4). */
/** Max abs difference between the engine's and the reference's next latents after step 2 of 5 (CFG 4). */
export async function stepParity(pipe: QwenImagePipeline, dir: string, work: string): Promise<number> {
  const c = pipe.model.transformer;
  const rng = new Rng(21);
  const ph = 4;
  const pw = 4;
  const L = ph * pw;
  const Tc = 6;
  const Tu = 3;
  const steps = 5;
  const cfg = 4;
  const latents = rng.normals(L * c.in_channels);
  const pos = rng.normals(Tc * c.joint_attention_dim);
  const neg = rng.normals(Tu * c.joint_attention_dim);
  const ref = await runReference(dir, work, 'step', {
    latents: { shape: [1, L, c.in_channels], data: latents },
    prompt_embeds: { shape: [1, Tc, c.joint_attention_dim], data: pos },
    negative_prompt_embeds: { shape: [1, Tu, c.joint_attention_dim], data: neg },
    img_shape: { shape: [3], data: new Float32Array([1, ph, pw]) },
    cfg: { shape: [1], data: new Float32Array([cfg]) },
    steps: { shape: [1], data: new Float32Array([steps]) },
    step: { shape: [1], data: new Float32Array([2]) },
  });
  const schedule = flowMatchSchedule(steps, L);
  const mod = await pipe.modulation(schedule.timesteps);
  const img = await pipe.embedImage(latents, L);
  const v = await pipe.blocksAndHead(
    img,
    await pipe.embedText({ embeds: pos, length: Tc }),
    Tc,
    L,
    2,
    mod,
    qwenImageRope(c.axes_dims_rope, Tc, ph, pw),
  );
  const vu = await pipe.blocksAndHead(
    img,
    await pipe.embedText({ embeds: neg, length: Tu }),
    Tu,
    L,
    2,
    mod,
    qwenImageRope(c.axes_dims_rope, Tu, ph, pw),
  );
  trueCfg(v, vu, cfg, c.in_channels);
  const next = latents.slice();
  const dt = Math.fround((schedule.sigmas[3] as number) - (schedule.sigmas[2] as number));
  for (let k = 0; k < next.length; k++) next[k] = Math.fround((next[k] as number) + Math.fround(dt * (v[k] as number)));
  return maxDiff(next, await ref.readFloat32('latents'));
}
