/**
 * Work and working memory of one text-to-image job, from the configs and the image size:
 * FLOPs per unit use and an activation estimate per phase. Estimates, not measurements: they
 * follow the engine's graphs (unfused attention materialises the [H, S, S] scores, activations
 * cross between groups as float32 JS arrays) and are meant to be right to within tens of percent.
 */
import { vaeDecoderTensors } from '../model/configs.js';
import { count, type ModelSizeInput, type UnitSize } from './sizes.js';

export type Phase = 'encode' | 'modulate' | 'denoise' | 'decode';

export interface Workload {
  width: number;
  height: number;
  steps: number;
  /** Guidance scale; above 1 every step runs two passes (cond + uncond). */
  cfg: number;
  /** Prompt tokens after the template's prefix is dropped (an estimate; prompts vary). */
  textTokens: number;
}

export function passesOf(w: Workload): 1 | 2 {
  return w.cfg > 1 ? 2 : 1;
}

export function phaseOf(u: UnitSize): Phase | 'lookup' {
  switch (u.role) {
    case 'text_layer':
      return 'encode';
    case 'time':
    case 'modulation':
      return 'modulate';
    case 'block':
    case 'io':
      return 'denoise';
    case 'vae':
      return 'decode';
    default:
      return 'lookup';
  }
}

/** Image tokens L of the transformer for a pixel size. */
export function imageTokens(m: ModelSizeInput, width: number, height: number): number {
  const p = m.transformer.patch_size;
  return Math.floor(height / 8 / p) * Math.floor(width / 8 / p);
}

/**
 * FLOPs of one use of a unit: one transformer pass for 'block' and 'io' (a step runs passesOf
 * of them), the whole job for the others (modulation for every step at once, the text encoder
 * for every prompt, one decode).
 */
export function unitFlops(u: UnitSize, m: ModelSizeInput, w: Workload): number {
  const t = m.transformer;
  const D = t.num_attention_heads * t.attention_head_dim;
  const L = imageTokens(m, w.width, w.height);
  const T = w.textTokens;
  const S = L + T;
  switch (u.role) {
    case 'block':
      // 12 D×D linears a token (q, k, v, out + two 4D MLP matrices), QKᵀ and AV over the joint sequence.
      return 24 * D * D * S + 4 * S * S * D;
    case 'io':
      return 2 * L * (t.in_channels * D + D * t.patch_size * t.patch_size * t.out_channels);
    case 'time':
    case 'modulation':
      return 2 * w.steps * u.params;
    case 'text_layer': {
      const te = m.textEncoder;
      const hd = te ? te.hidden_size : 0;
      return passesOf(w) * (2 * T * u.params + 4 * T * T * hd);
    }
    case 'vae':
      return m.vae ? vaeFlops(m, w) : 0;
    default:
      return 0;
  }
}

/** Convolution and attention FLOPs of one VAE decode at the workload's size. */
export function vaeFlops(m: ModelSizeInput, w: Workload): number {
  const v = m.vae;
  if (!v) return 0;
  const lat = (w.height / 8) * (w.width / 8);
  const stages = v.dim_mult.length;
  let flops = 0;
  for (const t of vaeDecoderTensors(v)) {
    if (t.shape.length < 4 || t.name.includes('time_conv')) continue; // a single frame never runs time_conv
    let scale = 0;
    const up = /^decoder\.up_blocks\.(\d+)\.(resnets|upsamplers)/.exec(t.name);
    if (up) scale = Number(up[1]) + (up[2] === 'upsamplers' ? 1 : 0);
    else if (t.name.startsWith('decoder.conv_out')) scale = stages - 1;
    const pixels = lat * 4 ** scale;
    flops += 2 * count(t.shape) * pixels;
  }
  const d0 = (v.dim_mult[stages - 1] as number) * v.base_dim;
  return flops + 4 * lat * lat * d0; // the mid block's self-attention over every latent pixel
}

export interface ActivationEstimate {
  /** Working set of the largest graph run, per phase, on the device that runs it. */
  byPhase: Record<Phase, number>;
  /** The largest of byPhase: what the executing device must keep free. */
  device: number;
  /** Float32 arrays the pipeline holds in the process between graph runs, plus the runtime itself. */
  host: number;
}

/** Node, onnxruntime and the app's own buffers outside any graph. */
export const RUNTIME_BYTES = 256 * 2 ** 20;

/** Working memory estimate. dtypeBytes: 4 when the device computes in fp32, 2 in fp16/bf16. */
export function activationEstimate(m: ModelSizeInput, w: Workload, dtypeBytes: number): ActivationEstimate {
  const t = m.transformer;
  const D = t.num_attention_heads * t.attention_head_dim;
  const H = t.num_attention_heads;
  const L = imageTokens(m, w.width, w.height);
  const T = w.textTokens;
  const S = L + T;
  const a = dtypeBytes;
  // scores and softmax probabilities [H,S,S]; the MLP's 4D hidden before and after GELU; streams, q/k/v.
  const denoise = a * (2 * H * S * S + 14 * S * D);
  const modulate = a * w.steps * (t.num_layers * 12 * D + 3 * D);
  let encode = 0;
  const te = m.textEncoder;
  if (te) encode = a * (2 * te.num_attention_heads * T * T + 3 * T * te.intermediate_size + 6 * T * te.hidden_size);
  let decode = 0;
  const v = m.vae;
  if (v) {
    const lat = (w.height / 8) * (w.width / 8);
    const full = w.height * w.width;
    const last = (v.dim_mult[0] as number) * v.base_dim;
    // Full-resolution feature maps (the causal 3-D convs pad one frame to three) vs the mid attention.
    decode = a * Math.max(8 * full * last, 2 * lat * lat + 4 * lat * (v.dim_mult[v.dim_mult.length - 1] as number) * v.base_dim);
  }
  const byPhase = { encode, modulate, denoise, decode };
  const passes = passesOf(w);
  const host =
    RUNTIME_BYTES +
    4 * w.steps * (t.num_layers * 12 * D + 2 * D) + // every step's modulation vectors
    4 * 4 * S * D + // img/txt streams in and out of a group
    4 * passes * T * (t.joint_attention_dim + D) + // prompt embeddings before and after txt_in
    4 * 4 * S * (t.attention_head_dim / 2); // rope tables
  return { byPhase, device: Math.max(encode, modulate, denoise, decode), host };
}
