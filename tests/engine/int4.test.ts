// Weight-only int4 (MatMulNBits) and fp16 weights (issue 7). At the operator level the packed
// bytes, decoded by a plain reader written here, times the input must equal what onnxruntime's
// MatMulNBits computes, for every block size, both zero-point modes and K that is not a whole
// number of blocks. fp16 weights must round like IEEE half.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type LinearPrecision } from '../../electron/engine/onnx/graph';
import { dequantizeInt4, fromHalf, INT4_BLOCK_SIZES, quantizeInt4, toHalf } from '../../electron/engine/onnx/quant';

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** Reads W [N, K] back from MatMulNBits' bytes, independently of the library's own decoder. */
function readPacked(
  packed: Uint8Array,
  scales: Float32Array,
  zp: Uint8Array | undefined,
  N: number,
  K: number,
  block: number,
): Float64Array {
  const blocks = Math.ceil(K / block);
  const w = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / block);
      const nibbles = packed[n * blocks * (block / 2) + b * (block / 2) + Math.floor((k % block) / 2)] as number;
      const q = (k % block) % 2 === 0 ? nibbles & 0x0f : nibbles >> 4;
      let z = 8;
      if (zp) {
        const zb = zp[n * Math.ceil(blocks / 2) + Math.floor(b / 2)] as number;
        z = b % 2 === 0 ? zb & 0x0f : zb >> 4;
      }
      w[n * K + k] = (q - z) * (scales[n * blocks + b] as number);
    }
  }
  return w;
}

async function runLinear(
  precision: LinearPrecision,
  w: Float32Array,
  N: number,
  K: number,
  x: Float32Array,
  M: number,
  int4?: { blockSize: number; asymmetric: boolean },
): Promise<Float32Array> {
  const g = new GraphBuilder('lin');
  g.linearPrecision = precision;
  if (int4) g.int4 = int4;
  g.output(g.linear(g.input('x', [1, M, K]), 'fc', { dims: [N, K], data: w }), 'y', [1, M, N]);
  const dir = mkdtempSync(join(tmpdir(), 'int4-op-'));
  const { model, data } = g.build({ externalFile: 'w.bin' });
  writeFileSync(join(dir, 'm.onnx'), model);
  writeFileSync(join(dir, 'w.bin'), Buffer.concat(data ?? []));
  const s = await ort.InferenceSession.create(join(dir, 'm.onnx'), { executionProviders: ['cpu'] });
  try {
    return (await s.run({ x: new ort.Tensor('float32', x, [1, M, K]) })).y?.data as Float32Array;
  } finally {
    await s.release();
  }
}

function matmulT(x: Float32Array, w: ArrayLike<number>, M: number, N: number, K: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (x[m * K + k] as number) * (w[n * K + k] as number);
      y[m * N + n] = s;
    }
  }
  return y;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

describe('int4 packing (MatMulNBits)', () => {
  const cases: [number, number, number, boolean][] = [];
  for (const block of INT4_BLOCK_SIZES) for (const asym of [true, false]) cases.push([block, 48, 256, asym]);
  // K not a whole number of blocks: padded with zero-valued nibbles.
  cases.push([32, 24, 100, true], [16, 9, 7, false], [128, 5, 200, true], [64, 17, 65, false]);

  it.each(cases)('block %i, N=%i, K=%i, asymmetric=%s: onnxruntime equals the bytes decoded in JS', async (block, N, K, asym) => {
    const w = rand(N * K, N * 7 + K);
    // A few outliers and an all-positive row so blocks have skewed ranges.
    w[3] = 4;
    for (let k = 0; k < K; k++) w[K + k] = Math.abs(w[K + k] as number) + 0.25;
    const q = quantizeInt4(w, N, K, block, asym);
    expect(q.packed.length).toBe(N * Math.ceil(K / block) * (block / 2));
    expect(q.zeroPoints === undefined).toBe(!asym);
    const decoded = readPacked(q.packed, q.scales, q.zeroPoints, N, K, block);
    expect(maxAbsDiff(decoded, dequantizeInt4(q))).toBeLessThan(1e-6);
    // Every weight within half a quantisation step, or, where the block's range was clipped,
    // decoded as the range's nearest end.
    let clipped = 0;
    for (let i = 0; i < N * K; i++) {
      const [n, b] = [Math.floor(i / K), Math.floor((i % K) / block)];
      const scale = q.scales[n * q.nBlocks + b] as number;
      const zb = q.zeroPoints ? (q.zeroPoints[n * Math.ceil(q.nBlocks / 2) + (b >> 1)] as number) : 0x88;
      const z = b & 1 ? zb >> 4 : zb & 15;
      const [lo, hi] = [-z * scale, (15 - z) * scale];
      const v = w[i] as number;
      if (v > hi + scale / 2 || v < lo - scale / 2) {
        clipped++;
        expect(decoded[i]).toBeCloseTo(v > hi ? hi : lo, 6);
      } else expect(Math.abs((decoded[i] as number) - v)).toBeLessThanOrEqual(scale * 0.5001 + 1e-7);
    }
    expect(clipped).toBeLessThan((N * K) / 20);
    const M = 5;
    const x = rand(M * K, 99 + K);
    const got = await runLinear('int4', w, N, K, x, M, { blockSize: block, asymmetric: asym });
    const want = matmulT(x, decoded, M, N, K);
    expect(got.length).toBe(M * N);
    expect(maxAbsDiff(got, want)).toBeLessThan(2e-4);
    // And it is a real approximation of the float product, not just self-consistent.
    const exact = matmulT(x, w, M, N, K);
    const rms = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0) / a.length);
    const err = rms(Array.from(got, (v, i) => v - (exact[i] as number)));
    expect(err / rms(exact)).toBeLessThan(asym ? 0.15 : 0.3);
  });

  it('refuses block sizes MatMulNBits does not take, and shapes that do not match', () => {
    expect(() => quantizeInt4(new Float32Array(64), 2, 32, 24)).toThrow(/block size must be one of 16, 32, 64, 128/);
    expect(() => quantizeInt4(new Float32Array(63), 2, 32, 32)).toThrow(/63 values, expected 2x32/);
  });
});

describe('fp16 weights', () => {
  it('round like IEEE half (nearest even, subnormals, overflow)', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
      [0.1, 0x2e66],
      [Number.NaN, 0x7e00],
    ];
    for (const [v, h] of cases) expect(toHalf(v), String(v)).toBe(h);
    for (let h = 0; h < 0x7c00; h += 37) expect(toHalf(fromHalf(h))).toBe(h);
  });

  it('a Linear with fp16 weights equals the float product of the rounded weights', async () => {
    const [N, K, M] = [33, 70, 4];
    const w = rand(N * K, 5);
    const x = rand(M * K, 6);
    const got = await runLinear('fp16', w, N, K, x, M);
    const rounded = Array.from(w, (v) => fromHalf(toHalf(v)));
    expect(maxAbsDiff(got, matmulT(x, rounded, M, N, K))).toBeLessThan(2e-5);
    expect(maxAbsDiff(got, matmulT(x, w, M, N, K))).toBeGreaterThan(0);
  });
});
