/**
 * The engine's entry point: `createGenerator()` returns an ImageGenerator that opens each model
 * folder once (verification, graph cache, sessions) and runs jobs on it.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LinearPrecision } from '../onnx/graph.js';
import { INT4_BLOCK_SIZES, isInt4BlockSize } from '../onnx/quant.js';
import { formatPlan, type Plan } from '../plan/index.js';
import type { GeneratedImage, GenerateParams, ImageGenerator, RunOptions } from '../types.js';
import { loadPipelineModel } from './model.js';
import type { OffloadOptions } from './offload.js';
import { resolveProviders } from './providers.js';
import { QwenImagePipeline } from './qwen-image.js';

export interface GeneratorOptions extends OffloadOptions {
  /** ONNX Runtime intra-op threads; 0 lets it decide. */
  threads?: number;
  /** Weight-only precision of the transformer blocks and text encoder (default fp32). */
  precision?: LinearPrecision;
  /** int4 only: weights per scale along K, 16, 32, 64 or 128 (default 32). */
  int4BlockSize?: number;
  /**
   * Execution providers in order of preference, e.g. ['cuda', 'webgpu', 'cpu'] (default CPU).
   * Names this onnxruntime-node build does not offer are dropped; none offered is an error.
   * A provider that fails to start falls through to the next; jobs name the one that ran.
   */
  providers?: readonly string[];
  /** Transformer blocks per graph (default: the engine's rule, all in one graph when small). */
  blockGroup?: number;
  /** Where built graphs are kept; default `~/.poster-studio/engine/graph-cache` (POSTER_DATA_DIR overrides the root). */
  cacheDir?: string;
}

/** Outside the model folder, which may be read-only (the bundled model inside an installed app). */
export function defaultGraphCache(): string {
  return join(process.env.POSTER_DATA_DIR || join(homedir(), '.poster-studio'), 'engine', 'graph-cache');
}

/** The offloading plan a job would run, as data and as the text the CLI prints and the app shows. */
export interface JobPlan {
  plan: Plan;
  text: string;
}

export interface Generator extends ImageGenerator {
  /** Plans a job without running it (opens the model folder; throws PlanError when nothing fits). */
  plan(params: GenerateParams, run?: Pick<RunOptions, 'cacheDir'>): Promise<JobPlan>;
}

export function createGenerator(options: GeneratorOptions = {}): Generator {
  const providers = resolveProviders(options.providers);
  if (options.int4BlockSize !== undefined && !isInt4BlockSize(options.int4BlockSize))
    throw new RangeError(`int4 block size must be one of ${INT4_BLOCK_SIZES.join(', ')}, got ${options.int4BlockSize}`);
  const pipelines = new Map<string, Promise<QwenImagePipeline>>();
  const pipelineFor = (dir: string, cacheDir?: string): Promise<QwenImagePipeline> => {
    let p = pipelines.get(dir);
    if (!p) {
      p = loadPipelineModel(dir).then(
        (model) =>
          new QwenImagePipeline(model, {
            cacheDir: cacheDir ?? options.cacheDir ?? defaultGraphCache(),
            threads: options.threads,
            precision: options.precision,
            int4BlockSize: options.int4BlockSize,
            providers,
            plan: options.plan,
            ramBudgetBytes: options.ramBudgetBytes,
            prefetch: options.prefetch,
            blockGroup: options.blockGroup,
          }),
      );
      // A folder that failed to open is retried on the next job (the user may have fixed it).
      p.catch(() => pipelines.delete(dir));
      pipelines.set(dir, p);
    }
    return p;
  };
  return {
    async plan(params: GenerateParams, run: Pick<RunOptions, 'cacheDir'> = {}): Promise<JobPlan> {
      const plan = await (await pipelineFor(params.model, run.cacheDir)).planFor(params);
      return { plan, text: formatPlan(plan) };
    },
    async generate(params: GenerateParams, run: RunOptions = {}): Promise<GeneratedImage> {
      const pipe = await pipelineFor(params.model, run.cacheDir);
      return pipe.generate(params, run);
    },
    async dispose(): Promise<void> {
      for (const p of pipelines.values()) {
        try {
          await (await p).dispose();
        } catch {
          // already failed to open: nothing to release
        }
      }
      pipelines.clear();
    },
  };
}
