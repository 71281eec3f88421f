// One Linear at Qwen-Image's width (K = N = 3072, 256 tokens) on the CPU provider: float32
// MatMul, fp16 weights widened by a Cast (what the fp16 precision builds), int8 (DequantizeLinear,
// which onnxruntime rewrites into an 8-bit MatMulNBits), int4 MatMulNBits at each block size, and
// a fully fp16 MatMul (fp16 activations too) to see whether the CPU provider has kernels for it.
// Reports median ms, the bytes of the weights on disk and the error against float64.
// Writes bench/results/int4-matmul.json.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { it } from 'vitest';
import { GraphBuilder, type LinearPrecision } from '../../electron/engine/onnx/graph';
import { DataType } from '../../electron/engine/onnx/proto';
import { fromHalf, toHalfArray } from '../../electron/engine/onnx/quant';
import { rand } from '../../tests/engine/measure';
import { writeBenchResult } from './results';

const _root = path.resolve(import.meta.dirname, '../..');
const [M, K, N] = [256, 3072, 3072];
const THREADS = 2;
const RUNS = 7;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

it('int4 / int8 / fp16 Linear on the CPU provider', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-mm-'));
  const w = rand(N * K, 1, 0.04);
  const x = rand(M * K, 2, 2);
  // Reference on a sample of outputs (float64).
  const sample = Array.from({ length: 512 }, (_, i) => [(i * 37) % M, (i * 101) % N] as [number, number]);
  const ref = sample.map(([m, n]) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += (x[m * K + k] as number) * (w[n * K + k] as number);
    return s;
  });
  const refRms = Math.sqrt(ref.reduce((a, v) => a + v * v, 0) / ref.length);
  const rows: Record<string, unknown>[] = [];
  const variants: { id: string; precision: LinearPrecision; blockSize?: number }[] = [
    { id: 'fp32', precision: 'fp32' },
    { id: 'fp16-weights', precision: 'fp16' },
    { id: 'int8', precision: 'int8' },
    ...[16, 32, 64, 128].map((b) => ({ id: `int4-b${b}`, precision: 'int4' as const, blockSize: b })),
  ];
  for (const v of variants) {
    const g = new GraphBuilder(v.id);
    g.setLinear({ precision: v.precision, int4: v.blockSize ? { blockSize: v.blockSize, asymmetric: true } : undefined });
    const t0 = performance.now();
    g.output(g.linear(g.input('x', [1, M, K]), 'fc', { dims: [N, K], data: w }), 'y', [1, M, N]);
    const buildMs = performance.now() - t0;
    const { model, data } = g.build({ externalFile: `${v.id}.bin` });
    writeFileSync(path.join(work, `${v.id}.onnx`), model);
    writeFileSync(path.join(work, `${v.id}.bin`), Buffer.concat(data ?? []));
    const s = await ort.InferenceSession.create(path.join(work, `${v.id}.onnx`), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: THREADS,
    });
    const feed = { x: new ort.Tensor('float32', x, [1, M, K]) };
    let y = (await s.run(feed)).y?.data as Float32Array;
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      y = (await s.run(feed)).y?.data as Float32Array;
      times.push(performance.now() - t);
    }
    await s.release();
    const err = Math.sqrt(sample.reduce((a, [m, n], i) => a + ((y[m * N + n] as number) - (ref[i] as number)) ** 2, 0) / sample.length);
    rows.push({
      id: v.id,
      ms: Math.round(median(times) * 10) / 10,
      weightFileBytes: statSync(path.join(work, `${v.id}.bin`)).size,
      relRmsError: Math.round((err / refRms) * 1e5) / 1e5,
      /** Transposing / converting / quantising the weight in JS. */
      prepareMs: Math.round(buildMs),
    });
    console.log(JSON.stringify(rows.at(-1)));
  }

  // Fully fp16 compute: fp16 activations and weights into MatMul.
  let fp16Compute: Record<string, unknown>;
  try {
    const g = new GraphBuilder('fp16_compute');
    const wt = new Float32Array(K * N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) wt[k * N + n] = w[n * K + k] as number;
    const half = toHalfArray(wt);
    const xi = g.input('x', [1, M, K], DataType.FLOAT16);
    (g as unknown as { inits: unknown[] }).inits.push({
      name: 'w16',
      dataType: DataType.FLOAT16,
      dims: [K, N],
      bytes: new Uint8Array(half.buffer),
    });
    g.output(g.op('MatMul', [xi, 'w16']), 'y', [1, M, N], DataType.FLOAT16);
    const { model, data } = g.build({ externalFile: 'fp16c.bin' });
    writeFileSync(path.join(work, 'fp16c.onnx'), model);
    writeFileSync(path.join(work, 'fp16c.bin'), Buffer.concat(data ?? []));
    const s = await ort.InferenceSession.create(path.join(work, 'fp16c.onnx'), { executionProviders: ['cpu'], intraOpNumThreads: THREADS });
    const xh = toHalfArray(x);
    const feed = { x: new ort.Tensor('float16', xh, [1, M, K]) };
    let y = (await s.run(feed)).y?.data as Uint16Array;
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      y = (await s.run(feed)).y?.data as Uint16Array;
      times.push(performance.now() - t);
    }
    await s.release();
    const err = Math.sqrt(
      sample.reduce((a, [m, n], i) => a + (fromHalf(y[m * N + n] as number) - (ref[i] as number)) ** 2, 0) / sample.length,
    );
    fp16Compute = { runs: true, ms: Math.round(median(times) * 10) / 10, relRmsError: Math.round((err / refRms) * 1e5) / 1e5 };
  } catch (e) {
    fp16Compute = { runs: false, error: String((e as Error).message).split('\n')[0] };
  }
  console.log('fp16 compute', JSON.stringify(fp16Compute));
  writeBenchResult(
    'int4-matmul',
    { shape: { M, K, N }, threads: THREADS, provider: 'cpu', cpu: os.cpus()[0]?.model, variants: rows, fp16Compute },
    { quiet: true },
  );
}, 900_000);
