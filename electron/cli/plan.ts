// `poster plan`: where a model's weights would live under given memory budgets, how many bytes
// move per step and about how long an image takes, from the configs alone (nothing downloaded).
//   poster plan --model-config <transformer config.json | model folder> [--text-config FILE] [--vae-config FILE]
//               [--gpu-budget 24G] [--ram-budget 32G] [--gpu-provider cuda|webgpu|dml|coreml]
//               [--precision fp16|bf16|int8|int4|fp32] [--block-group N] [--int4-block 32]
//               [--size 1328x1328] [--steps 50] [--cfg 4] [--text-tokens 256] [--no-prefetch] [--verbose]
//               [--disk-gbps 2] [--pcie-gbps 16] [--gpu-tflops 80] [--cpu-gflops 200]
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { parseTextEncoderConfig, TransformerConfig, VaeConfig } from '../engine/model/configs';
import {
  BudgetError,
  defaultBlockGroup,
  defaultRamBudget,
  describeBudget,
  formatBytes,
  formatPlan,
  formatSeconds,
  type GpuProvider,
  isPrecision,
  type MeasuredBudget,
  type ModelSizeInput,
  measureNvidiaFree,
  PlanError,
  parseBytes,
  planModel,
} from '../engine/plan/index';

export class PlanUsageError extends Error {}

export const PLAN_USAGE = `poster plan --model-config <transformer config.json | model folder> [--text-config FILE] [--vae-config FILE] [--gpu-budget 24G] [--ram-budget 32G] [--gpu-provider cuda|webgpu|dml|coreml] [--precision fp16|bf16|int8|int4|fp32] [--block-group N] [--int4-block 32] [--size WxH] [--steps N] [--cfg X] [--text-tokens N] [--no-prefetch] [--verbose] [--disk-gbps 2] [--pcie-gbps 16] [--gpu-tflops 80] [--cpu-gflops 200]`;

const VALUED = [
  '--model-config',
  '--text-config',
  '--vae-config',
  '--gpu-budget',
  '--ram-budget',
  '--gpu-provider',
  '--precision',
  '--block-group',
  '--int4-block',
  '--size',
  '--steps',
  '--cfg',
  '--text-tokens',
  '--disk-gbps',
  '--pcie-gbps',
  '--gpu-tflops',
  '--cpu-gflops',
];
const SWITCHES = ['--no-prefetch', '--verbose'];
const PROVIDERS: GpuProvider[] = ['cuda', 'webgpu', 'dml', 'coreml'];

function num(name: string, v: string | undefined, ok: (n: number) => boolean, what: string): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || !ok(n))
    throw new PlanUsageError(`${name} needs ${what}, got ${v ?? 'nothing'}`);
  return n;
}

function readJsonFile(file: string, flag: string): unknown {
  if (!existsSync(file)) throw new PlanUsageError(`${flag}: ${file} does not exist`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PlanUsageError(`${flag}: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

function parseWith<T>(file: string, flag: string, parse: (raw: unknown) => T): T {
  try {
    return parse(readJsonFile(file, flag));
  } catch (e) {
    if (e instanceof PlanUsageError) throw e;
    const issues = (e as z.ZodError).issues;
    const detail = issues ? issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ') : (e as Error).message;
    throw new PlanUsageError(`${flag}: ${file} is not a usable config: ${detail}`);
  }
}

/** The configs from --model-config (a transformer config.json, a transformer folder or a model folder) and the extra flags. */
export function loadModelConfigs(v: Map<string, string>): { model: ModelSizeInput; files: string[] } {
  const given = v.get('--model-config');
  if (!given) throw new PlanUsageError('--model-config is required (a transformer config.json or a Qwen-Image model folder)');
  const at = path.resolve(given);
  if (!existsSync(at)) throw new PlanUsageError(`--model-config: ${at} does not exist`);
  let transformerFile = at;
  let textFile = v.get('--text-config');
  let vaeFile = v.get('--vae-config');
  if (statSync(at).isDirectory()) {
    const nested = path.join(at, 'transformer', 'config.json');
    transformerFile = existsSync(nested) ? nested : path.join(at, 'config.json');
    if (!existsSync(transformerFile)) throw new PlanUsageError(`--model-config: ${at} has neither transformer/config.json nor config.json`);
    const te = path.join(at, 'text_encoder', 'config.json');
    const vae = path.join(at, 'vae', 'config.json');
    if (!textFile && existsSync(te)) textFile = te;
    if (!vaeFile && existsSync(vae)) vaeFile = vae;
  }
  const model: ModelSizeInput = { transformer: parseWith(transformerFile, '--model-config', (r) => TransformerConfig.parse(r)) };
  const files = [transformerFile];
  if (textFile) {
    model.textEncoder = parseWith(path.resolve(textFile), '--text-config', parseTextEncoderConfig);
    files.push(path.resolve(textFile));
  }
  if (vaeFile) {
    model.vae = parseWith(path.resolve(vaeFile), '--vae-config', (r) => VaeConfig.parse(r));
    files.push(path.resolve(vaeFile));
  }
  return { model, files };
}

function defaultProvider(): GpuProvider {
  if (process.platform === 'darwin') return 'coreml';
  if (process.platform === 'win32') return 'dml';
  return 'cuda';
}

export async function planCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const v = new Map<string, string>();
  const on = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (SWITCHES.includes(a)) {
      on.add(a);
      continue;
    }
    if (!VALUED.includes(a)) throw new PlanUsageError(`Unknown option ${a}`);
    const value = argv[++i];
    if (value === undefined) throw new PlanUsageError(`${a} needs a value`);
    v.set(a, value);
  }
  const { model, files } = loadModelConfigs(v);
  const precision = v.get('--precision') ?? 'bf16';
  if (!isPrecision(precision)) throw new PlanUsageError(`--precision needs fp32, fp16, bf16, int8 or int4, got ${precision}`);
  const size = (v.get('--size') ?? '1328x1328').match(/^(\d+)x(\d+)$/i);
  if (!size) throw new PlanUsageError(`--size needs WxH, e.g. 1328x1328, got ${v.get('--size')}`);
  const [width, height] = [Number(size[1]), Number(size[2])];
  const cell = 8 * model.transformer.patch_size;
  if (width % cell || height % cell || width < cell || height < cell)
    throw new PlanUsageError(`--size: each side must be a positive multiple of ${cell} pixels, got ${width}x${height}`);
  const int = (flag: string, dflt: number, max: number, what: string) =>
    v.has(flag) ? num(flag, v.get(flag), (n) => Number.isInteger(n) && n >= 1 && n <= max, what) : dflt;
  const pos = (flag: string, dflt: number, what: string) => (v.has(flag) ? num(flag, v.get(flag), (n) => n > 0, what) : dflt);
  const steps = int('--steps', 50, 1000, 'a whole number of steps from 1 to 1000');
  const cfg = v.has('--cfg') ? num('--cfg', v.get('--cfg'), (n) => n >= 1 && n <= 20, 'a guidance scale from 1 to 20') : 4;
  const textTokens = int('--text-tokens', 256, 4096, 'a whole number of prompt tokens from 1 to 4096');
  const layers = model.transformer.num_layers;
  const blockGroup = int('--block-group', defaultBlockGroup(model), layers, `a whole number of blocks from 1 to ${layers}`);
  const blockSize = v.has('--int4-block')
    ? num('--int4-block', v.get('--int4-block'), (n) => Number.isInteger(n) && n >= 16 && (n & (n - 1)) === 0, 'a power of two ≥ 16')
    : 32;
  const diskGbps = pos('--disk-gbps', 2, 'a positive disk read speed in GB/s');
  const pcieGbps = pos('--pcie-gbps', 16, 'a positive host-to-GPU speed in GB/s');
  const gpuTflops = pos('--gpu-tflops', 80, 'a positive GPU throughput in TFLOP/s');
  const cpuGflops = pos('--cpu-gflops', 200, 'a positive CPU throughput in GFLOP/s');
  const provider = v.get('--gpu-provider') ?? defaultProvider();
  if (!PROVIDERS.includes(provider as GpuProvider))
    throw new PlanUsageError(`--gpu-provider needs one of ${PROVIDERS.join(', ')}, got ${provider}`);

  const budget = (flag: string): number | undefined => {
    const text = v.get(flag);
    if (text === undefined) return undefined;
    try {
      return parseBytes(text, flag);
    } catch (e) {
      if (e instanceof BudgetError) throw new PlanUsageError(e.message);
      throw e;
    }
  };
  const describe = (m: MeasuredBudget) => `${formatBytes(m.budgetBytes)} (${describeBudget(m)})`;
  let ram = budget('--ram-budget');
  const budgetLines: string[] = [];
  if (ram === undefined) {
    const m = defaultRamBudget();
    ram = m.budgetBytes;
    budgetLines.push(`RAM budget: ${describe(m)}; --ram-budget overrides it.`);
  }
  let gpuBudget = budget('--gpu-budget');
  let gpuProvider = provider as GpuProvider;
  if (gpuBudget === undefined) {
    const m = await measureNvidiaFree();
    if (m) {
      gpuBudget = m.budgetBytes;
      gpuProvider = v.has('--gpu-provider') ? gpuProvider : 'cuda';
      budgetLines.push(`GPU budget: ${describe(m)}; --gpu-budget overrides it.`);
    } else budgetLines.push('No GPU budget given and no GPU measured: planning for the CPU (--gpu-budget 24G plans for a GPU).');
  }

  const workload = { width, height, steps, cfg, textTokens };
  const parts = [
    `${width}x${height}`,
    `${steps} steps`,
    `CFG ${cfg}`,
    precision,
    `${blockGroup} block${blockGroup > 1 ? 's' : ''} a group`,
  ];
  const shown = (f: string) => {
    const rel = path.relative(process.cwd(), f);
    return rel && !rel.startsWith('..') ? rel : f;
  };
  log(`Plan for ${files.map(shown).join(', ')}: ${parts.join(', ')}.`);
  for (const l of budgetLines) log(l);
  try {
    const p = planModel({
      model,
      precision,
      blockGroup,
      quant: { blockSize },
      cpu: { budgetBytes: ram, flops: cpuGflops * 1e9 },
      ...(gpuBudget ? { gpu: { provider: gpuProvider, budgetBytes: gpuBudget, flops: gpuTflops * 1e12 } } : {}),
      workload,
      diskBytesPerSec: diskGbps * 1e9,
      hostToDeviceBytesPerSec: pcieGbps * 1e9,
      prefetch: !on.has('--no-prefetch'),
    });
    log(formatPlan(p, { verbose: on.has('--verbose') }));
    const st = p.perStep;
    log(
      `Expected: ${formatBytes(st.diskBytes + st.hostToDeviceBytes)} moved per step (${formatBytes(st.diskBytes)} from disk, ${formatBytes(st.hostToDeviceBytes)} to the GPU); about ${formatSeconds(p.perJob.seconds)} per image.`,
    );
    return 0;
  } catch (e) {
    if (e instanceof PlanError) {
      log(e.message);
      return 1;
    }
    throw e;
  }
}
