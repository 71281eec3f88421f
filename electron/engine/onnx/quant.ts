/**
 * Weight formats the graph builder stores Linear weights in, apart from float32:
 *   - int4 for onnxruntime's com.microsoft MatMulNBits (bits = 4): a weight W [N, K] in torch
 *     layout is cut along K into blocks of `blockSize`; each block keeps one float scale and,
 *     when asymmetric, a 4-bit zero point. Values are packed two to a byte, the lower-indexed one
 *     in the low nibble: B [N, nBlocks, blockSize / 2] uint8, scales [N * nBlocks] float,
 *     zero points [N, ceil(nBlocks / 2)] uint8 (same nibble order). W[n, k] = (q - zp) * scale.
 *     K that is not a whole number of blocks is padded with zeros (stored as q = zp, so the
 *     padding dequantises to exactly 0 and multiplies nothing).
 *   - int8 for MatMulNBits with bits = 8: the same block layout with one byte a weight, B
 *     [N, nBlocks, blockSize] uint8 holding q + 128 (symmetric, so no zero-point input: the op's
 *     default for 8 bits is 128), scales [N * nBlocks] float. W[n, k] = (q - 128) * scale.
 *   - float16 (IEEE half) bit patterns, rounded to nearest even, for the fp16 precision.
 */

/** Block sizes MatMulNBits accepts on every provider (a power of two, at least 16). */
export const INT4_BLOCK_SIZES = [16, 32, 64, 128] as const;
export type Int4BlockSize = (typeof INT4_BLOCK_SIZES)[number];
/** Measured on the bundled model (tests/engine/int4.test.ts, bench/results/int4.json). */
export const DEFAULT_INT4_BLOCK: Int4BlockSize = 32;

export function isInt4BlockSize(n: number): n is Int4BlockSize {
  return (INT4_BLOCK_SIZES as readonly number[]).includes(n);
}

/** Fractions of a block's full range tried as its quantisation range (1 = no clipping). */
const CLIP_RATIOS = [1, 0.95, 0.9, 0.85, 0.8, 0.75];

/** An integer clamped to 0..15 (in range exactly when no bit above the low four is set). */
function clamp4(c: number): number {
  if ((c & ~15) === 0) return c;
  return c < 0 ? 0 : 15;
}

export interface Int4Weight {
  N: number;
  K: number;
  blockSize: number;
  nBlocks: number;
  /** [N, nBlocks, blockSize / 2] */
  packed: Uint8Array;
  /** [N * nBlocks] */
  scales: Float32Array;
  /** [N, ceil(nBlocks / 2)]; absent for symmetric weights (the op then uses 8). */
  zeroPoints?: Uint8Array;
}

/**
 * Quantises W [N, K] (row-major, torch Linear layout) to int4 blocks along K.
 * Asymmetric: scale = r (max - min) / 15 over the block (the range always includes 0), zero
 * point = round(-r min / scale). Symmetric: scale = r max|w| / 7, implicit zero point 8. The
 * clipping ratio r is chosen per block from CLIP_RATIOS for the least squared error.
 */
export function quantizeInt4(w: Float32Array, N: number, K: number, blockSize: number, asymmetric = true): Int4Weight {
  if (!isInt4BlockSize(blockSize)) throw new RangeError(`int4 block size must be one of ${INT4_BLOCK_SIZES.join(', ')}, got ${blockSize}`);
  if (!Number.isInteger(N) || !Number.isInteger(K) || N < 1 || K < 1) throw new RangeError(`int4: bad weight shape [${N}, ${K}]`);
  if (w.length !== N * K) throw new RangeError(`int4: weight has ${w.length} values, expected ${N}x${K}`);
  const nBlocks = Math.ceil(K / blockSize);
  const half = blockSize / 2;
  const packed = new Uint8Array(N * nBlocks * half);
  const scales = new Float32Array(N * nBlocks);
  const zpRow = Math.ceil(nBlocks / 2);
  const zeroPoints = asymmetric ? new Uint8Array(N * zpRow) : undefined;
  const q = new Uint8Array(blockSize);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < nBlocks; b++) {
      const start = n * K + b * blockSize;
      const len = Math.min(blockSize, K - b * blockSize);
      let lo = 0;
      let hi = 0;
      let amax = 0;
      for (let i = 0; i < len; i++) {
        const v = w[start + i] as number;
        if (!Number.isFinite(v)) throw new RangeError(`int4: weight [${n}, ${b * blockSize + i}] is ${v}; the model's weights are damaged`);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        const a = Math.abs(v);
        if (a > amax) amax = a;
      }
      // Try a few narrowed ranges (clipping the largest values) and keep the one with the least
      // squared error over the block.
      let scale = 1;
      let zp = asymmetric ? 0 : 8;
      let best = Number.POSITIVE_INFINITY;
      for (const shrink of CLIP_RATIOS) {
        let s: number;
        let z: number;
        if (asymmetric) {
          s = Math.fround(((hi - lo) * shrink) / 15) || 1;
          z = Math.max(0, Math.min(15, Math.round((-lo * shrink) / s)));
        } else {
          s = Math.fround((amax * shrink) / 7) || 1;
          z = 8;
        }
        const inv = 1 / s;
        let err = 0;
        for (let i = 0; i < len; i++) {
          const v = w[start + i] as number;
          const c = clamp4(Math.floor(v * inv + 0.5) + z);
          const d = (c - z) * s - v;
          err += d * d;
        }
        if (err < best) {
          best = err;
          scale = s;
          zp = z;
        }
      }
      scales[n * nBlocks + b] = scale;
      const inv = 1 / scale;
      for (let i = 0; i < blockSize; i++) {
        q[i] = i < len ? clamp4(Math.floor((w[start + i] as number) * inv + 0.5) + zp) : zp;
      }
      const out = (n * nBlocks + b) * half;
      for (let i = 0; i < half; i++) packed[out + i] = (q[2 * i] as number) | ((q[2 * i + 1] as number) << 4);
      if (zeroPoints) {
        const at = n * zpRow + (b >> 1);
        zeroPoints[at] = (zeroPoints[at] as number) | (b & 1 ? zp << 4 : zp);
      }
    }
  }
  return { N, K, blockSize, nBlocks, packed, scales, zeroPoints };
}

/** W [N, K] back from its int4 form, as the operator sees it (for tests and error reports). */
export function dequantizeInt4(q: Int4Weight): Float32Array {
  const { N, K, blockSize, nBlocks } = q;
  const half = blockSize / 2;
  const zpRow = Math.ceil(nBlocks / 2);
  const w = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const i = k % blockSize;
      const byte = q.packed[(n * nBlocks + b) * half + (i >> 1)] as number;
      const v = i & 1 ? byte >> 4 : byte & 15;
      const zpByte = q.zeroPoints ? (q.zeroPoints[n * zpRow + (b >> 1)] as number) : 0x88;
      const zp = b & 1 ? zpByte >> 4 : zpByte & 15;
      w[n * K + k] = Math.fround((v - zp) * (q.scales[n * nBlocks + b] as number));
    }
  }
  return w;
}

/** Stored bytes of an int4 weight [N, K] (packed values, float32 scales, zero points if any). */
export function int4Bytes(N: number, K: number, blockSize: number, asymmetric = true): number {
  const nBlocks = Math.ceil(K / blockSize);
  return N * nBlocks * (blockSize / 2) + N * nBlocks * 4 + (asymmetric ? N * Math.ceil(nBlocks / 2) : 0);
}

/**
 * Largest weights per scale of the int8 format (onnxruntime's CPU MatMulNBits takes powers of two
 * from 16 to 256). 128 keeps the float scales at 4 bytes per 128 weights (3%); a block's scale is
 * never coarser than the per-channel one the format had before (tests/engine/int8.test.ts:
 * 55.8, 53.6, 53.4 dB against fp32, per-channel 56.3, 53.6, 53.9).
 */
export const INT8_BLOCK = 128;

/**
 * The int8 block size for K inputs: the largest power of two from 16 to `preferred` that divides
 * K (no padding), else the smallest that covers K when K is under `preferred`, else `preferred`.
 */
export function int8BlockFor(K: number, preferred: number = INT8_BLOCK): number {
  for (let b = preferred; b >= 16; b /= 2) if (K % b === 0) return b;
  let b = 16;
  while (b < K && b < preferred) b *= 2;
  return b;
}

export interface Int8Weight {
  N: number;
  K: number;
  blockSize: number;
  nBlocks: number;
  /** [N, nBlocks, blockSize]: q + 128, K padded with 128 (= 0). */
  packed: Uint8Array;
  /** [N * nBlocks] */
  scales: Float32Array;
}

/**
 * Quantises W [N, K] (row-major, torch Linear layout) to symmetric int8 blocks along K: scale =
 * max|w| / 127 over the block, q = round(w / scale) in -127..127.
 */
export function quantizeInt8(w: Float32Array, N: number, K: number, blockSize: number = INT8_BLOCK): Int8Weight {
  if (!Number.isInteger(blockSize) || blockSize < 16 || blockSize > 256 || (blockSize & (blockSize - 1)) !== 0)
    throw new RangeError(`int8 block size must be a power of two from 16 to 256, got ${blockSize}`);
  if (!Number.isInteger(N) || !Number.isInteger(K) || N < 1 || K < 1) throw new RangeError(`int8: bad weight shape [${N}, ${K}]`);
  if (w.length !== N * K) throw new RangeError(`int8: weight has ${w.length} values, expected ${N}x${K}`);
  const nBlocks = Math.ceil(K / blockSize);
  const packed = new Uint8Array(N * nBlocks * blockSize).fill(128);
  const scales = new Float32Array(N * nBlocks);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < nBlocks; b++) {
      const start = n * K + b * blockSize;
      const len = Math.min(blockSize, K - b * blockSize);
      let amax = 0;
      for (let i = 0; i < len; i++) {
        const v = w[start + i] as number;
        if (!Number.isFinite(v)) throw new RangeError(`int8: weight [${n}, ${b * blockSize + i}] is ${v}; the model's weights are damaged`);
        const a = Math.abs(v);
        if (a > amax) amax = a;
      }
      const scale = Math.fround(amax / 127) || 1;
      scales[n * nBlocks + b] = scale;
      const out = (n * nBlocks + b) * blockSize;
      for (let i = 0; i < len; i++) {
        const q = Math.round((w[start + i] as number) / scale);
        packed[out + i] = Math.max(-127, Math.min(127, q)) + 128;
      }
    }
  }
  return { N, K, blockSize, nBlocks, packed, scales };
}

/** W [N, K] back from its int8 form, as the operator sees it. */
export function dequantizeInt8(q: Int8Weight): Float32Array {
  const { N, K, blockSize, nBlocks } = q;
  const w = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const byte = q.packed[(n * nBlocks + b) * blockSize + (k % blockSize)] as number;
      w[n * K + k] = Math.fround((byte - 128) * (q.scales[n * nBlocks + b] as number));
    }
  }
  return w;
}

/** Stored bytes of an int8 weight [N, K] (one byte a weight, K padded to whole blocks, float32 scales). */
export function int8Bytes(N: number, K: number, preferred: number = INT8_BLOCK): number {
  const blockSize = int8BlockFor(K, preferred);
  const nBlocks = Math.ceil(K / blockSize);
  return N * nBlocks * blockSize + N * nBlocks * 4;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half from a float32, rounding to nearest even; overflow goes to ±Infinity. */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    let h = mant >>> shift;
    if (rest > halfway || (rest === halfway && h & 1)) h += 1;
    return sign | h;
  }
  const rest = mant & 0x1fff;
  let h = (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h += 1;
  return sign | h;
}

/** float32 value of an IEEE half bit pattern. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function toHalfArray(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = toHalf(data[i] as number);
  return out;
}
