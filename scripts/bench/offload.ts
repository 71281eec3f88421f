// Offloading benchmark (npm run bench, issue 7): `poster generate` (the built CLI, one process a
// run so each peak RSS is its own) on a Qwen-Image-family model of ~300 MB fp32 weights (8
// blocks, width 512), one block a group, at RAM budgets that leave room for 100%, 50% and 25%
// of the weights, prefetch on and off, for each precision. Per run: seconds per denoising step
// (median of the steps after the first, which also opens the resident graphs), the first step,
// peak RSS, and what the plan streamed. Writes bench/results/offload.json.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { it } from 'vitest';
import type { LinearPrecision } from '../../electron/engine/onnx/graph';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import type { Plan } from '../../electron/engine/plan/index';
import { makeTinyQwenImage } from '../../tests/engine/tiny';
import { writeBenchResult } from './results';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(root, 'bin/poster.mjs');
/** One word each; the CLI's --precision takes them. */
const PRECISIONS: LinearPrecision[] = ['fp32', 'int8', 'int4'];
const SHARES = [1, 0.5, 0.25];
const THREADS = 2;
const STEPS = 4;
const SIZE = 64;
const MIB = 2 ** 20;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

it('offload benchmark', async () => {
  const tmp = path.join(root, '.tmp');
  const dir = path.join(tmp, 'offload-bench-model-v1');
  if (!existsSync(path.join(dir, '.complete'))) {
    rmSync(dir, { recursive: true, force: true });
    await makeTinyQwenImage(dir, { size: 'bench', layers: 8, heads: 16, seed: 6 });
    writeFileSync(path.join(dir, '.complete'), '');
  }
  mkdirSync(tmp, { recursive: true });
  const data = mkdtempSync(path.join(tmp, 'offload-bench-data-'));
  const model = await loadPipelineModel(dir);
  const params = { prompt: 'red dots', negativePrompt: ' ', width: SIZE, height: SIZE, steps: STEPS, cfg: 4, seed: 1, model: dir };

  const generate = async (precision: LinearPrecision, budget: number, prefetch: boolean) => {
    const args = [BIN, 'generate', '--prompt', params.prompt, '--negative', params.negativePrompt, '--size', `${SIZE}x${SIZE}`];
    args.push('--steps', String(STEPS), '--cfg', '4', '--seed', '1', '--model', dir, '--threads', String(THREADS), '--block-group', '1');
    args.push('--precision', precision, '--ram-budget', `${budget}B`, '--out', path.join(data, 'out.png'));
    if (!prefetch) args.push('--no-prefetch');
    const r = await run(process.execPath, args, { encoding: 'utf8', env: { ...process.env, POSTER_DATA_DIR: data } });
    const steps = [...r.stderr.matchAll(/step \d+\/\d+ {2}([\d.]+) s\/step/g)].map((m) => Number(m[1]));
    const peak = Number(/Memory: peak .* \((\d+) bytes\), .* \((\d+) bytes\) before the model/.exec(r.stdout)?.[1]);
    const denoise = Number(/prompt [\d.]+ s, denoise ([\d.]+) s/.exec(r.stdout)?.[1]);
    const cpu = Number(/CPU time ([\d.]+) s/.exec(r.stdout)?.[1]);
    return { steps, peak, denoise, cpu };
  };

  const rows: Record<string, unknown>[] = [];
  for (const precision of PRECISIONS) {
    const planAt = (ramBudgetBytes?: number): Promise<Plan> =>
      new QwenImagePipeline(model, { cacheDir: path.join(data, 'unused'), precision, blockGroup: 1, ramBudgetBytes }).planFor(params);
    const full = await planAt();
    const host = full.devices[0]?.activationBytes as number;
    const weights = full.groups.reduce((a, g) => a + g.bytes, 0);
    await generate(precision, host + weights, true); // builds this precision's graph cache
    for (const share of SHARES) {
      const budget = host + Math.floor(weights * share);
      for (const prefetch of [true, false]) {
        const plan = await planAt(budget);
        const ram = plan.devices[0] as Plan['devices'][number];
        const r = await generate(precision, budget, prefetch);
        const streamed = plan.groups.filter((g) => g.placement === 'stream');
        const row = {
          precision,
          share,
          prefetch,
          ramBudgetBytes: budget,
          weightBytes: weights,
          plan: {
            residentBytes: ram.residentBytes,
            bufferBytes: ram.bufferBytes,
            streamedGroups: streamed.map((g) => g.id),
            diskBytesPerStep: plan.perStep.diskBytes,
          },
          secondsPerStep: r3(median(r.steps.slice(1))),
          firstStepSeconds: r3(r.steps[0] ?? Number.NaN),
          denoiseSeconds: r.denoise,
          cpuSeconds: r.cpu,
          peakRssBytes: r.peak,
          streamedMiBPerSecond: r3(plan.perStep.diskBytes / MIB / median(r.steps.slice(1))),
        };
        rows.push(row);
        console.log(
          `${precision} ${String(share * 100).padStart(3)}% prefetch ${prefetch ? 'on ' : 'off'}: ${row.secondsPerStep.toFixed(3)} s/step, CPU ${r.cpu.toFixed(1)} s, peak RSS ${(r.peak / MIB).toFixed(0)} MiB, ${streamed.length} groups streamed (${(plan.perStep.diskBytes / MIB).toFixed(0)} MiB a step)`,
        );
      }
    }
  }
  const result = {
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, platform: `${process.platform}-${process.arch}` },
    model: { layers: 8, width: 512, blockGroup: 1, size: `${SIZE}x${SIZE}`, steps: STEPS, cfg: 4, threads: THREADS },
    note: 'Each run is a separate `poster generate` process. secondsPerStep is the median wall time of steps 2..N (the first step also opens the resident graphs); cpuSeconds is the whole process (user + system), which contention on a shared machine disturbs less than wall time.',
    loadAverage: os.loadavg(),
    rows,
  };
  writeBenchResult('offload', result, { quiet: true });
}, 1_200_000);
