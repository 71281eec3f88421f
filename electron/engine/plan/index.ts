/**
 * Offloading plans for a Qwen-Image model from its configs: sizes (sizes.ts), work and memory
 * estimates (cost.ts), budgets (budget.ts) and the greedy placement (planner.ts).
 */
import { activationEstimate, passesOf, phaseOf, unitFlops, type Workload } from './cost.js';
import { type GpuProvider, type Plan, type PlanDevice, type PlanUnit, plan } from './planner.js';
import { type ModelSizeInput, modelUnits, type Precision, type QuantOptions } from './sizes.js';

export * from './budget.js';
export * from './cost.js';
export * from './planner.js';
export * from './sizes.js';

export interface ModelPlanOptions {
  model: ModelSizeInput;
  /** Transformer and text encoder precision. */
  precision: Precision;
  /** Default: the same when it is a float format, else fp16 on a GPU and fp32 on the CPU. */
  vaePrecision?: Precision;
  /** Default: the engine's own rule (all blocks in one group when they are small, else 1). */
  blockGroup?: number;
  textGroup?: number;
  gpu?: { provider: GpuProvider; budgetBytes: number; flops: number };
  cpu: { budgetBytes: number; flops: number };
  workload: Workload;
  diskBytesPerSec: number;
  hostToDeviceBytesPerSec: number;
  prefetch?: boolean;
  quant?: Partial<QuantOptions>;
}

/** The engine's default block group (pipeline/qwen-image.ts): all blocks when small, else one. */
export function defaultBlockGroup(m: ModelSizeInput): number {
  const t = m.transformer;
  const D = t.num_attention_heads * t.attention_head_dim;
  return 4 * 12 * D * D * 2 * t.num_layers < 512 * 2 ** 20 ? t.num_layers : 1;
}

/** Units with their phase and FLOPs for a workload. */
export function planUnits(m: ModelSizeInput, w: Workload, quant: Partial<QuantOptions> = {}): PlanUnit[] {
  return modelUnits(m, quant).map((u) => ({ ...u, phase: phaseOf(u), flops: unitFlops(u, m, w) }));
}

export function planModel(o: ModelPlanOptions): Plan {
  const floatPrecision = o.precision === 'fp32' || o.precision === 'fp16' || o.precision === 'bf16';
  const quant = { floatBytes: o.gpu ? 2 : 4, ...o.quant } as Partial<QuantOptions>;
  const devices: PlanDevice[] = [{ kind: 'cpu', ...o.cpu }];
  if (o.gpu) devices.push({ kind: 'gpu', ...o.gpu });
  const p = plan({
    units: planUnits(o.model, o.workload, quant),
    precision: {
      transformer: o.precision,
      text_encoder: o.precision,
      vae: o.vaePrecision ?? (floatPrecision ? o.precision : o.gpu ? 'fp16' : 'fp32'),
    },
    blockGroup: o.blockGroup ?? defaultBlockGroup(o.model),
    ...(o.textGroup ? { textGroup: o.textGroup } : {}),
    devices,
    activations: {
      gpu: activationEstimate(o.model, o.workload, o.precision === 'fp32' ? 4 : 2).device,
      cpu: activationEstimate(o.model, o.workload, 4).device,
      host: activationEstimate(o.model, o.workload, 4).host,
    },
    steps: o.workload.steps,
    passes: passesOf(o.workload),
    diskBytesPerSec: o.diskBytesPerSec,
    hostToDeviceBytesPerSec: o.hostToDeviceBytesPerSec,
    prefetch: o.prefetch ?? true,
  });
  if (p.execution === 'cpu' && (o.precision === 'fp16' || o.precision === 'bf16'))
    p.notes.push(
      `onnxruntime's CPU provider lacks ${o.precision} kernels for some operators; where the engine widens those weights to fp32 they take twice the bytes. int8 and int4 are the CPU formats.`,
    );
  return p;
}
