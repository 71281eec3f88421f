/**
 * A small builder for ONNX graphs: named values, operators, float32 initializers and the handful
 * of composite layers (Linear, RMSNorm, LayerNorm without affine, GELU-tanh, SiLU) the Qwen-Image
 * family needs. Graph builders in electron/engine/graphs describe each model part with it.
 */
import { type AttributeValue, DataType, encodeModel, type ModelData, type NodeData, type TensorData, type ValueInfo } from './proto.js';
import { DEFAULT_INT4_BLOCK, INT8_BLOCK, int8BlockFor, quantizeInt4, quantizeInt8, toHalfArray } from './quant.js';

export type Dim = number | string;
/** How Linear weights are stored: float32, int8 or int4 (weight-only), or float16 widened by a Cast. */
export type LinearPrecision = 'fp32' | 'int8' | 'int4' | 'fp16';
export const LINEAR_PRECISIONS: readonly LinearPrecision[] = ['fp32', 'int8', 'int4', 'fp16'];

/** Options of the int4 format (see onnx/quant.ts). */
export interface Int4Options {
  /** Weights per scale along K: 16, 32, 64 or 128. */
  blockSize: number;
  /** A 4-bit zero point per block (min/max range) instead of a symmetric range around 0. */
  asymmetric: boolean;
}

/** A precision, or a precision with its int4 format (graph builders take either). */
export type LinearSpec = LinearPrecision | { precision: LinearPrecision; int4?: Int4Options; int8BlockSize?: number };

export const MS_DOMAIN = 'com.microsoft';
export type AttrMap = Record<string, AttributeValue>;

/** A float32 weight: its final layout (already transposed where the graph wants it). */
export interface Weight {
  dims: number[];
  data: Float32Array;
}

/** Initializers larger than this go to the external data file when one is used. */
const EXTERNAL_THRESHOLD = 1024;

export class GraphBuilder {
  private readonly nodes: NodeData[] = [];
  private readonly inits: { name: string; dataType: DataType; dims: number[]; bytes: Uint8Array }[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();

  /** Weight-only precision of the Linear layers this graph builds. */
  linearPrecision: LinearPrecision = 'fp32';
  /** Used when linearPrecision is int4. */
  int4: Int4Options = { blockSize: DEFAULT_INT4_BLOCK, asymmetric: true };
  /** Largest weights per scale when linearPrecision is int8 (a power of two, 16 to 256; see int8BlockFor). */
  int8BlockSize: number = INT8_BLOCK;
  private usesMsDomain = false;

  constructor(readonly name: string) {}

  private fresh(hint: string): string {
    this.counter += 1;
    return `${hint}_${this.counter}`;
  }

  input(name: string, shape: Dim[], dataType: DataType = DataType.FLOAT): string {
    this.inputs.push({ name, shape, dataType });
    return name;
  }

  /** Marks `value` as a graph output called `name` (adds an Identity when the names differ). */
  output(value: string, name: string, shape: Dim[], dataType: DataType = DataType.FLOAT): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [name] });
    this.outputs.push({ name, shape, dataType });
  }

  op(opType: string, inputs: string[], attributes?: AttrMap, hint?: string): string {
    const out = this.fresh(hint ?? opType.toLowerCase());
    this.nodes.push({ opType, inputs, outputs: [out], attributes });
    return out;
  }

  /** Sets how this graph's Linear weights are stored. */
  setLinear(spec: LinearSpec = 'fp32'): void {
    if (typeof spec === 'string') this.linearPrecision = spec;
    else {
      this.linearPrecision = spec.precision;
      if (spec.int4) this.int4 = spec.int4;
      if (spec.int8BlockSize) this.int8BlockSize = spec.int8BlockSize;
    }
  }

  /** An operator of onnxruntime's com.microsoft contrib domain. */
  msOp(opType: string, inputs: string[], attributes?: AttrMap, hint?: string): string {
    const out = this.fresh(hint ?? opType.toLowerCase());
    this.nodes.push({ opType, inputs, outputs: [out], attributes, domain: MS_DOMAIN });
    this.usesMsDomain = true;
    return out;
  }

  opMulti(opType: string, inputs: string[], count: number, attributes?: AttrMap): string[] {
    const outs = Array.from({ length: count }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, inputs, outputs: outs, attributes });
    return outs;
  }

  weight(name: string, w: Weight): string {
    const bytes = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    this.inits.push({ name, dataType: DataType.FLOAT, dims: w.dims, bytes });
    return name;
  }

  /** int64 constant (shapes, axes, slice bounds), shared by value. */
  ints(values: readonly number[]): string {
    const key = `i:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const_i64');
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.inits.push({ name, dataType: DataType.INT64, dims: [values.length], bytes: new Uint8Array(data.buffer) });
    this.constCache.set(key, name);
    return name;
  }

  /** float32 vector constant. */
  floats(values: readonly number[]): string {
    const key = `fv:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const_f32v');
    this.inits.push({ name, dataType: DataType.FLOAT, dims: [values.length], bytes: new Uint8Array(new Float32Array(values).buffer) });
    this.constCache.set(key, name);
    return name;
  }

  /** float32 scalar constant. */
  scalar(value: number): string {
    const key = `f:${value}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const_f32');
    this.inits.push({ name, dataType: DataType.FLOAT, dims: [], bytes: new Uint8Array(new Float32Array([value]).buffer) });
    this.constCache.set(key, name);
    return name;
  }

  // ---- composite layers -------------------------------------------------------------------

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }

  /** y = x W^T + b with W given in torch layout [out, in]. */
  linear(x: string, prefix: string, weight: Weight, bias?: Weight): string {
    const [outDim, inDim] = weight.dims;
    if (outDim === undefined || inDim === undefined) throw new Error(`${prefix}: weight must be 2-D`);
    if (this.linearPrecision === 'int4' || this.linearPrecision === 'int8') {
      const y =
        this.linearPrecision === 'int4'
          ? this.int4Linear(x, prefix, weight.data, outDim, inDim)
          : this.int8Linear(x, prefix, weight.data, outDim, inDim);
      return bias ? this.add(y, this.weight(`${prefix}.bias`, bias)) : y;
    }
    const t = new Float32Array(outDim * inDim);
    for (let o = 0; o < outDim; o++) {
      for (let i = 0; i < inDim; i++) t[i * outDim + o] = weight.data[o * inDim + i] as number;
    }
    const w =
      this.linearPrecision === 'fp16'
        ? this.fp16Weight(prefix, t, inDim, outDim)
        : this.weight(`${prefix}.weight`, { dims: [inDim, outDim], data: t });
    const y = this.op('MatMul', [x, w], undefined, 'matmul');
    return bias ? this.add(y, this.weight(`${prefix}.bias`, bias)) : y;
  }

  /**
   * Weight-only int8: W [N, K] in symmetric blocks along K (int8BlockFor, see onnx/quant.ts),
   * multiplied by com.microsoft MatMulNBits with bits = 8. The session keeps these bytes as they
   * are in the file. (int8 used to be DequantizeLinear + MatMul; onnxruntime rewrites that pair
   * into its own 8-bit MatMulNBits while the session opens, a fresh heap copy a fifth larger
   * than the file, read while the file's pages are still held. Measured:
   * bench/results/int8-memory.json.)
   */
  private int8Linear(x: string, prefix: string, w: Float32Array, N: number, K: number): string {
    let q: ReturnType<typeof quantizeInt8>;
    try {
      q = quantizeInt8(w, N, K, int8BlockFor(K, this.int8BlockSize));
    } catch (err) {
      throw new Error(`${prefix}: ${(err as Error).message}`);
    }
    this.inits.push({ name: `${prefix}.weight_q8`, dataType: DataType.UINT8, dims: [N, q.nBlocks, q.blockSize], bytes: q.packed });
    this.weight(`${prefix}.weight_scales`, { dims: [N * q.nBlocks], data: q.scales });
    return this.msOp(
      'MatMulNBits',
      [x, `${prefix}.weight_q8`, `${prefix}.weight_scales`],
      { K, N, bits: 8, block_size: q.blockSize },
      'matmul_q8',
    );
  }

  /**
   * Weight-only int4: W [N, K] in blocks of `int4.blockSize` along K (see onnx/quant.ts), multiplied
   * by com.microsoft MatMulNBits, which dequantises block by block inside the kernel.
   */
  private int4Linear(x: string, prefix: string, w: Float32Array, N: number, K: number): string {
    const { blockSize, asymmetric } = this.int4;
    let q: ReturnType<typeof quantizeInt4>;
    try {
      q = quantizeInt4(w, N, K, blockSize, asymmetric);
    } catch (err) {
      throw new Error(`${prefix}: ${(err as Error).message}`);
    }
    const half = blockSize / 2;
    this.inits.push({ name: `${prefix}.weight_q4`, dataType: DataType.UINT8, dims: [N, q.nBlocks, half], bytes: q.packed });
    this.weight(`${prefix}.weight_scales`, { dims: [N * q.nBlocks], data: q.scales });
    const inputs = [x, `${prefix}.weight_q4`, `${prefix}.weight_scales`];
    if (q.zeroPoints) {
      this.inits.push({ name: `${prefix}.weight_zp4`, dataType: DataType.UINT8, dims: [q.zeroPoints.length], bytes: q.zeroPoints });
      inputs.push(`${prefix}.weight_zp4`);
    }
    return this.msOp('MatMulNBits', inputs, { K, N, bits: 4, block_size: blockSize }, 'matmul_q4');
  }

  /**
   * float16 weight [in, out], widened to float32 by a Cast right before the MatMul. The file holds
   * half the bytes; with the CPU provider onnxruntime folds the Cast when the session loads
   * (checked with optimizedModelFilePath), so in memory and in compute it is float32 there.
   */
  private fp16Weight(prefix: string, t: Float32Array, inDim: number, outDim: number): string {
    const h = toHalfArray(t);
    this.inits.push({ name: `${prefix}.weight_f16`, dataType: DataType.FLOAT16, dims: [inDim, outDim], bytes: new Uint8Array(h.buffer) });
    return this.op('Cast', [`${prefix}.weight_f16`], { to: DataType.FLOAT });
  }

  /** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * w. */
  rmsNorm(x: string, prefix: string, weight: Weight | undefined, eps: number): string {
    const ms = this.op('ReduceMean', [this.mul(x, x)], { axes: [-1], keepdims: 1 });
    const inv = this.op('Reciprocal', [this.op('Sqrt', [this.add(ms, this.scalar(eps))])]);
    const y = this.mul(x, inv);
    return weight ? this.mul(y, this.weight(`${prefix}.weight`, weight)) : y;
  }

  /** LayerNorm over the last axis without affine parameters. */
  layerNorm(x: string, dim: number, eps: number): string {
    const ones = this.constVector(`ln_ones_${dim}`, dim, 1);
    const zeros = this.constVector(`ln_zeros_${dim}`, dim, 0);
    return this.op('LayerNormalization', [x, ones, zeros], { axis: -1, epsilon: { float: eps } });
  }

  private constVector(name: string, length: number, value: number): string {
    if (this.constCache.has(name)) return name;
    this.weight(name, { dims: [length], data: new Float32Array(length).fill(value) });
    this.constCache.set(name, name);
    return name;
  }

  silu(x: string): string {
    return this.mul(x, this.op('Sigmoid', [x]));
  }

  /** GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  geluTanh(x: string): string {
    const x3 = this.mul(this.mul(x, x), x);
    const inner = this.mul(this.add(x, this.mul(x3, this.scalar(0.044715))), this.scalar(Math.sqrt(2 / Math.PI)));
    const t = this.add(this.op('Tanh', [inner]), this.scalar(1));
    return this.mul(this.mul(x, t), this.scalar(0.5));
  }

  reshape(x: string, shape: number[]): string {
    return this.op('Reshape', [x, this.ints(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], { perm });
  }

  /** Slice along one axis; `end` may be a value name (int64 [1]) or a number. */
  slice(x: string, axis: number, start: number | string, end: number | string): string {
    const s = typeof start === 'number' ? this.ints([start]) : start;
    const e = typeof end === 'number' ? this.ints([end]) : end;
    return this.op('Slice', [x, s, e, this.ints([axis])]);
  }

  // ---- output ------------------------------------------------------------------------------

  /**
   * Serialises the graph. With `externalFile`, initializers over 1 KiB are laid out in that file
   * (returned as `data`) and the model refers to it by its base name.
   */
  build(opts: { opset?: number; externalFile?: string } = {}): { model: Uint8Array; data?: Uint8Array[] } {
    const initializers: TensorData[] = [];
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (const init of this.inits) {
      if (opts.externalFile && init.bytes.byteLength > EXTERNAL_THRESHOLD) {
        const pad = (64 - (offset % 64)) % 64;
        if (pad) {
          chunks.push(new Uint8Array(pad));
          offset += pad;
        }
        initializers.push({
          name: init.name,
          dataType: init.dataType,
          dims: init.dims,
          external: { location: opts.externalFile, offset, length: init.bytes.byteLength },
        });
        chunks.push(init.bytes);
        offset += init.bytes.byteLength;
      } else {
        initializers.push({ name: init.name, dataType: init.dataType, dims: init.dims, raw: init.bytes });
      }
    }
    const data: ModelData = {
      graphName: this.name,
      nodes: this.nodes,
      initializers,
      inputs: this.inputs,
      outputs: this.outputs,
      opset: opts.opset ?? 17,
      extraOpsets: this.usesMsDomain ? [{ domain: MS_DOMAIN, version: 1 }] : undefined,
    };
    return { model: encodeModel(data), data: opts.externalFile ? chunks : undefined };
  }

  /** Bytes of all float weights (for planning). */
  weightBytes(): number {
    return this.inits.reduce((sum, i) => sum + i.bytes.byteLength, 0);
  }
}
