/**
 * Flow-matching Euler scheduler as the Qwen-Image pipeline drives it: sigmas linspace(1, 1/N, N),
 * an exponential time shift whose mu grows with the image's token count, a stretch so the last
 * sigma equals shift_terminal, and x_{i+1} = x_i + (sigma_{i+1} - sigma_i) * v.
 * Arithmetic follows the reference's dtypes exactly (NumPy float64 for linspace and mu, float32
 * for everything applied to the sigma array), so sigmas and timesteps match bit for bit.
 */
import { SchedulerConfig } from '../model/configs.js';

const f32 = Math.fround;

export interface FlowSchedulerConfig {
  base_image_seq_len: number;
  base_shift: number;
  max_image_seq_len: number;
  max_shift: number;
  num_train_timesteps: number;
  shift: number;
  shift_terminal: number | null;
  use_dynamic_shifting: boolean;
  time_shift_type: 'exponential' | 'linear';
}

/** Qwen-Image's scheduler config: the defaults of the model folder's scheduler schema. */
export const QWEN_IMAGE_SCHEDULER: FlowSchedulerConfig = SchedulerConfig.parse({});

/** mu for an image of `seqLen` latent tokens (float64, as the reference computes it). */
export function computeMu(seqLen: number, c: FlowSchedulerConfig): number {
  const m = (c.max_shift - c.base_shift) / (c.max_image_seq_len - c.base_image_seq_len);
  const b = c.base_shift - m * c.base_image_seq_len;
  return seqLen * m + b;
}

/** numpy.linspace(start, stop, n) in float64, then cast to float32. */
function linspace32(start: number, stop: number, n: number): Float32Array {
  const out = new Float32Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = i * step + start;
  out[n - 1] = stop;
  return out;
}

export interface Schedule {
  /** N + 1 values, the last one 0. */
  sigmas: Float32Array;
  /** N values, sigma * num_train_timesteps. */
  timesteps: Float32Array;
}

export function flowMatchSchedule(steps: number, imageSeqLen: number, c: FlowSchedulerConfig = QWEN_IMAGE_SCHEDULER): Schedule {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  let s = linspace32(1, 1 / steps, steps);
  if (c.use_dynamic_shifting) {
    const mu = computeMu(imageSeqLen, c);
    const e = f32(c.time_shift_type === 'exponential' ? Math.exp(mu) : mu);
    s = s.map((t) => f32(e / f32(e + f32(f32(1 / t) - 1))));
  } else if (c.shift !== 1) {
    const sh = f32(c.shift);
    s = s.map((t) => f32(f32(sh * t) / f32(1 + f32(f32(sh - 1) * t))));
  }
  // One step goes straight from noise to data: the stretch would divide zero by zero.
  if (c.shift_terminal && steps > 1) {
    const last = f32(1 - (s[steps - 1] as number));
    const scale = f32(last / (1 - c.shift_terminal));
    s = s.map((t) => f32(1 - f32(f32(1 - t) / scale)));
  }
  const sigmas = new Float32Array(steps + 1);
  sigmas.set(s);
  const timesteps = s.map((t) => f32(t * c.num_train_timesteps));
  return { sigmas, timesteps };
}

/** One Euler step in place: sample += (sigma[i+1] - sigma[i]) * v. */
export function eulerStep(sample: Float32Array, v: Float32Array, schedule: Schedule, i: number): void {
  const dt = f32((schedule.sigmas[i + 1] as number) - (schedule.sigmas[i] as number));
  for (let k = 0; k < sample.length; k++) sample[k] = f32((sample[k] as number) + f32(dt * (v[k] as number)));
}
