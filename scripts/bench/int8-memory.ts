// Resident memory of a session per weight format (npm run bench). A stack of 8 Linears at width
// 512 (512 -> 2048 -> 512, four times; 8.4M weights, 256 tokens) is built as fp32, as int8 the
// way the engine used to (int8 + DequantizeLinear on axis 1 before a MatMul, which onnxruntime
// rewrites into its own 8-bit MatMulNBits while the session opens), as int8 the way it does now
// (MatMulNBits bits = 8, blocks of 128) and as int4 (MatMulNBits bits = 4). Each format opens
// four sessions, one after another, in a fresh Node process with the engine's session options
// (ortSessionOptions: CPU arena off, optimisation level 'all', no pre-packing except int4 as the
// engine opens it) and runs each twice; per session =
// the RSS growth from the first session's runs to the last one's, over three sessions. Run with
// glibc's default malloc and with its mmap and trim thresholds fixed at 128 KiB (freed
// temporaries then go back to the OS, so only what the sessions hold remains).
// Writes bench/results/int8-memory.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { GraphBuilder, type LinearPrecision } from '../../electron/engine/onnx/graph';
import { DataType } from '../../electron/engine/onnx/proto';
import { ortSessionOptions } from '../../electron/engine/pipeline/graph-cache';
import { rand } from '../../tests/engine/measure';

const root = path.resolve(import.meta.dirname, '../..');
const [M, D, H] = [256, 512, 2048];
const LAYERS = 4;
const SESSIONS = 4;
const MIB = 2 ** 20;

/** int8 as the engine built it before: per-output-channel scales, DequantizeLinear + MatMul. */
function dqLinear(g: GraphBuilder, x: string, prefix: string, w: Float32Array, N: number, K: number): string {
  const scale = new Float32Array(N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) scale[n] = Math.max(scale[n] as number, Math.abs(w[n * K + k] as number));
  for (let n = 0; n < N; n++) scale[n] = (scale[n] as number) / 127 || 1;
  const q = new Int8Array(K * N);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) q[k * N + n] = Math.max(-127, Math.min(127, Math.round((w[n * K + k] as number) / (scale[n] as number))));
  const inits = (g as unknown as { inits: { name: string; dataType: DataType; dims: number[]; bytes: Uint8Array }[] }).inits;
  inits.push({ name: `${prefix}.q`, dataType: DataType.INT8, dims: [K, N], bytes: new Uint8Array(q.buffer) });
  g.weight(`${prefix}.scale`, { dims: [N], data: scale });
  inits.push({ name: `${prefix}.zp`, dataType: DataType.INT8, dims: [N], bytes: new Uint8Array(N) });
  const wq = g.op('DequantizeLinear', [`${prefix}.q`, `${prefix}.scale`, `${prefix}.zp`], { axis: 1 });
  return g.op('MatMul', [x, wq]);
}

/** The child: opens SESSIONS sessions of one graph, runs each twice, prints RSS figures as JSON. */
const CHILD = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const ort = createRequire(process.argv[2])('onnxruntime-node');
const [, , , file, M, D, n, optsJson] = process.argv.map((a, i) => (i >= 4 && i < 7 ? Number(a) : a));
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const opts = { ...JSON.parse(optsJson), executionProviders: ['cpu'] };
const x = new Float32Array(M * D).map((_, i) => Math.sin(i * 0.37));
const feeds = { x: new ort.Tensor('float32', x, [1, M, D]) };
const start = rss();
const opened = [], ran = [], runMs = [], keep = [];
let openMs = 0;
for (let i = 0; i < n; i++) {
  let t = performance.now();
  const s = await ort.InferenceSession.create(file, opts);
  openMs += performance.now() - t;
  opened.push(rss() - start);
  for (let r = 0; r < 2; r++) { t = performance.now(); await s.run(feeds); runMs.push(performance.now() - t); }
  ran.push(rss() - start);
  keep.push(s);
}
runMs.sort((a, b) => a - b);
console.log(JSON.stringify({ opened, ran, openMs: openMs / n, runMs: runMs[runMs.length >> 1] }));
`;

it('resident memory of fp32, int8 (DequantizeLinear / MatMulNBits) and int4 sessions', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-int8mem-'));
  const child = path.join(work, 'child.mjs');
  writeFileSync(child, CHILD);
  const ws = Array.from({ length: 2 * LAYERS }, (_, i) => rand(D * H, i + 1, 0.05));
  // The engine opens int4 graphs pre-packed and every other graph without (pipeline/qwen-image.ts).
  const variants: { id: string; precision: LinearPrecision | 'int8-dq'; prepack?: boolean }[] = [
    { id: 'fp32', precision: 'fp32' },
    { id: 'int8-dequantizelinear', precision: 'int8-dq' },
    { id: 'int8-matmulnbits', precision: 'int8' },
    { id: 'int4-matmulnbits', precision: 'int4' },
    { id: 'int4-matmulnbits-prepacked', precision: 'int4', prepack: true },
  ];
  const rows: Record<string, unknown>[] = [];
  for (const v of variants) {
    const g = new GraphBuilder(v.id);
    g.setLinear(v.precision === 'int8-dq' ? 'fp32' : v.precision);
    let x = g.input('x', [1, M, D]);
    for (let l = 0; l < 2 * LAYERS; l++) {
      const [N, K] = l % 2 === 0 ? [H, D] : [D, H];
      const w = ws[l] as Float32Array;
      x = v.precision === 'int8-dq' ? dqLinear(g, x, `l${l}`, w, N, K) : g.linear(x, `l${l}`, { dims: [N, K], data: w });
    }
    g.output(x, 'y', [1, M, D]);
    const { model, data } = g.build({ externalFile: `${v.id}.bin` });
    writeFileSync(path.join(work, `${v.id}.onnx`), model);
    writeFileSync(path.join(work, `${v.id}.bin`), Buffer.concat(data ?? []));
    const fileBytes = statSync(path.join(work, `${v.id}.bin`)).size;
    const row: Record<string, unknown> = { id: v.id, weightFileMiB: +(fileBytes / MIB).toFixed(2) };
    for (const [mode, env] of [
      ['defaultMalloc', {}],
      ['mallocThresholds128k', { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' }],
    ] as const) {
      const opts = JSON.stringify(ortSessionOptions({ threads: 2, prepack: v.prepack ?? false }));
      const args = [child, path.join(root, 'package.json'), path.join(work, `${v.id}.onnx`), String(M), String(D), String(SESSIONS), opts];
      const out = execFileSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, ...env } });
      const r = JSON.parse(out.trim().split('\n').at(-1) as string) as { opened: number[]; ran: number[]; openMs: number; runMs: number };
      const perSession = ((r.ran.at(-1) as number) - (r.ran[0] as number)) / (SESSIONS - 1);
      row[mode] = {
        perSessionMiB: +(perSession / MIB).toFixed(1),
        perSessionOverFile: +(perSession / fileBytes).toFixed(2),
        firstOpenMiB: +((r.opened[0] as number) / MIB).toFixed(1),
        afterEachOpenAndRunMiB: r.opened.map((o, i) => `${(o / MIB).toFixed(0)}/${((r.ran[i] as number) / MIB).toFixed(0)}`).join(' '),
        openMs: Math.round(r.openMs),
        runMs: Math.round(r.runMs),
      };
    }
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(root, 'bench/results/int8-memory.json'),
    `${JSON.stringify({ shape: { tokens: M, width: D, hidden: H, linears: 2 * LAYERS }, sessions: SESSIONS, threads: 2, cpu: os.cpus()[0]?.model, variants: rows }, null, 2)}\n`,
  );
}, 900_000);
