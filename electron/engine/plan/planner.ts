/**
 * The offloading planner: where each group of weights lives while a job runs. Plain data in,
 * plain data out; nothing here loads a model.
 *
 * Groups (the engine builds one graph per group):
 *   encode    text a-b     text encoder layers, once per prompt
 *   modulate  time, mod a-b  AdaLN linears, once per job for every step at once
 *   denoise   io, blocks a-b  every pass of every step (CFG: two passes a step)
 *   decode    vae          once per job
 * Placements:
 *   gpu     resident in GPU memory for the whole job (and between jobs)
 *   cpu     resident in RAM; when the GPU runs the model it is uploaded for its turn
 *   stream  read from disk for its turn into one of `slots` RAM buffers (2 with prefetch: the
 *           next group loads while the current one runs) and released after it. CFG's two
 *           passes run back to back inside a group, so a streamed group is read once a step.
 * Greedy, in order of reuse (the denoise groups first, earliest first; then the once-a-job
 * groups): every group that still fits goes on the GPU, then into RAM, the rest stream.
 * Offloaded groups need buffers sized for the largest group: `slots` on the GPU (staging for
 * uploads) and `slots` in RAM (streaming), so the smallest working budgets are exact:
 *   GPU ≥ activations + min(all weights, slots × largest group)
 *   RAM ≥ host arrays (+ activations when the CPU computes) + min(offloaded weights, slots × largest offloaded group)
 */
import type { ComponentName } from '../model/configs.js';
import { bytesArg, formatBytes } from './budget.js';
import type { Phase } from './cost.js';
import type { Precision, UnitSize } from './sizes.js';

export type Placement = 'gpu' | 'cpu' | 'stream';
export type GpuProvider = 'cuda' | 'webgpu' | 'dml' | 'coreml';

export interface CpuDevice {
  kind: 'cpu';
  budgetBytes: number;
  /** Sustained FLOP/s of the CPU on these graphs. */
  flops: number;
}
export interface GpuDevice {
  kind: 'gpu';
  provider: GpuProvider;
  budgetBytes: number;
  flops: number;
}
export type PlanDevice = CpuDevice | GpuDevice;

/** A unit with its phase and FLOPs of one use (see cost.ts unitFlops). */
export interface PlanUnit extends UnitSize {
  phase: Phase | 'lookup';
  flops: number;
}

export interface PlanInput {
  units: PlanUnit[];
  /** Precision per component; text encoder and VAE default to the transformer's. */
  precision: { transformer: Precision } & Partial<Record<ComponentName, Precision>>;
  /** Transformer blocks per group (modulation groups follow the same ranges). */
  blockGroup: number;
  /** Text encoder layers per group; default: as many as fit in the largest block group's bytes (at least 1). */
  textGroup?: number;
  devices: PlanDevice[];
  /** Working set of one graph run on the GPU (fp16) or on the CPU (fp32), and the host's arrays. */
  activations: { gpu: number; cpu: number; host: number };
  steps: number;
  passes: 1 | 2;
  diskBytesPerSec: number;
  hostToDeviceBytesPerSec: number;
  /** Load the next streamed group while the current one runs (two buffers). Default true. */
  prefetch?: boolean;
}

export interface PlanGroup {
  id: string;
  phase: Phase;
  units: string[];
  /** Block (or layer) range [first, end) for blocks, mod and text groups. */
  first?: number;
  end?: number;
  bytes: number;
  placement: Placement;
  /** FLOPs of one run: a whole step (all passes) for denoise groups, the whole job otherwise. */
  flops: number;
}

export interface DeviceUse {
  kind: 'cpu' | 'gpu';
  provider?: GpuProvider;
  budgetBytes: number;
  /** Most bytes in use at once: resident weights + buffers + activations. */
  peakBytes: number;
  residentBytes: number;
  /** Streaming buffers (RAM) or upload staging (GPU). */
  bufferBytes: number;
  activationBytes: number;
  /** The smallest budget this device could have with the rest unchanged (exact). */
  minBudgetBytes: number;
}

export interface PlanComponent {
  component: ComponentName;
  precision: Precision;
  params: number;
  bytes: number;
}

export interface Plan {
  execution: 'gpu' | 'cpu';
  provider?: GpuProvider;
  components: PlanComponent[];
  /** Modulation (time + AdaLN) share of the transformer's bytes. */
  modulationBytes: number;
  blockGroup: number;
  textGroup: number;
  prefetch: boolean;
  slots: number;
  steps: number;
  passes: 1 | 2;
  /** Groups in run order. */
  groups: PlanGroup[];
  /** Tables read by rows from disk, never held whole (the token embedding). */
  lookups: { id: string; bytes: number }[];
  devices: DeviceUse[];
  perStep: {
    diskBytes: number;
    hostToDeviceBytes: number;
    flops: number;
    computeSeconds: number;
    diskSeconds: number;
    hostToDeviceSeconds: number;
    /** With prefetch, each group's load hides behind the previous group's compute. */
    seconds: number;
  };
  perJob: {
    diskBytes: number;
    hostToDeviceBytes: number;
    phaseSeconds: Record<Phase, number>;
    seconds: number;
    /** Resident weights read once, before the first job. */
    firstLoadBytes: number;
    firstLoadSeconds: number;
  };
  rates: { diskBytesPerSec: number; hostToDeviceBytesPerSec: number; flops: number };
  notes: string[];
  advice: string[];
}

export class PlanError extends Error {
  constructor(
    message: string,
    /** The smallest RAM budget that plans with the GPU budget given. */
    readonly minRamBytes: number,
    /** Where the GPU was too small to use: the smallest GPU budget that would run there. */
    readonly minGpuBytes?: number,
    /** RAM needed together with minGpuBytes. */
    readonly minRamWithGpuBytes?: number,
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

const PHASES: Phase[] = ['encode', 'modulate', 'denoise', 'decode'];

interface Draft extends Omit<PlanGroup, 'placement'> {
  placement?: Placement;
  /** Lower runs first in the greedy fill. */
  priority: number;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function precisionOf(input: PlanInput, c: ComponentName): Precision {
  return input.precision[c] ?? input.precision.transformer;
}

function bytesOf(input: PlanInput, u: PlanUnit): number {
  return u.bytes[precisionOf(input, u.component)];
}

function rangeId(kind: string, a: number, b: number): string {
  return b - a === 1 ? `${kind} ${a}` : `${kind} ${a}-${b - 1}`;
}

/** The groups in run order, each with its priority for the greedy fill. */
export function buildGroups(input: PlanInput): { groups: Draft[]; textGroup: number } {
  const k = input.blockGroup;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`block group must be a whole number ≥ 1, got ${k}`);
  const by = (f: (u: PlanUnit) => boolean) => input.units.filter(f).sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  const blocks = by((u) => u.role === 'block');
  const mods = by((u) => u.role === 'modulation');
  const text = by((u) => u.role === 'text_layer');
  const passes = input.passes;
  const make = (id: string, phase: Phase, us: PlanUnit[], perUse: number, first?: number, end?: number): Draft => {
    const d: Draft = {
      id,
      phase,
      units: us.map((u) => u.id),
      bytes: sum(us.map((u) => bytesOf(input, u))),
      flops: perUse * sum(us.map((u) => u.flops)),
      priority: 0,
    };
    if (first !== undefined) d.first = first;
    if (end !== undefined) d.end = end;
    return d;
  };
  const ranged = (kind: string, phase: Phase, us: PlanUnit[], size: number, perUse: number): Draft[] => {
    const out: Draft[] = [];
    for (let i = 0; i < us.length; i += size) {
      const part = us.slice(i, i + size);
      const a = part[0]?.index ?? i;
      const b = (part[part.length - 1]?.index ?? i) + 1;
      out.push(make(rangeId(kind, a, b), phase, part, perUse, a, b));
    }
    return out;
  };
  const blockGroups = ranged('blocks', 'denoise', blocks, k, passes);
  const largestBlockGroup = Math.max(0, ...blockGroups.map((g) => g.bytes));
  let textGroup = input.textGroup ?? 0;
  if (!textGroup) {
    const layer = Math.max(1, ...text.map((u) => bytesOf(input, u)));
    textGroup = Math.max(1, Math.floor(largestBlockGroup / layer));
  }
  if (!Number.isInteger(textGroup) || textGroup < 1) throw new RangeError(`text group must be a whole number ≥ 1, got ${textGroup}`);
  const one = (role: string, id: string, phase: Phase, perUse: number): Draft[] => {
    const us = input.units.filter((u) => u.role === role);
    return us.length ? [make(id, phase, us, perUse)] : [];
  };
  const denoise = [...one('io', 'io', 'denoise', passes), ...blockGroups];
  const once = [
    ...one('time', 'time', 'modulate', 1),
    ...ranged('mod', 'modulate', mods, k, 1),
    ...ranged('text', 'encode', text, textGroup, 1),
    ...one('vae', 'vae', 'decode', 1),
  ];
  // Reuse order: every denoise group runs steps × passes times a job, the rest once.
  [...denoise, ...once].forEach((g, i) => {
    g.priority = i;
  });
  const groups = [...denoise, ...once].sort((a, b) => PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase) || a.priority - b.priority);
  return { groups, textGroup };
}

/** GPU placement: everything if it fits, else staging for `slots` largest groups and first-fit in priority order. */
function fillGpu(groups: Draft[], budget: number, activation: number, slots: number): { resident: Set<Draft>; staging: number } {
  const all = sum(groups.map((g) => g.bytes));
  if (activation + all <= budget) return { resident: new Set(groups), staging: 0 };
  const staging = slots * Math.max(0, ...groups.map((g) => g.bytes));
  let free = budget - activation - staging;
  const resident = new Set<Draft>();
  for (const g of [...groups].sort((a, b) => a.priority - b.priority)) {
    if (g.bytes <= free) {
      resident.add(g);
      free -= g.bytes;
    }
  }
  return { resident, staging };
}

/** The smallest RAM for the groups left off the GPU: all resident, or `slots` streaming buffers. */
function ramNeed(off: Draft[], host: number, slots: number): number {
  if (!off.length) return host;
  return host + Math.min(sum(off.map((g) => g.bytes)), slots * Math.max(...off.map((g) => g.bytes)));
}

export function plan(input: PlanInput): Plan {
  const prefetch = input.prefetch ?? true;
  const slots = prefetch ? 2 : 1;
  const cpu = input.devices.find((d): d is CpuDevice => d.kind === 'cpu');
  if (!cpu) throw new RangeError('a plan needs the CPU among its devices');
  const gpu = input.devices.find((d): d is GpuDevice => d.kind === 'gpu');
  for (const d of input.devices)
    if (!Number.isFinite(d.budgetBytes) || d.budgetBytes < 0) throw new RangeError(`${d.kind} budget must be ≥ 0 bytes`);
  const { groups, textGroup } = buildGroups(input);
  if (!groups.length) throw new RangeError('nothing to plan: no units');
  const act = input.activations;
  const allBytes = sum(groups.map((g) => g.bytes));
  const largest = Math.max(...groups.map((g) => g.bytes));
  const notes: string[] = [];

  // Where the model computes: the GPU when its budget holds the activations and the staging buffers.
  const minGpu = act.gpu + Math.min(allBytes, slots * largest);
  const onGpu = !!gpu && gpu.budgetBytes >= minGpu;
  const gpuFill = onGpu && gpu ? fillGpu(groups, gpu.budgetBytes, act.gpu, slots) : { resident: new Set<Draft>(), staging: 0 };
  const hostNeed = act.host + (onGpu ? 0 : act.cpu);
  const off = groups.filter((g) => !gpuFill.resident.has(g)).sort((a, b) => a.priority - b.priority);
  const minRam = ramNeed(off, hostNeed, slots);

  if (cpu.budgetBytes < minRam) {
    const parts = [`${formatBytes(hostNeed)} for the process${onGpu ? '' : ' and the CPU activations'}`];
    if (off.length) {
      const offBytes = sum(off.map((g) => g.bytes));
      const buffers = slots * Math.max(...off.map((g) => g.bytes));
      parts.push(
        offBytes <= buffers
          ? `${formatBytes(offBytes)} of weights held in RAM`
          : `${slots} streaming buffer${slots > 1 ? 's' : ''} of the largest group (${formatBytes(buffers)})`,
      );
    }
    const exact = (n: number) => `${formatBytes(n)} (${n} bytes, --ram-budget ${bytesArg(n)})`;
    let msg = `Not enough memory: needs at least ${exact(minRam)} of RAM${onGpu ? ' with this GPU budget' : gpu ? ' to run on the CPU' : ''}; the RAM budget is ${formatBytes(cpu.budgetBytes)}. That is ${parts.join(' + ')}.`;
    let minRamWithGpu: number | undefined;
    if (gpu && !onGpu) {
      const at = fillGpu(groups, minGpu, act.gpu, slots);
      minRamWithGpu = ramNeed(
        groups.filter((g) => !at.resident.has(g)),
        act.host,
        slots,
      );
      msg += ` Or a GPU budget of at least ${formatBytes(minGpu)} (${minGpu} bytes, --gpu-budget ${bytesArg(minGpu)}) with ${exact(minRamWithGpu)} of RAM.`;
    } else if (onGpu) msg += ' A larger GPU budget or a smaller precision (int8, int4) lowers it.';
    else msg += ' A smaller precision (int8, int4), smaller block groups or a smaller image lower it.';
    throw new PlanError(msg, minRam, gpu && !onGpu ? minGpu : undefined, minRamWithGpu);
  }
  if (gpu && !onGpu)
    notes.push(
      `The GPU budget (${formatBytes(gpu.budgetBytes)}) is below the ${formatBytes(minGpu)} this needs on the GPU (activations + ${slots} upload buffers), so the CPU computes.`,
    );

  // RAM placement of what the GPU does not hold.
  const cpuResident = new Set<Draft>();
  let ramBuffers = 0;
  if (hostNeed + sum(off.map((g) => g.bytes)) <= cpu.budgetBytes) for (const g of off) cpuResident.add(g);
  else {
    ramBuffers = slots * Math.max(...off.map((g) => g.bytes));
    let free = cpu.budgetBytes - hostNeed - ramBuffers;
    for (const g of off) {
      if (g.bytes <= free) {
        cpuResident.add(g);
        free -= g.bytes;
      }
    }
  }
  const placed: PlanGroup[] = groups.map((d) => {
    const { priority: _p, placement: _x, ...g } = d;
    return { ...g, placement: gpuFill.resident.has(d) ? 'gpu' : cpuResident.has(d) ? 'cpu' : 'stream' };
  });
  const anyStream = placed.some((g) => g.placement === 'stream');
  if (!anyStream) ramBuffers = 0;
  const anyOffGpu = placed.some((g) => g.placement !== 'gpu');
  const staging = onGpu && anyOffGpu ? gpuFill.staging : 0;
  const bytesWhere = (p: Placement) => sum(placed.filter((g) => g.placement === p).map((g) => g.bytes));

  const devices: DeviceUse[] = [];
  if (gpu) {
    const resident = bytesWhere('gpu');
    const a = onGpu ? act.gpu : 0;
    devices.push({
      kind: 'gpu',
      provider: gpu.provider,
      budgetBytes: gpu.budgetBytes,
      peakBytes: resident + staging + a,
      residentBytes: resident,
      bufferBytes: staging,
      activationBytes: a,
      minBudgetBytes: minGpu,
    });
  }
  const cpuResidentBytes = bytesWhere('cpu');
  devices.unshift({
    kind: 'cpu',
    budgetBytes: cpu.budgetBytes,
    peakBytes: hostNeed + cpuResidentBytes + ramBuffers,
    residentBytes: cpuResidentBytes,
    bufferBytes: ramBuffers,
    activationBytes: hostNeed,
    minBudgetBytes: minRam,
  });

  // Traffic and time.
  const flops = onGpu && gpu ? gpu.flops : cpu.flops;
  const disk = input.diskBytesPerSec;
  const h2d = input.hostToDeviceBytesPerSec;
  const diskOf = (g: PlanGroup) => (g.placement === 'stream' ? g.bytes : 0);
  const h2dOf = (g: PlanGroup) => (onGpu && g.placement !== 'gpu' ? g.bytes : 0);
  const load = (g: PlanGroup) => diskOf(g) / disk + h2dOf(g) / h2d;
  const compute = (g: PlanGroup) => g.flops / flops;
  const phaseTime = (gs: PlanGroup[], cyclic: boolean): number => {
    if (!gs.length) return 0;
    if (!prefetch) return sum(gs.map((g) => compute(g) + load(g)));
    let t = cyclic ? 0 : load(gs[0] as PlanGroup);
    gs.forEach((g, i) => {
      const next = gs[i + 1] ?? (cyclic ? gs[0] : undefined);
      t += Math.max(compute(g), next ? load(next) : 0);
    });
    return t;
  };
  const of = (p: Phase) => placed.filter((g) => g.phase === p);
  const den = of('denoise');
  const perStep = {
    diskBytes: sum(den.map(diskOf)),
    hostToDeviceBytes: sum(den.map(h2dOf)),
    flops: sum(den.map((g) => g.flops)),
    computeSeconds: sum(den.map(compute)),
    diskSeconds: sum(den.map(diskOf)) / disk,
    hostToDeviceSeconds: sum(den.map(h2dOf)) / h2d,
    seconds: phaseTime(den, true),
  };
  const phaseSeconds = {
    encode: phaseTime(of('encode'), false),
    modulate: phaseTime(of('modulate'), false),
    denoise: input.steps * perStep.seconds,
    decode: phaseTime(of('decode'), false),
  };
  const once = placed.filter((g) => g.phase !== 'denoise');
  const firstLoadBytes = sum(placed.filter((g) => g.placement !== 'stream').map((g) => g.bytes));
  const components: PlanComponent[] = [];
  for (const c of ['transformer', 'text_encoder', 'vae'] as ComponentName[]) {
    const us = input.units.filter((u) => u.component === c && u.phase !== 'lookup');
    if (!us.length) continue;
    components.push({
      component: c,
      precision: precisionOf(input, c),
      params: sum(us.map((u) => u.params)),
      bytes: sum(us.map((u) => bytesOf(input, u))),
    });
  }
  const result: Plan = {
    execution: onGpu ? 'gpu' : 'cpu',
    components,
    modulationBytes: sum(input.units.filter((u) => u.role === 'modulation' || u.role === 'time').map((u) => bytesOf(input, u))),
    blockGroup: input.blockGroup,
    textGroup,
    prefetch,
    slots,
    steps: input.steps,
    passes: input.passes,
    groups: placed,
    lookups: input.units.filter((u) => u.phase === 'lookup').map((u) => ({ id: u.id, bytes: bytesOf(input, u) })),
    devices,
    perStep,
    perJob: {
      diskBytes: input.steps * perStep.diskBytes + sum(once.map(diskOf)),
      hostToDeviceBytes: input.steps * perStep.hostToDeviceBytes + sum(once.map(h2dOf)),
      phaseSeconds,
      seconds: sum(PHASES.map((p) => phaseSeconds[p])),
      firstLoadBytes,
      firstLoadSeconds: firstLoadBytes / disk + (onGpu ? bytesWhere('gpu') / h2d : 0),
    },
    rates: { diskBytesPerSec: disk, hostToDeviceBytesPerSec: h2d, flops },
    notes,
    advice: [],
  };
  if (onGpu && gpu) result.provider = gpu.provider;
  result.advice = adviceFor(result, input, { allBytes, act });
  return result;
}

function adviceFor(p: Plan, input: PlanInput, m: { allBytes: number; act: PlanInput['activations'] }): string[] {
  const out: string[] = [];
  const den = p.groups.filter((g) => g.phase === 'denoise');
  const denBytes = sum(den.map((g) => g.bytes));
  const st = p.perStep;
  const transfer = Math.max(st.diskSeconds, st.hostToDeviceSeconds);
  const gpuUse = p.devices.find((d) => d.kind === 'gpu');
  const ram = p.devices.find((d) => d.kind === 'cpu') as DeviceUse;
  if (st.diskBytes > 0) {
    const allInRam = ram.activationBytes + sum(p.groups.filter((g) => g.placement !== 'gpu').map((g) => g.bytes));
    out.push(
      `${formatBytes(st.diskBytes)} is read from disk every step (${st.diskSeconds.toFixed(1)} s at ${(input.diskBytesPerSec / 1e9).toFixed(1)} GB/s). ` +
        `A RAM budget of ${formatBytes(allInRam)} would keep every offloaded group in memory.`,
    );
  }
  if (p.execution === 'gpu' && gpuUse && st.hostToDeviceBytes > 0) {
    const all = m.act.gpu + m.allBytes;
    const denOnly = m.act.gpu + p.slots * Math.max(...p.groups.map((g) => g.bytes)) + denBytes;
    out.push(
      `${formatBytes(st.hostToDeviceBytes)} crosses to the GPU every step (${st.hostToDeviceSeconds.toFixed(1)} s). ` +
        `A GPU budget of ${formatBytes(Math.min(all, denOnly))} would hold every denoising block.`,
    );
  }
  const tr = p.components.find((c) => c.component === 'transformer');
  if (tr && (transfer > 0.2 * st.computeSeconds || p.groups.some((g) => g.placement === 'stream'))) {
    const unitsT = input.units.filter((u) => u.component === 'transformer');
    for (const q of ['int8', 'int4'] as Precision[]) {
      const b = sum(unitsT.map((u) => u.bytes[q]));
      if (b < tr.bytes) out.push(`With --precision ${q} the transformer is ${formatBytes(b)} instead of ${formatBytes(tr.bytes)}.`);
    }
  }
  if (st.computeSeconds >= transfer) {
    out.push(
      p.execution === 'cpu'
        ? `Each step is compute-bound on the CPU (${st.computeSeconds.toFixed(1)} s); a GPU, fewer steps or a smaller image are what make it faster.`
        : `Each step is compute-bound (${st.computeSeconds.toFixed(1)} s of compute vs ${transfer.toFixed(1)} s of transfers); more memory will not make it faster, fewer steps or a smaller image will.`,
    );
  }
  if (!p.prefetch && p.groups.some((g) => g.placement === 'stream'))
    out.push('Prefetch is off: turning it on hides each load behind the previous group (it needs a second buffer).');
  return out;
}

/** 3.4 -> "3.40 s", 200 -> "3.3 min", 36000 -> "10.0 h". */
export function formatSeconds(s: number): string {
  if (s >= 3600) return `${(s / 3600).toFixed(1)} h`;
  if (s >= 120) return `${(s / 60).toFixed(1)} min`;
  return `${s.toFixed(s < 10 ? 2 : 1)} s`;
}

const PLACE: Record<Placement, string> = { gpu: 'GPU-resident', cpu: 'RAM-resident', stream: 'streamed from disk' };

/** The plan as text a user reads. verbose: one line per group instead of runs of alike groups. */
export function formatPlan(p: Plan, opts: { verbose?: boolean } = {}): string {
  const L: string[] = [];
  const where = p.execution === 'gpu' ? `the GPU (${p.provider})` : 'the CPU';
  L.push(
    `Plan: runs on ${where}, ${p.steps} steps × ${p.passes} pass${p.passes > 1 ? 'es (CFG)' : ''}, prefetch ${p.prefetch ? 'on' : 'off'}.`,
  );
  L.push('Weights:');
  for (const c of p.components) {
    const extra =
      c.component === 'transformer'
        ? `; modulation ${formatBytes(p.modulationBytes)} (${((100 * p.modulationBytes) / Math.max(1, c.bytes)).toFixed(0)}%), computed once a job`
        : '';
    const params = c.params >= 1e9 ? `${(c.params / 1e9).toFixed(2)} B` : `${(c.params / 1e6).toFixed(1)} M`;
    L.push(`  ${c.component.padEnd(13)} ${params} params  ${c.precision.padEnd(5)} ${formatBytes(c.bytes)}${extra}`);
  }
  for (const l of p.lookups) L.push(`  ${l.id.padEnd(13)} ${formatBytes(l.bytes)} read by rows from disk, never held whole`);
  L.push('Memory:');
  for (const d of p.devices) {
    const name = d.kind === 'gpu' ? `GPU (${d.provider})` : 'RAM';
    L.push(
      `  ${name.padEnd(13)} peak ${formatBytes(d.peakBytes)} of ${formatBytes(d.budgetBytes)}: ${formatBytes(d.residentBytes)} weights + ${formatBytes(d.bufferBytes)} ${d.kind === 'gpu' ? 'upload' : 'streaming'} buffers + ${formatBytes(d.activationBytes)} ${d.kind === 'gpu' ? 'activations' : p.execution === 'cpu' ? 'process and activations' : 'process'} (needs at least ${formatBytes(d.minBudgetBytes)})`,
    );
  }
  L.push(`Groups (${p.groups.length}, in run order; ${p.blockGroup} block${p.blockGroup > 1 ? 's' : ''} a group):`);
  const runs: PlanGroup[][] = [];
  for (const g of p.groups) {
    const last = runs[runs.length - 1];
    const prev = last?.[last.length - 1];
    if (
      !opts.verbose &&
      last &&
      prev &&
      prev.phase === g.phase &&
      prev.placement === g.placement &&
      prev.id.split(' ')[0] === g.id.split(' ')[0]
    )
      last.push(g);
    else runs.push([g]);
  }
  for (const r of runs) {
    const a = r[0] as PlanGroup;
    const b = r[r.length - 1] as PlanGroup;
    const name = r.length === 1 ? a.id : `${a.id} … ${b.id} (${r.length} groups)`;
    L.push(`  ${a.phase.padEnd(9)} ${name.padEnd(36)} ${formatBytes(sum(r.map((g) => g.bytes))).padStart(11)}  ${PLACE[a.placement]}`);
  }
  const st = p.perStep;
  L.push('Per denoising step:');
  L.push(
    `  disk ${formatBytes(st.diskBytes)} (${formatSeconds(st.diskSeconds)}), to GPU ${formatBytes(st.hostToDeviceBytes)} (${formatSeconds(st.hostToDeviceSeconds)}), compute ${(st.flops / 1e12).toFixed(1)} TFLOP (${formatSeconds(st.computeSeconds)})`,
  );
  L.push(`  about ${formatSeconds(st.seconds)} a step${p.prefetch ? ' (loads overlap compute)' : ''}`);
  const j = p.perJob;
  const ph = j.phaseSeconds;
  L.push(
    `Per image: about ${formatSeconds(j.seconds)} (prompt ${formatSeconds(ph.encode)}, modulation ${formatSeconds(ph.modulate)}, denoise ${formatSeconds(ph.denoise)}, decode ${formatSeconds(ph.decode)}); ${formatBytes(j.diskBytes)} read from disk, ${formatBytes(j.hostToDeviceBytes)} sent to the GPU.`,
  );
  L.push(`First image also loads the resident weights: ${formatBytes(j.firstLoadBytes)} (${formatSeconds(j.firstLoadSeconds)}).`);
  L.push(
    `Assumed rates: disk ${(p.rates.diskBytesPerSec / 1e9).toFixed(1)} GB/s, to GPU ${(p.rates.hostToDeviceBytesPerSec / 1e9).toFixed(1)} GB/s, compute ${(p.rates.flops / 1e12).toFixed(2)} TFLOP/s.`,
  );
  for (const n of p.notes) L.push(`Note: ${n}`);
  if (p.advice.length) {
    L.push('To go faster:');
    for (const a of p.advice) L.push(`  - ${a}`);
  }
  return L.join('\n');
}
