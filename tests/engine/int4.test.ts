// Weight-only int4 (MatMulNBits) and fp16 weights (issue 7). At the operator level the packed
// bytes, decoded by a plain reader written here, times the input must equal what onnxruntime's
// MatMulNBits computes, for every block size, both zero-point modes and K that is not a whole
// number of blocks. fp16 weights must round like IEEE half.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readImageInfo } from '../../core/image-info';
import { GraphBuilder, type LinearPrecision } from '../../electron/engine/onnx/graph';
import { dequantizeInt4, fromHalf, INT4_BLOCK_SIZES, int4Bytes, quantizeInt4, toHalf } from '../../electron/engine/onnx/quant';
import { createGenerator } from '../../electron/engine/pipeline/index';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { offeredProviders, PROVIDER_NAMES, resolveProviders } from '../../electron/engine/pipeline/providers';
import { QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import { type Plan, PlanError } from '../../electron/engine/plan/index';
import { ProcessExecutor } from '../../electron/engine/runtime/host';
import { readPngText } from '../../electron/export/png-stream';
import { imageStats } from './image-stats';
import { graphBytes, psnr, QUALITY_PROMPTS, rand } from './measure';
import { makeTinyQwenImage } from './tiny';

const graphBytesOnnx = (cache: string, prefix: string) => graphBytes(cache, prefix, ['.bin', '.onnx']);

const MODEL = join(import.meta.dirname, '../../native-models/default');
const BIN = join(import.meta.dirname, '../../bin/poster.mjs');

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
    const bad = new Float32Array(64);
    bad[40] = Number.NaN;
    expect(() => quantizeInt4(bad, 2, 32, 32)).toThrow(/weight \[1, 8\] is NaN/);
    const g = new GraphBuilder('bad');
    g.linearPrecision = 'int4';
    expect(() => g.linear(g.input('x', [1, 32]), 'blocks.0.fc', { dims: [2, 32], data: bad })).toThrow(
      /^blocks\.0\.fc: int4: weight \[1, 8\] is NaN/,
    );
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

describe('int4 and fp16 on the bundled model', () => {
  it('decoded images stay close to fp32 and the block graphs shrink as the formats predict', async () => {
    const model = await loadPipelineModel(MODEL);
    const work = mkdtempSync(join(tmpdir(), 'int4-model-'));
    const make = (id: string, precision: LinearPrecision) =>
      new QwenImagePipeline(model, { cacheDir: join(work, id), threads: 2, precision });
    const fp32 = make('fp32', 'fp32');
    const int4 = make('int4', 'int4');
    const fp16 = make('fp16', 'fp16');
    const scores = { int4: [] as number[], fp16: [] as number[] };
    try {
      for (const [prompt, seed] of QUALITY_PROMPTS) {
        const params = { prompt, negativePrompt: ' ', width: 64, height: 64, steps: 16, cfg: 4, seed, model: MODEL };
        const a = await fp32.generate(params);
        const b = await int4.generate(params);
        const c = await fp16.generate(params);
        expect([a.precision, b.precision, c.precision]).toEqual(['fp32', 'int4 (block 32)', 'fp16']);
        expect(b.provider).toBe('cpu');
        scores.int4.push(psnr(a.rgb, b.rgb));
        scores.fp16.push(psnr(a.rgb, c.rgb));
        const [ma, mb] = [imageStats(a.rgb, 64, 64).mean, imageStats(b.rgb, 64, 64).mean];
        expect(Math.hypot(ma[0] - mb[0], ma[1] - mb[1], ma[2] - mb[2]), prompt).toBeLessThan(12);
      }
      console.log(
        `PSNR vs fp32 (dB): int4 ${scores.int4.map((s) => s.toFixed(1)).join(', ')}; fp16 ${scores.fp16.map((s) => s.toFixed(1)).join(', ')}`,
      );
      // Measured (bench/results/int4.json): int4 block 32 29.8-36.4 dB, fp16 64-72 dB.
      for (const s of scores.int4) expect(s).toBeGreaterThan(24);
      for (const s of scores.fp16) expect(s).toBeGreaterThan(50);
      for (const s of scores.int4) expect(s).toBeLessThan(Number.POSITIVE_INFINITY);

      // The block graphs' linear weights go from 4 bytes a weight to int4Bytes (packed nibbles,
      // a float scale and half a byte of zero point per 32 weights) or 2 bytes (fp16).
      const c = model.transformer;
      const D = c.num_attention_heads * c.attention_head_dim;
      const shapes: [number, number][] = [];
      for (let i = 0; i < c.num_layers; i++) {
        for (let k = 0; k < 8; k++) shapes.push([D, D]);
        for (let k = 0; k < 2; k++) shapes.push([4 * D, D], [D, 4 * D]);
      }
      const fp32Linear = shapes.reduce((s, [n, k]) => s + 4 * n * k, 0);
      const int4Linear = shapes.reduce((s, [n, k]) => s + int4Bytes(n, k, 32), 0);
      // Everything else in the graphs (norms, biases, scales under 1 KiB kept inline, structure)
      // stays as it is.
      const total32 = graphBytesOnnx(join(work, 'fp32'), 'blocks_');
      const rest = total32 - fp32Linear;
      expect(rest).toBeGreaterThan(0);
      const expect4 = (rest + int4Linear) / total32;
      const expect16 = (rest + fp32Linear / 2) / total32;
      const ratio4 = graphBytesOnnx(join(work, 'int4'), 'blocks_') / total32;
      const ratio16 = graphBytesOnnx(join(work, 'fp16'), 'blocks_') / total32;
      console.log(
        `block graph bytes vs fp32: int4 ${ratio4.toFixed(3)} (expected ${expect4.toFixed(3)}), fp16 ${ratio16.toFixed(3)} (expected ${expect16.toFixed(3)})`,
      );
      expect(ratio4).toBeGreaterThan(expect4 * 0.97);
      // Each int4 Linear adds two initializers' names, their alignment and a contrib node to the
      // files: allow 512 bytes of that a Linear.
      expect(ratio4).toBeLessThan(expect4 + (512 * shapes.length) / total32);
      expect(ratio16).toBeGreaterThan(expect16 * 0.97);
      expect(ratio16).toBeLessThan(expect16 * 1.03);
      // The text encoder shrinks too.
      expect(graphBytesOnnx(join(work, 'int4'), 'text_encoder')).toBeLessThan(graphBytesOnnx(join(work, 'fp32'), 'text_encoder') * 0.25);
    } finally {
      await fp32.dispose();
      await int4.dispose();
      await fp16.dispose();
    }
  }, 180_000);
});

describe('int4 block groups streamed from disk', () => {
  it('give the same bytes as the all-resident int4 run', async () => {
    // A model whose block weights outweigh the process's share, so the plan has blocks to stream.
    const work = mkdtempSync(join(tmpdir(), 'int4-stream-'));
    await makeTinyQwenImage(join(work, 'model'), { size: 'bench', layers: 8 });
    const model = await loadPipelineModel(join(work, 'model'));
    const params = {
      prompt: 'red gradient background',
      negativePrompt: ' ',
      width: 64,
      height: 64,
      steps: 4,
      cfg: 4,
      seed: 9,
      model: join(work, 'model'),
    };
    const resident = new QwenImagePipeline(model, { cacheDir: work, threads: 2, precision: 'int4', blockGroup: 1 });
    const a = await resident.generate(params);
    await resident.dispose();
    // The smallest budget the int4 plan runs in: it streams every block group it can.
    const tooSmall = new QwenImagePipeline(model, { cacheDir: work, threads: 2, precision: 'int4', blockGroup: 1, ramBudgetBytes: 1000 });
    const refused = await tooSmall.planFor(params).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PlanError);
    const streamed = new QwenImagePipeline(model, {
      cacheDir: work,
      threads: 2,
      precision: 'int4',
      blockGroup: 1,
      ramBudgetBytes: (refused as PlanError).minRamBytes,
    });
    try {
      const b = await streamed.generate(params);
      const plan = streamed.activePlan as Plan;
      expect(plan.groups.filter((g) => g.placement === 'stream' && g.id.startsWith('blocks')).length).toBeGreaterThan(0);
      expect(streamed.streamLoads).toBeGreaterThan(0);
      expect(Buffer.from(b.rgb).equals(Buffer.from(a.rgb))).toBe(true);
    } finally {
      await streamed.dispose();
    }
  }, 120_000);
});

describe('execution providers', () => {
  it('takes the order asked for, keeps only what this build offers and refuses unknown names', () => {
    const offered = offeredProviders().map((p) => p.name);
    expect(offered).toContain('cpu');
    expect(resolveProviders(undefined)).toEqual(['cpu']);
    expect(resolveProviders(['CPU'])).toEqual(['cpu']);
    expect(() => resolveProviders(['quantum'])).toThrow(/Unknown execution provider "quantum"/);
    const missing = PROVIDER_NAMES.find((p) => !offered.includes(p));
    if (missing) {
      expect(() => resolveProviders([missing])).toThrow(new RegExp(`None of the execution providers ${missing} is offered`));
      expect(resolveProviders([missing, 'cpu'])).toEqual(['cpu']);
    }
    expect(() => createGenerator({ providers: ['quantum'] })).toThrow(/Unknown execution provider/);
    expect(() => createGenerator({ precision: 'int4', int4BlockSize: 48 })).toThrow(/block size must be one of 16, 32, 64, 128, got 48/);
  });
});

describe('the app engine process', () => {
  const worker = join(import.meta.dirname, '../../out/main/engine-worker.js');
  it.runIf(existsSync(worker))(
    'runs jobs at the precision and on the providers in its settings',
    async () => {
      const work = mkdtempSync(join(tmpdir(), 'int4-worker-'));
      const executor = new ProcessExecutor({
        workerPath: worker,
        threads: 1,
        cacheDir: join(work, 'cache'),
        precision: 'int4',
        int4BlockSize: 64,
        providers: ['cpu'],
      });
      try {
        const params = { prompt: 'red dots', negativePrompt: '', width: 64, height: 64, steps: 2, cfg: 2, seed: 4, model: MODEL };
        const image = await executor.run('job-1', params, { signal: new AbortController().signal, onProgress: () => {} });
        expect(image.precision).toBe('int4 (block 64)');
        expect(image.provider).toBe('cpu');
        expect(image.rgb.length).toBe(64 * 64 * 3);
      } finally {
        await executor.terminate();
      }
    },
    120_000,
  );
});

const exec = promisify(execFile);
async function poster(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('poster generate --precision int4 (built CLI: npx electron-vite build)', () => {
  const built = existsSync(join(import.meta.dirname, '../../out/main/poster.js'));
  const work = mkdtempSync(join(tmpdir(), 'int4-cli-'));
  const base = ['generate', '--prompt', 'red dots', '--size', '64x64', '--steps', '3', '--seed', '5', '--model', MODEL, '--threads', '1'];

  it.runIf(built)(
    'writes a PNG with int4 weights, names the provider, and the block size changes the weights',
    async () => {
      const a = join(work, 'b32.png');
      const b = join(work, 'b64.png');
      const c = join(work, 'fp32.png');
      const r = await poster([...base, '--precision', 'int4', '--out', a]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Ran on the cpu execution provider, weights int4 \(block 32\)/);
      expect(readImageInfo(readFileSync(a))).toMatchObject({ width: 64, height: 64 });
      expect(readPngText(readFileSync(a))).toMatchObject({ precision: 'int4 (block 32)', provider: 'cpu', seed: '5' });
      const r64 = await poster([...base, '--precision', 'int4', '--block-size', '64', '--out', b]);
      expect(r64.code, r64.stderr).toBe(0);
      expect(r64.stdout).toMatch(/weights int4 \(block 64\)/);
      expect((await poster([...base, '--out', c])).code).toBe(0);
      const rgb = (f: string) => readFileSync(f);
      expect(rgb(a).equals(rgb(c))).toBe(false);
      expect(rgb(a).equals(rgb(b))).toBe(false);
    },
    120_000,
  );

  it.runIf(built)(
    'falls back through the providers asked for and names the one that ran',
    async () => {
      const out = join(work, 'fallback.png');
      const r = await poster([...base, '--provider', 'webgpu,cpu', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Ran on the (webgpu|cpu) execution provider/);
      const fp16 = await poster([...base, '--precision', 'fp16', '--out', join(work, 'fp16.png')]);
      expect(fp16.stdout).toMatch(
        /weights fp16 \(stored as fp16, widened to fp32 when the session loads: the CPU provider computes and holds them in fp32\)/,
      );
    },
    120_000,
  );

  it.runIf(built).each([
    [['--precision', 'int3'], /--precision needs fp32, int8, int4, fp16, got int3/],
    [['--precision', 'int4', '--block-size', '24'], /--block-size needs one of 16, 32, 64, 128, got 24/],
    [['--block-size', '64'], /--block-size applies to --precision int4 only/],
    [['--provider', 'quantum'], /--provider: Unknown execution provider "quantum"/],
  ])('refuses %j with exit code 2 and writes nothing', async (extra, message) => {
    const out = join(work, 'refused.png');
    const r = await poster([...base, ...extra, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
});
