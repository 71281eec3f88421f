// `poster generate`: text to image with the local engine, headless.
//   poster generate --prompt TEXT [--text WORDS] [--negative TEXT] [--size WxH] [--steps N] [--cfg X] [--seed N]
//                   [--model DIR] [--threads N] [--precision fp32|fp16|int8|int4] [--block-size N]
//                   [--provider cuda,webgpu,cpu] [--ram-budget 2G] [--block-group N] [--no-prefetch]
//                   --out image.png
//   poster generate --init in.png --mask x,y,w,h|mask.png [--strength S] --prompt TEXT ... --out out.png
//     regenerates only the masked part of in.png (the output keeps its size).
// Prints the offloading plan before it starts (the RAM budget defaults to free memory minus a
// reserve); progress on stderr; the settings go into the PNG as text chunks; Ctrl+C cancels and
// leaves no partial file.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MAX_PAINT_TEXT } from '../../core/paint-text';
import { LINEAR_PRECISIONS, type LinearPrecision } from '../engine/onnx/graph';
import { DEFAULT_INT4_BLOCK, INT4_BLOCK_SIZES, isInt4BlockSize } from '../engine/onnx/quant';
import { createGenerator } from '../engine/pipeline/index';
import { RegionError } from '../engine/pipeline/inpaint';
import { offeredProviders, ProviderError, resolveProviders } from '../engine/pipeline/providers';
import { defaultRamBudget, describeBudget, formatBytes, parseBytes } from '../engine/plan/index';
import { regionInput } from '../engine/runtime/region';
import { settingsText } from '../engine/runtime/settings';
import { CancelledError, type GenerateParams } from '../engine/types';
import { encodePng } from '../export/png-stream';
import { atomicWrite } from '../store/atomic';
import { bundledModelDir } from '../store/resources';

export class GenerateUsageError extends Error {}

export const GENERATE_USAGE = `poster generate --prompt TEXT [--text WORDS] [--negative TEXT] [--size WxH] [--steps N] [--cfg X] [--seed N] [--model DIR] [--threads N] [--precision fp32|fp16|int8|int4] [--block-size 16|32|64|128] [--provider cuda,webgpu,cpu] [--ram-budget 2G] [--block-group N] [--no-prefetch] [--init in.png --mask x,y,w,h|mask.png [--strength 0-1]] --out image.png`;

/** A region to regenerate, as given on the command line (read and checked by generateCommand). */
export interface RegionArgs {
  init: string;
  mask: { x: number; y: number; width: number; height: number } | string;
  strength: number;
}

function num(name: string, v: string | undefined, ok: (n: number) => boolean, what: string): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || !ok(n)) throw new GenerateUsageError(`${name} needs ${what}, got ${v ?? 'nothing'}`);
  return n;
}

export function parseGenerateArgs(argv: string[]): {
  params: GenerateParams;
  out: string;
  threads: number;
  precision: LinearPrecision;
  int4BlockSize?: number;
  providers: string[];
  region?: RegionArgs;
  ramBudgetBytes?: number;
  blockGroup?: number;
  prefetch: boolean;
} {
  const v = new Map<string, string>();
  const known = [
    '--prompt',
    '--text',
    '--negative',
    '--size',
    '--steps',
    '--cfg',
    '--seed',
    '--model',
    '--threads',
    '--precision',
    '--block-size',
    '--provider',
    '--init',
    '--mask',
    '--strength',
    '--ram-budget',
    '--block-group',
    '--out',
  ];
  let prefetch = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--no-prefetch') {
      prefetch = false;
      continue;
    }
    if (!known.includes(a)) throw new GenerateUsageError(`Unknown option ${a}`);
    const value = argv[++i];
    if (value === undefined) throw new GenerateUsageError(`${a} needs a value`);
    v.set(a, value);
  }
  const prompt = v.get('--prompt');
  if (!prompt?.trim()) throw new GenerateUsageError('--prompt is required');
  const paintText = v.get('--text')?.trim();
  if (paintText && paintText.length > MAX_PAINT_TEXT)
    throw new GenerateUsageError(`--text: at most ${MAX_PAINT_TEXT} characters of text to paint, got ${paintText.length}`);
  const out = v.get('--out');
  if (!out || !/\.png$/i.test(out)) throw new GenerateUsageError('--out FILE.png is required');
  const region = parseRegionArgs(v);
  if (region && v.has('--size'))
    throw new GenerateUsageError('--size cannot be used with --init: the result keeps the size of the --init image');
  const size = (v.get('--size') ?? '512x512').match(/^(\d+)x(\d+)$/i);
  if (!size) throw new GenerateUsageError(`--size needs WxH, e.g. 512x768, got ${v.get('--size')}`);
  const [width, height] = [Number(size[1]), Number(size[2])];
  for (const d of [width, height]) {
    if (d % 16 || d < 64 || d > 2048)
      throw new GenerateUsageError(`--size: each side must be a multiple of 16 between 64 and 2048, got ${width}x${height}`);
  }
  const numbers = {
    threads: v.has('--threads')
      ? num('--threads', v.get('--threads'), (n) => Number.isInteger(n) && n >= 1 && n <= 256, 'a thread count')
      : Math.min(os.cpus().length, 8),
    steps: v.has('--steps')
      ? num('--steps', v.get('--steps'), (n) => Number.isInteger(n) && n >= 1 && n <= 100, 'a whole number of steps from 1 to 100')
      : 20,
    cfg: v.has('--cfg') ? num('--cfg', v.get('--cfg'), (n) => n >= 1 && n <= 20, 'a guidance scale from 1 to 20') : 4,
    seed: v.has('--seed')
      ? num('--seed', v.get('--seed'), (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32, 'an integer from 0 to 4294967295')
      : Math.floor(Math.random() * 2 ** 32),
  };
  let model = v.get('--model');
  if (!model) {
    const found = bundledModelDir();
    if (!found)
      throw new GenerateUsageError(
        `No bundled model found at native-models/default (resources/models/default in an installed app${process.env.POSTER_MODEL ? `, or POSTER_MODEL=${process.env.POSTER_MODEL}` : ''}); pass --model DIR with a Qwen-Image model folder.`,
      );
    model = found;
  }
  model = path.resolve(model);
  if (!existsSync(model)) throw new GenerateUsageError(`--model: ${model} does not exist`);
  const precision = (v.get('--precision') ?? 'fp32') as LinearPrecision;
  if (!LINEAR_PRECISIONS.includes(precision))
    throw new GenerateUsageError(`--precision needs ${LINEAR_PRECISIONS.join(', ')}, got ${precision}`);
  let int4BlockSize: number | undefined;
  if (v.has('--block-size')) {
    if (precision !== 'int4') throw new GenerateUsageError(`--block-size applies to --precision int4 only (got --precision ${precision})`);
    int4BlockSize = Number(v.get('--block-size'));
    if (!isInt4BlockSize(int4BlockSize))
      throw new GenerateUsageError(`--block-size needs one of ${INT4_BLOCK_SIZES.join(', ')}, got ${v.get('--block-size')}`);
  }
  const providers = (v.get('--provider') ?? 'cpu').split(',').filter((p) => p.trim());
  try {
    resolveProviders(providers);
  } catch (e) {
    if (e instanceof ProviderError) throw new GenerateUsageError(`--provider: ${e.message}`);
    throw e;
  }
  let ramBudgetBytes: number | undefined;
  const budget = v.get('--ram-budget');
  if (budget !== undefined) {
    try {
      ramBudgetBytes = parseBytes(budget, '--ram-budget');
    } catch (e) {
      throw new GenerateUsageError((e as Error).message);
    }
  }
  const blockGroup = v.has('--block-group')
    ? num('--block-group', v.get('--block-group'), (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'a whole number of blocks a group')
    : undefined;
  return {
    out: path.resolve(out),
    region,
    precision,
    int4BlockSize,
    providers,
    ramBudgetBytes,
    blockGroup,
    prefetch,
    threads: numbers.threads,
    params: {
      prompt,
      negativePrompt: v.get('--negative') ?? '',
      width,
      height,
      steps: numbers.steps,
      cfg: numbers.cfg,
      seed: numbers.seed,
      model,
      ...(paintText ? { paintText } : {}),
    },
  };
}

function parseRegionArgs(v: Map<string, string>): RegionArgs | undefined {
  const init = v.get('--init');
  const mask = v.get('--mask');
  if (!init) {
    if (mask !== undefined || v.has('--strength'))
      throw new GenerateUsageError('--mask and --strength need --init IMAGE (the image to change)');
    return undefined;
  }
  if (!existsSync(init)) throw new GenerateUsageError(`--init: ${path.resolve(init)} does not exist`);
  if (mask === undefined) throw new GenerateUsageError('--init needs --mask x,y,w,h (pixels) or --mask MASK.png (white = regenerate)');
  let parsedMask: RegionArgs['mask'];
  const rect = mask.match(/^(\d+),(\d+),(\d+),(\d+)$/);
  if (rect) {
    const [x, y, width, height] = rect.slice(1).map(Number) as [number, number, number, number];
    if (width < 1 || height < 1) throw new GenerateUsageError(`--mask: the rectangle ${mask} is empty`);
    parsedMask = { x, y, width, height };
  } else if (/\.(png|jpe?g|webp)$/i.test(mask)) {
    if (!existsSync(mask)) throw new GenerateUsageError(`--mask: ${path.resolve(mask)} does not exist`);
    parsedMask = path.resolve(mask);
  } else {
    throw new GenerateUsageError(`--mask needs x,y,w,h in pixels (e.g. 64,64,128,96) or a mask image, got ${mask}`);
  }
  const strength = v.has('--strength')
    ? num('--strength', v.get('--strength'), (n) => n > 0 && n <= 1, 'a number above 0 and at most 1')
    : 1;
  return { init: path.resolve(init), mask: parsedMask, strength };
}

export async function generateCommand(
  argv: string[],
  log: (s: string) => void,
  progress: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  const startRss = process.memoryUsage.rss();
  const parsed = parseGenerateArgs(argv);
  const { params, out, threads, precision, prefetch, blockGroup, int4BlockSize, providers, region } = parsed;
  let ramBudgetBytes = parsed.ramBudgetBytes;
  if (ramBudgetBytes === undefined) {
    const m = defaultRamBudget();
    ramBudgetBytes = m.budgetBytes;
    log(`RAM budget: ${formatBytes(m.budgetBytes)} (${describeBudget(m)}); --ram-budget overrides it.`);
  }
  if (region) {
    try {
      params.region = await regionInput({
        image: await readFile(region.init),
        mask: typeof region.mask === 'string' ? await readFile(region.mask) : region.mask,
        strength: region.strength,
      });
    } catch (e) {
      if (e instanceof RegionError) throw new GenerateUsageError(e.message);
      throw e;
    }
    params.width = params.region.width;
    params.height = params.region.height;
  }
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  const gen = createGenerator({ threads, precision, int4BlockSize, providers, ramBudgetBytes, prefetch, blockGroup });
  const t0 = performance.now();
  let last = t0;
  try {
    // A PlanError (nothing fits) reaches the user as it is: it names the smallest --ram-budget.
    log((await gen.plan(params)).text);
    log(
      `${region ? `Regenerating a region of ${path.basename(region.init)}` : 'Generating'} ${params.width}x${params.height}, ${params.steps} steps, CFG ${params.cfg}, seed ${params.seed}, model ${path.basename(params.model)}…`,
    );
    const image = await gen.generate(params, {
      signal: abort.signal,
      onProgress: ({ step, steps }) => {
        const now = performance.now();
        const per = (now - last) / 1000;
        last = now;
        const bar = '#'.repeat(Math.round((step / steps) * 24)).padEnd(24, '.');
        progress(`\r  [${bar}] step ${step}/${steps}  ${per.toFixed(2)} s/step  ETA ${(per * (steps - step)).toFixed(0)} s `);
      },
    });
    progress('\n');
    log(
      describeRun(
        image.precision ?? precision,
        image.provider ?? 'cpu',
        precision === 'int4' ? (int4BlockSize ?? DEFAULT_INT4_BLOCK) : undefined,
      ),
    );
    const text = settingsText(params, path.basename(params.model), image);
    if (region) {
      const m = region.mask;
      text.region = `${typeof m === 'string' ? `mask ${path.basename(m)}` : `rect ${m.x},${m.y} ${m.width}x${m.height}`} of ${path.basename(region.init)}, strength ${region.strength}`;
    }
    const png = encodePng(image.rgb, image.width, image.height, { text });
    await atomicWrite(out, png);
    const t = image.timings;
    log(
      `Wrote ${out} (${(png.length / 1024).toFixed(0)} KB) in ${((performance.now() - t0) / 1000).toFixed(1)} s (prompt ${(t.encodeMs / 1000).toFixed(1)} s, denoise ${(t.denoiseMs / 1000).toFixed(1)} s, decode ${(t.decodeMs / 1000).toFixed(1)} s). Seed ${params.seed}.`,
    );
    const peak = peakRss();
    const used = process.cpuUsage();
    const cpu = used.user + used.system;
    log(
      `Memory: peak ${formatBytes(peak)} resident (${peak} bytes), ${formatBytes(startRss)} (${startRss} bytes) before the model; RAM budget ${formatBytes(ramBudgetBytes)}; CPU time ${(cpu / 1e6).toFixed(2)} s.`,
    );
    return 0;
  } catch (err) {
    progress('\n');
    if (err instanceof CancelledError) {
      log('Cancelled; nothing was written.');
      return 130;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    await gen.dispose();
  }
}

/** One line naming where the job ran and how its weights were stored. */
export function describeRun(precision: string, provider: string, int4Block?: number): string {
  const offered = offeredProviders()
    .map((p) => p.name)
    .join(', ');
  let how = '';
  if (precision === 'fp16' && provider === 'cpu')
    how = ' (stored as fp16, widened to fp32 when the session loads: the CPU provider computes and holds them in fp32)';
  else if (int4Block !== undefined) how = ' (MatMulNBits, 4-bit weights with a scale and zero point per block)';
  return `Ran on the ${provider} execution provider, weights ${precision}${how}. This onnxruntime-node offers: ${offered}.`;
}

/**
 * The process's resident high-water mark, the figure a RAM budget bounds. On Linux it is read from
 * /proc/self/status (VmHWM): getrusage's maxRSS survives exec, so a process started by a big
 * parent (a test runner, an IDE) would report the parent's size. Elsewhere maxRSS (KiB) is used.
 */
export function peakRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
