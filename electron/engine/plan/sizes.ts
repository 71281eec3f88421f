/**
 * Exact parameter counts and weight bytes of a Qwen-Image model, per unit and per precision,
 * from its configs alone (no weights needed). The tensor list is the one the engine loads
 * (model/configs.ts expectedTensors), so these numbers are what an import would write.
 *
 * Units follow how the engine runs the model:
 *   time          timestep embedder + the output norm's AdaLN linear (the "time" graph, once a job)
 *   mod.i         block i's AdaLN linears img_mod/txt_mod (the "mod" graphs, once a job for every
 *                 step at once; the blocks never hold them)
 *   block.i       the rest of block i (attention, MLPs, norms; run every pass of every step)
 *   io            img_in, txt_norm, txt_in, proj_out (small; every pass)
 *   text_embed    the token table (read by rows from disk, never held whole)
 *   text.i        text encoder layer i (the last one carries the final norm)
 *   vae           post_quant_conv + the whole decoder
 * "modulation" in summaries = time + every mod.i.
 */
import { type ComponentName, expectedTensors, type TextEncoderConfig, type TransformerConfig, type VaeConfig } from '../model/configs.js';
import { INT8_BLOCK, int8BlockFor } from '../onnx/quant.js';

export const PRECISIONS = ['fp32', 'fp16', 'bf16', 'int8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];

export function isPrecision(s: string): s is Precision {
  return (PRECISIONS as readonly string[]).includes(s);
}

/** How weight-only quantisation stores a linear weight [out, K] (K = input features). */
export interface QuantOptions {
  /** Weights per scale along K for int4 (MatMulNBits). Default 32. */
  blockSize: number;
  /**
   * Largest weights per scale along K for int8 with 'block' scales (MatMulNBits bits = 8; the
   * block for a K is int8BlockFor(K, this)). Default 128, the engine's.
   */
  int8BlockSize?: number;
  /** Bytes of one scale: 4 (fp32) or 2 (fp16). Default: floatBytes. */
  scaleBytes: 2 | 4;
  /** int4 with a 4-bit zero point per block (asymmetric, MatMulNBits' optional input). Default true. */
  int4ZeroPoints: boolean;
  /**
   * int8: one scale per output channel (DequantizeLinear), or one per block of int8BlockSize along
   * K, K padded to whole blocks (MatMulNBits, what the engine builds). Default 'block'.
   */
  int8Scales: 'channel' | 'block';
  /** Bytes per value of tensors that stay float under int8/int4 (biases, norms, convs, tables). Default 4. */
  floatBytes: 2 | 4;
}

export function quantOptions(q: Partial<QuantOptions> = {}): QuantOptions {
  const floatBytes = q.floatBytes ?? 4;
  const blockSize = q.blockSize ?? 32;
  if (!Number.isInteger(blockSize) || blockSize < 2 || blockSize % 2 !== 0)
    throw new RangeError(`quantisation block size must be an even whole number ≥ 2, got ${blockSize}`);
  return {
    blockSize,
    scaleBytes: q.scaleBytes ?? floatBytes,
    int4ZeroPoints: q.int4ZeroPoints ?? true,
    int8BlockSize: q.int8BlockSize ?? INT8_BLOCK,
    int8Scales: q.int8Scales ?? 'block',
    floatBytes,
  };
}

export interface TensorSpec {
  name: string;
  shape: number[];
}

/** A 2-D weight that feeds a MatMul (quantisable). Token tables are gathered by rows, so they stay float. */
export function isLinearWeight(t: TensorSpec): boolean {
  return t.shape.length === 2 && t.name.endsWith('.weight') && !t.name.endsWith('embed_tokens.weight');
}

export function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Stored bytes of one tensor at a precision. */
export function tensorBytes(t: TensorSpec, precision: Precision, q: QuantOptions = quantOptions()): number {
  const n = count(t.shape);
  if (precision === 'fp32') return 4 * n;
  if (precision === 'fp16' || precision === 'bf16') return 2 * n;
  if (!isLinearWeight(t)) return q.floatBytes * n;
  const [rows, k] = t.shape as [number, number];
  const blocks = Math.ceil(k / q.blockSize);
  if (precision === 'int8') {
    if (q.int8Scales === 'channel') return rows * k + rows * q.scaleBytes;
    const b8 = int8BlockFor(k, q.int8BlockSize ?? INT8_BLOCK);
    const n8 = Math.ceil(k / b8);
    return rows * n8 * b8 + rows * n8 * q.scaleBytes;
  }
  // int4, MatMulNBits layout: [N, blocks, blockSize/2] packed bytes (K padded to whole blocks),
  // scales [N * blocks], zero points [N * ceil(blocks / 2)] (two 4-bit values a byte).
  return rows * blocks * (q.blockSize / 2) + rows * blocks * q.scaleBytes + (q.int4ZeroPoints ? rows * Math.ceil(blocks / 2) : 0);
}

export type UnitRole = 'time' | 'modulation' | 'block' | 'io' | 'text_embed' | 'text_layer' | 'vae';

export interface UnitSize {
  id: string;
  component: ComponentName;
  role: UnitRole;
  /** Block or layer index for 'modulation', 'block' and 'text_layer'. */
  index?: number;
  params: number;
  tensors: number;
  bytes: Record<Precision, number>;
}

function emptyBytes(): Record<Precision, number> {
  return { fp32: 0, fp16: 0, bf16: 0, int8: 0, int4: 0 };
}

function collect(
  component: ComponentName,
  tensors: TensorSpec[],
  classify: (name: string) => { id: string; role: UnitRole; index?: number },
  q: QuantOptions,
): UnitSize[] {
  const units = new Map<string, UnitSize>();
  for (const t of tensors) {
    const c = classify(t.name);
    let u = units.get(c.id);
    if (!u) {
      u = { id: c.id, component, role: c.role, params: 0, tensors: 0, bytes: emptyBytes() };
      if (c.index !== undefined) u.index = c.index;
      units.set(c.id, u);
    }
    u.params += count(t.shape);
    u.tensors += 1;
    for (const p of PRECISIONS) u.bytes[p] += tensorBytes(t, p, q);
  }
  return [...units.values()];
}

export function transformerUnits(c: TransformerConfig, q: Partial<QuantOptions> = {}): UnitSize[] {
  const qo = quantOptions(q);
  const units = collect(
    'transformer',
    expectedTensors('transformer', c),
    (name) => {
      const m = /^transformer_blocks\.(\d+)\.(img_mod|txt_mod)?/.exec(name);
      if (m) {
        const index = Number(m[1]);
        return m[2] ? { id: `mod.${index}`, role: 'modulation', index } : { id: `block.${index}`, role: 'block', index };
      }
      if (name.startsWith('time_text_embed.') || name.startsWith('norm_out.')) return { id: 'time', role: 'time' };
      return { id: 'io', role: 'io' };
    },
    qo,
  );
  const order = (u: UnitSize): number =>
    u.role === 'io' ? -2 : u.role === 'time' ? -1 : u.role === 'block' ? 2 * (u.index ?? 0) : 2 * (u.index ?? 0) + 1;
  return units.sort((a, b) => order(a) - order(b));
}

export function textEncoderUnits(c: TextEncoderConfig, q: Partial<QuantOptions> = {}): UnitSize[] {
  const qo = quantOptions(q);
  const last = c.num_hidden_layers - 1;
  return collect(
    'text_encoder',
    expectedTensors('text_encoder', c, 'model.'),
    (name) => {
      if (name.endsWith('embed_tokens.weight')) return { id: 'text_embed', role: 'text_embed' };
      const m = /^model\.layers\.(\d+)\./.exec(name);
      const index = m ? Number(m[1]) : last; // the final norm runs with the last layer
      return { id: `text.${index}`, role: 'text_layer', index };
    },
    qo,
  );
}

export function vaeUnits(c: VaeConfig, q: Partial<QuantOptions> = {}): UnitSize[] {
  return collect('vae', expectedTensors('vae', c), () => ({ id: 'vae', role: 'vae' }), quantOptions(q));
}

export interface ModelSizeInput {
  transformer: TransformerConfig;
  textEncoder?: TextEncoderConfig;
  vae?: VaeConfig;
}

/** Every unit of the components given, in the engine's order (transformer, text encoder, VAE). */
export function modelUnits(m: ModelSizeInput, q: Partial<QuantOptions> = {}): UnitSize[] {
  return [
    ...transformerUnits(m.transformer, q),
    ...(m.textEncoder ? textEncoderUnits(m.textEncoder, q) : []),
    ...(m.vae ? vaeUnits(m.vae, q) : []),
  ];
}

export interface SizeSummary {
  params: number;
  bytes: Record<Precision, number>;
}

/** Totals of a set of units. */
export function total(units: readonly UnitSize[]): SizeSummary {
  const s: SizeSummary = { params: 0, bytes: emptyBytes() };
  for (const u of units) {
    s.params += u.params;
    for (const p of PRECISIONS) s.bytes[p] += u.bytes[p];
  }
  return s;
}

/** Totals by what the parts do: modulation (time + every mod.i), blocks, io, text encoder, VAE. */
export function summarize(
  units: readonly UnitSize[],
): Record<'modulation' | 'blocks' | 'io' | 'transformer' | 'text_encoder' | 'text_embed' | 'vae', SizeSummary> {
  const of = (f: (u: UnitSize) => boolean): SizeSummary => total(units.filter(f));
  return {
    modulation: of((u) => u.role === 'modulation' || u.role === 'time'),
    blocks: of((u) => u.role === 'block'),
    io: of((u) => u.role === 'io'),
    transformer: of((u) => u.component === 'transformer'),
    text_encoder: of((u) => u.component === 'text_encoder'),
    text_embed: of((u) => u.role === 'text_embed'),
    vae: of((u) => u.component === 'vae'),
  };
}
