/**
 * The executor's side of offloading: the planner (../plan) decides, per group of weights, where
 * it lives; this module asks it for a plan with the engine's own grouping and turns each plan
 * group into the graphs (session names) the pipeline opens, resident for the whole job or
 * streamed (opened from the graph cache for its turn and released after it).
 */
import {
  defaultBlockGroup,
  formatBytes,
  type ModelSizeInput,
  type Plan,
  type PlanGroup,
  type Precision,
  planModel,
} from '../plan/index.js';
import type { GenerateParams } from '../types.js';
import type { QwenImageModel } from './qwen-image.js';
import { nativeSize } from './resize.js';

export interface OffloadOptions {
  /** A plan to run as it is (from `enginePlan`); otherwise one is made for each job from the budget. */
  plan?: Plan;
  /** RAM for the process, activations, resident weights and streaming buffers. Default: unlimited (all resident). */
  ramBudgetBytes?: number;
  /** Load the next streamed block group while the current one runs (a second buffer). Default true. */
  prefetch?: boolean;
}

/** What a plan depends on besides the model: the job's size at the model's native resolution. */
export interface JobShape {
  width: number;
  height: number;
  steps: number;
  cfg: number;
  /** Prompt tokens after the template's prefix is dropped (the longer of the two CFG prompts). */
  textTokens: number;
}

/** A job's shape: its size at the model's native resolution and its prompts' token counts (tokenized here). */
export async function jobShape(model: QwenImageModel, p: GenerateParams): Promise<JobShape> {
  const native = nativeSize(p.width, p.height, model.nativeMaxPixels);
  const tokens = async (text: string) => {
    const n = (await model.tokenize(text)).length;
    return n - Math.min(model.prompt.dropTokens, n - 1);
  };
  const uncond = p.cfg > 1 ? await tokens(p.negativePrompt.trim() ? p.negativePrompt : ' ') : 0;
  return { width: native.width, height: native.height, steps: p.steps, cfg: p.cfg, textTokens: Math.max(await tokens(p.prompt), uncond) };
}

/**
 * The plan a job would run, without onnxruntime (for the app's back end, which shows it before
 * the engine process runs the job with the same options).
 */
export async function planJobFor(
  model: QwenImageModel,
  p: GenerateParams,
  o: { precision?: Precision; blockGroup?: number; ramBudgetBytes?: number; prefetch?: boolean } = {},
): Promise<Plan> {
  return enginePlan(model.configs, {
    precision: o.precision ?? 'fp32',
    blockGroup: o.blockGroup ?? defaultBlockGroup(model.configs),
    ramBudgetBytes: o.ramBudgetBytes,
    prefetch: o.prefetch,
    job: await jobShape(model, p),
  });
}

/** Rates for the plan's time estimate (the CLI's `poster plan` defaults; estimates, not measured here). */
export const ENGINE_RATES = { diskBytesPerSec: 2e9, hostToDeviceBytesPerSec: 16e9, cpuFlops: 200e9 };

/** Budget used when none is given: large enough that everything stays resident. */
export const UNLIMITED = Number.MAX_SAFE_INTEGER;

export interface EnginePlanOptions {
  precision: Precision;
  blockGroup: number;
  ramBudgetBytes?: number;
  prefetch?: boolean;
  job: JobShape;
}

/**
 * A CPU plan with the engine's grouping: its block groups, modulation groups on the same ranges
 * and the whole text encoder as one group (the engine builds it as one graph).
 */
export function enginePlan(model: ModelSizeInput, o: EnginePlanOptions): Plan {
  return planModel({
    model,
    precision: o.precision,
    blockGroup: o.blockGroup,
    ...(model.textEncoder ? { textGroup: model.textEncoder.num_hidden_layers } : {}),
    cpu: { budgetBytes: o.ramBudgetBytes ?? UNLIMITED, flops: ENGINE_RATES.cpuFlops },
    workload: o.job,
    diskBytesPerSec: ENGINE_RATES.diskBytesPerSec,
    hostToDeviceBytesPerSec: ENGINE_RATES.hostToDeviceBytesPerSec,
    prefetch: o.prefetch ?? true,
  });
}

export type GraphPlacement = 'resident' | 'stream';

/** The engine graphs one plan group stands for. */
export function graphsOf(g: PlanGroup): string[] {
  const kind = g.id.split(' ')[0];
  switch (kind) {
    case 'io':
      return ['txt_in', 'img_in', 'head'];
    case 'time':
      return ['time'];
    case 'mod':
      return [`mod_${g.first}_${g.end}`];
    case 'blocks':
      return [`blocks_${g.first}_${g.end}`];
    case 'text':
      return ['text_encoder'];
    case 'vae':
      return ['vae_decoder'];
    default:
      throw new Error(`the plan has a group the engine does not run: ${g.id}`);
  }
}

/**
 * Session name -> placement. Refuses a plan the engine cannot run as written: other block
 * ranges than its graphs, the text encoder split, or groups on a GPU (this engine runs on
 * onnxruntime's CPU provider).
 */
export function graphPlacements(plan: Plan, blockRanges: readonly [number, number][], textLayers: number): Map<string, GraphPlacement> {
  if (plan.execution !== 'cpu' || plan.groups.some((g) => g.placement === 'gpu'))
    throw new Error('This plan puts weights on a GPU, but the engine runs on the CPU provider; plan without a GPU budget.');
  const ranges = plan.groups.filter((g) => g.id.startsWith('blocks')).map((g) => `${g.first}-${g.end}`);
  const ours = blockRanges.map(([a, b]) => `${a}-${b}`);
  if (ranges.join() !== ours.join())
    throw new Error(
      `The plan's block groups (${ranges.join(', ')}) are not the engine's (${ours.join(', ')}); plan with block group ${plan.blockGroup}.`,
    );
  const text = plan.groups.filter((g) => g.id.startsWith('text'));
  if (text.length > 1 || (text[0] && (text[0].first !== 0 || text[0].end !== textLayers)))
    throw new Error(
      `The plan splits the text encoder into ${text.length} groups; the engine runs it as one graph of ${textLayers} layers.`,
    );
  const out = new Map<string, GraphPlacement>();
  for (const g of plan.groups) for (const name of graphsOf(g)) out.set(name, g.placement === 'stream' ? 'stream' : 'resident');
  return out;
}

/** One line for logs: how many groups and bytes are resident or streamed. */
export function placementSummary(plan: Plan): string {
  const by = (p: 'cpu' | 'stream') => plan.groups.filter((g) => g.placement === p);
  const bytes = (gs: PlanGroup[]) => formatBytes(gs.reduce((a, g) => a + g.bytes, 0));
  return `${by('cpu').length} groups resident (${bytes(by('cpu'))}), ${by('stream').length} streamed (${bytes(by('stream'))})`;
}
