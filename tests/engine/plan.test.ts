// The offloading planner as data: exact sizes of the real Qwen-Image from its config, plans that
// stay within their budgets, exact smallest budgets in the error, CFG sharing one load of each
// streamed group, budget parsing, the text a user reads and `poster plan` itself.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanUsageError, planCommand } from '../../electron/cli/plan';
import { parseTextEncoderConfig, TransformerConfig, VaeConfig } from '../../electron/engine/model/configs';
import {
  activationEstimate,
  BudgetError,
  bytesArg,
  defaultBudget,
  formatPlan,
  type ModelSizeInput,
  modelUnits,
  type Plan,
  PlanError,
  type PlanInput,
  type Precision,
  parseBytes,
  parseNvidiaSmi,
  passesOf,
  plan,
  planModel,
  planUnits,
  quantOptions,
  summarize,
  tensorBytes,
  total,
  transformerUnits,
  type Workload,
} from '../../electron/engine/plan/index';

const GiB = 2 ** 30;

// Qwen/Qwen-Image transformer/config.json (the fields the engine reads).
const REAL_TRANSFORMER = {
  _class_name: 'QwenImageTransformer2DModel',
  patch_size: 2,
  in_channels: 64,
  out_channels: 16,
  num_layers: 60,
  attention_head_dim: 128,
  num_attention_heads: 24,
  joint_attention_dim: 3584,
  axes_dims_rope: [16, 56, 56],
  guidance_embeds: false,
};
// The language half of Qwen2.5-VL-7B (text_encoder/config.json).
const REAL_TEXT = {
  hidden_size: 3584,
  intermediate_size: 18944,
  num_hidden_layers: 28,
  num_attention_heads: 28,
  num_key_value_heads: 4,
  vocab_size: 152064,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
};
const REAL_VAE = {
  base_dim: 96,
  z_dim: 16,
  dim_mult: [1, 2, 4, 4],
  num_res_blocks: 2,
  attn_scales: [],
  temperal_downsample: [false, true, true],
  latents_mean: new Array(16).fill(0),
  latents_std: new Array(16).fill(1),
};

const transformer = TransformerConfig.parse(REAL_TRANSFORMER);
const realModel: ModelSizeInput = { transformer };
const fullModel: ModelSizeInput = { transformer, textEncoder: parseTextEncoderConfig(REAL_TEXT), vae: VaeConfig.parse(REAL_VAE) };
const small: Workload = { width: 512, height: 512, steps: 20, cfg: 4, textTokens: 64 };

function input(model: ModelSizeInput, precision: Precision, over: Partial<PlanInput> = {}, w: Workload = small): PlanInput {
  const floatBytes = over.devices?.some((d) => d.kind === 'gpu') ? 2 : 4;
  return {
    units: planUnits(model, w, { floatBytes }),
    precision: { transformer: precision },
    blockGroup: 1,
    devices: [{ kind: 'cpu', budgetBytes: 64 * GiB, flops: 200e9 }],
    activations: {
      gpu: activationEstimate(model, w, 2).device,
      cpu: activationEstimate(model, w, 4).device,
      host: activationEstimate(model, w, 4).host,
    },
    steps: w.steps,
    passes: passesOf(w),
    diskBytesPerSec: 2e9,
    hostToDeviceBytesPerSec: 16e9,
    ...over,
  };
}

function withinBudgets(p: Plan): void {
  for (const d of p.devices) {
    expect(d.peakBytes).toBeLessThanOrEqual(d.budgetBytes);
    expect(d.peakBytes).toBe(d.residentBytes + d.bufferBytes + d.activationBytes);
  }
  const resident = (k: 'gpu' | 'cpu') => p.groups.filter((g) => g.placement === k).reduce((a, g) => a + g.bytes, 0);
  expect(p.devices.find((d) => d.kind === 'cpu')?.residentBytes).toBe(resident('cpu'));
  const gpu = p.devices.find((d) => d.kind === 'gpu');
  if (gpu) expect(gpu.residentBytes).toBe(resident('gpu'));
  // Any streamed group fits a buffer.
  const ram = p.devices.find((d) => d.kind === 'cpu');
  for (const g of p.groups.filter((x) => x.placement === 'stream')) expect(g.bytes * p.slots).toBeLessThanOrEqual(ram?.bufferBytes ?? 0);
}

/** A small deterministic PRNG for the property tests. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('sizes of the real Qwen-Image', () => {
  const units = transformerUnits(transformer);
  const sum = summarize(units);

  it('has about 20.4 B parameters, 41 GB in bf16, a third of them modulation', () => {
    expect(sum.transformer.params).toBeGreaterThan(20.4e9 * 0.98);
    expect(sum.transformer.params).toBeLessThan(20.4e9 * 1.02);
    expect(sum.transformer.params).toBe(20_430_401_088);
    expect(sum.transformer.bytes.bf16 / 1e9).toBeCloseTo(40.86, 1);
    expect(sum.transformer.bytes.bf16).toBe(2 * sum.transformer.params);
    const share = sum.modulation.params / sum.transformer.params;
    expect(share).toBeGreaterThan(0.32);
    expect(share).toBeLessThan(0.35);
    // 60 blocks, a modulation unit and the rest per block, plus io and time.
    expect(units.filter((u) => u.role === 'block')).toHaveLength(60);
    expect(units.filter((u) => u.role === 'modulation')).toHaveLength(60);
    const D = 3072;
    const block = units.find((u) => u.id === 'block.0');
    const mod = units.find((u) => u.id === 'mod.0');
    expect(mod?.params).toBe(2 * (6 * D * D + 6 * D));
    expect(block?.params).toBe(8 * (D * D + D) + 4 * 128 + 2 * (4 * D * D + 4 * D + D * 4 * D + D));
  });

  it('orders int4 < int8 < fp16 = bf16 < fp32 for every component', () => {
    for (const s of Object.values(summarize(modelUnits(fullModel)))) {
      if (!s.params) continue;
      expect(s.bytes.fp32).toBe(4 * s.params);
      expect(s.bytes.fp16).toBe(s.bytes.bf16);
      expect(s.bytes.fp16).toBeLessThan(s.bytes.fp32);
    }
    const t = summarize(modelUnits(fullModel)).transformer.bytes;
    expect(t.int8).toBeLessThan(t.fp16);
    expect(t.int4).toBeLessThan(t.int8);
    // Weight-only int8 is a little over one byte a weight, int4 a little over half.
    expect(t.int8 / summarize(modelUnits(fullModel)).transformer.params).toBeGreaterThan(1);
    expect(t.int8 / summarize(modelUnits(fullModel)).transformer.params).toBeLessThan(1.05);
  });

  it('counts MatMulNBits int4 and int8 storage exactly', () => {
    const w = { name: 'x.weight', shape: [10, 100] };
    // K = 100 -> 4 blocks of 32 (padded): 10*4*16 packed bytes + 10*4 fp32 scales + 10*2 zero-point bytes.
    expect(tensorBytes(w, 'int4')).toBe(640 + 160 + 20);
    expect(tensorBytes(w, 'int4', { blockSize: 32, scaleBytes: 2, int4ZeroPoints: false, int8Scales: 'channel', floatBytes: 2 })).toBe(
      640 + 80,
    );
    // int8 (MatMulNBits bits = 8): K = 100 -> one block of 128 (padded) + one fp32 scale a row;
    // blocks of at most 32: 4 blocks of 32 (padded) + 4 scales a row; K = 96: 3 blocks of 32, no padding.
    expect(tensorBytes(w, 'int8')).toBe(1280 + 40);
    expect(tensorBytes(w, 'int8', { ...quantOptions(), int8BlockSize: 32 })).toBe(1280 + 160);
    expect(tensorBytes({ name: 'x.weight', shape: [10, 96] }, 'int8')).toBe(960 + 120);
    // Per-channel scales (DequantizeLinear) when asked for.
    expect(tensorBytes(w, 'int8', { ...quantOptions(), int8Scales: 'channel' })).toBe(1000 + 40);
    // Biases, norms and token tables stay float.
    expect(tensorBytes({ name: 'x.bias', shape: [10] }, 'int4')).toBe(40);
    expect(tensorBytes({ name: 'model.embed_tokens.weight', shape: [10, 100] }, 'int8')).toBe(4000);
    const q = total(transformerUnits(transformer, { blockSize: 128 })).bytes.int4;
    expect(q).toBeLessThan(total(transformerUnits(transformer)).bytes.int4);
  });
});

describe('planner', () => {
  const bytes = summarize(modelUnits(realModel)).transformer.bytes.bf16;

  it('keeps every device within budgets of 100%, 50% and 25% of the model bytes', () => {
    for (const f of [1, 0.5, 0.25]) {
      for (const k of [1, 2, 3, 4, 6, 7]) {
        for (const gpu of [false, true]) {
          const budget = Math.floor(f * bytes);
          const devices: PlanInput['devices'] = [{ kind: 'cpu', budgetBytes: budget, flops: 200e9 }];
          if (gpu) devices.push({ kind: 'gpu', provider: 'cuda', budgetBytes: budget, flops: 80e12 });
          const p = plan(input(realModel, 'bf16', { blockGroup: k, devices }));
          withinBudgets(p);
          expect(p.execution).toBe(gpu ? 'gpu' : 'cpu');
          if (f < 1) expect(p.groups.some((g) => g.placement !== (gpu ? 'gpu' : 'cpu'))).toBe(true);
          // Every block is in exactly one group.
          const covered = p.groups.filter((g) => g.phase === 'denoise' && g.first !== undefined).flatMap((g) => g.units);
          expect(covered).toEqual(Array.from({ length: 60 }, (_, i) => `block.${i}`));
        }
      }
    }
  });

  it('either plans within random budgets or names a larger smallest budget', () => {
    const r = rng(7);
    let planned = 0;
    for (let i = 0; i < 300; i++) {
      const precision = (['fp32', 'bf16', 'int8', 'int4'] as Precision[])[Math.floor(r() * 4)] as Precision;
      const k = 1 + Math.floor(r() * 12);
      const ram = Math.floor(r() * bytes);
      const devices: PlanInput['devices'] = [{ kind: 'cpu', budgetBytes: ram, flops: 200e9 }];
      if (r() < 0.6) devices.push({ kind: 'gpu', provider: 'webgpu', budgetBytes: Math.floor(r() * bytes), flops: 20e12 });
      const inp = input(fullModel, precision, { blockGroup: k, devices, prefetch: r() < 0.7 });
      try {
        withinBudgets(plan(inp));
        planned++;
      } catch (e) {
        expect(e).toBeInstanceOf(PlanError);
        expect((e as PlanError).minRamBytes).toBeGreaterThan(ram);
      }
    }
    expect(planned).toBeGreaterThan(150);
  });

  it('names the exact smallest RAM budget when nothing fits', () => {
    for (const prefetch of [true, false]) {
      const base = input(fullModel, 'int8', {
        blockGroup: 3,
        prefetch,
        devices: [{ kind: 'cpu', budgetBytes: 100 * 2 ** 20, flops: 1e11 }],
      });
      let err: PlanError | undefined;
      try {
        plan(base);
      } catch (e) {
        err = e as PlanError;
      }
      expect(err).toBeInstanceOf(PlanError);
      const min = err?.minRamBytes as number;
      expect(err?.message).toMatch(/needs at least [\d.]+ GiB \(\d+ bytes, --ram-budget [\d.]+G\) of RAM/);
      expect(err?.message).toContain(String(min));
      const ok = plan({ ...base, devices: [{ kind: 'cpu', budgetBytes: min, flops: 1e11 }] });
      withinBudgets(ok);
      expect(ok.devices[0]?.peakBytes).toBe(min);
      expect(ok.groups.some((g) => g.placement === 'stream')).toBe(true);
      expect(() => plan({ ...base, devices: [{ kind: 'cpu', budgetBytes: min - 1, flops: 1e11 }] })).toThrow(PlanError);
      // The suggested flag value parses to at least the minimum.
      expect(parseBytes(bytesArg(min))).toBeGreaterThanOrEqual(min);
    }
  });

  it('names the smallest GPU budget, and the RAM that goes with it, when the GPU is too small', () => {
    const ramTiny = 600 * 2 ** 20;
    const base = input(realModel, 'bf16', {
      blockGroup: 2,
      devices: [
        { kind: 'cpu', budgetBytes: ramTiny, flops: 1e11 },
        { kind: 'gpu', provider: 'cuda', budgetBytes: 1 * GiB, flops: 80e12 },
      ],
    });
    let err: PlanError | undefined;
    try {
      plan(base);
    } catch (e) {
      err = e as PlanError;
    }
    expect(err).toBeInstanceOf(PlanError);
    const minGpu = err?.minGpuBytes as number;
    const minRamGpu = err?.minRamWithGpuBytes as number;
    expect(err?.message).toContain(`${minGpu} bytes`);
    const devs = (ram: number, gpu: number): PlanInput['devices'] => [
      { kind: 'cpu', budgetBytes: ram, flops: 1e11 },
      { kind: 'gpu', provider: 'cuda', budgetBytes: gpu, flops: 80e12 },
    ];
    const ok = plan({ ...base, devices: devs(minRamGpu, minGpu) });
    expect(ok.execution).toBe('gpu');
    withinBudgets(ok);
    expect(ok.devices.find((d) => d.kind === 'gpu')?.peakBytes).toBe(minGpu);
    expect(() => plan({ ...base, devices: devs(minRamGpu - 1, minGpu) })).toThrow(PlanError);
    expect(() => plan({ ...base, devices: devs(minRamGpu, minGpu - 1) })).toThrow(PlanError);
    // With enough RAM, a GPU below the minimum is left out and the CPU computes.
    const cpu = plan({ ...base, devices: devs(err?.minRamBytes as number, minGpu - 1) });
    expect(cpu.execution).toBe('cpu');
    expect(cpu.notes.join(' ')).toMatch(/below the .* the CPU computes/);
  });

  it('reads a streamed group once a step whether CFG runs one pass or two', () => {
    const devices: PlanInput['devices'] = [{ kind: 'cpu', budgetBytes: Math.floor(bytes / 4), flops: 200e9 }];
    const one = plan(input(realModel, 'bf16', { devices }, { ...small, cfg: 1 }));
    const two = plan(input(realModel, 'bf16', { devices }, { ...small, cfg: 4 }));
    const streamed = (p: Plan) =>
      p.groups.filter((g) => g.phase === 'denoise' && g.placement === 'stream').reduce((a, g) => a + g.bytes, 0);
    expect(streamed(two)).toBeGreaterThan(0);
    expect(two.perStep.diskBytes).toBe(streamed(two));
    expect(one.perStep.diskBytes).toBe(streamed(one));
    expect(two.perStep.diskBytes).toBe(one.perStep.diskBytes);
    expect(two.perStep.flops).toBeCloseTo(2 * one.perStep.flops, -6);
    // Once-a-job groups (modulation) that stream are read once a job, not once a step.
    const onceStreamed = two.groups.filter((g) => g.phase !== 'denoise' && g.placement === 'stream').reduce((a, g) => a + g.bytes, 0);
    expect(two.perJob.diskBytes).toBe(small.steps * two.perStep.diskBytes + onceStreamed);
  });

  it('puts the most reused groups on the GPU first', () => {
    const p = plan(
      input(fullModel, 'bf16', {
        devices: [
          { kind: 'cpu', budgetBytes: 64 * GiB, flops: 1e11 },
          { kind: 'gpu', provider: 'cuda', budgetBytes: 12 * GiB, flops: 80e12 },
        ],
      }),
    );
    const blocks = p.groups.filter((g) => g.id.startsWith('blocks'));
    const firstOff = blocks.findIndex((g) => g.placement !== 'gpu');
    expect(firstOff).toBeGreaterThan(0);
    expect(blocks.slice(firstOff).every((g) => g.placement !== 'gpu')).toBe(true);
    expect(p.groups.filter((g) => g.phase === 'modulate' && g.id !== 'time').every((g) => g.placement !== 'gpu')).toBe(true);
    expect(p.perStep.hostToDeviceBytes).toBe(blocks.slice(firstOff).reduce((a, g) => a + g.bytes, 0));
  });

  it('formats every group and its placement', () => {
    const p = planModel({
      model: fullModel,
      precision: 'bf16',
      blockGroup: 4,
      cpu: { budgetBytes: 16 * GiB, flops: 2e11 },
      gpu: { provider: 'cuda', budgetBytes: 12 * GiB, flops: 80e12 },
      workload: small,
      diskBytesPerSec: 2e9,
      hostToDeviceBytesPerSec: 16e9,
    });
    expect(new Set(p.groups.map((g) => g.placement))).toEqual(new Set(['gpu', 'cpu', 'stream']));
    const verbose = formatPlan(p, { verbose: true });
    const word = { gpu: 'GPU-resident', cpu: 'RAM-resident', stream: 'streamed from disk' };
    for (const g of p.groups) expect(verbose).toMatch(new RegExp(`${g.id.replace(/[-.]/g, '\\$&')}\\s.*${word[g.placement]}`));
    const text = formatPlan(p);
    // Runs of alike groups: the counts add up to every group.
    const counts = [...text.matchAll(/^ {2}(encode|modulate|denoise|decode)\s+(.*?)(?:\((\d+) groups\))?\s+[\d.]+ [KMG]iB/gm)].map((m) =>
      Number(m[3] ?? 1),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(p.groups.length);
    expect(text).toContain('Per denoising step:');
    expect(text).toContain('To go faster:');
  });
});

describe('budgets', () => {
  it('parses sizes with units', () => {
    expect(parseBytes('24G')).toBe(24 * GiB);
    expect(parseBytes('32GB')).toBe(32 * GiB);
    expect(parseBytes('32gib')).toBe(32 * GiB);
    expect(parseBytes('512M')).toBe(512 * 2 ** 20);
    expect(parseBytes('1.5T')).toBe(1.5 * 2 ** 40);
    expect(parseBytes(' 100 KB ')).toBe(102400);
    expect(parseBytes('4096B')).toBe(4096);
    for (const bad of ['24', '', 'G', '-1G', '24X', '1e3G', '24 G B']) expect(() => parseBytes(bad, '--gpu-budget')).toThrow(BudgetError);
    expect(() => parseBytes('24', '--gpu-budget')).toThrow(/--gpu-budget needs a size with a unit.*"24"/);
  });

  it('keeps back 15% of free memory or 2 GiB, whichever is larger', () => {
    expect(defaultBudget(32 * GiB)).toBe(32 * GiB - Math.floor(32 * GiB * 0.15));
    expect(defaultBudget(8 * GiB)).toBe(6 * GiB);
    expect(defaultBudget(1 * GiB)).toBe(0);
  });

  it('reads free GPU memory from nvidia-smi output', () => {
    const m = parseNvidiaSmi('81079, NVIDIA H100 80GB HBM3\n81079, NVIDIA H100 80GB HBM3\n');
    expect(m?.freeBytes).toBe(81079 * 2 ** 20);
    expect(m?.budgetBytes).toBe(defaultBudget(81079 * 2 ** 20));
    expect(m?.source).toContain('NVIDIA H100');
    expect(parseNvidiaSmi('')).toBeUndefined();
    expect(parseNvidiaSmi('No devices were found')).toBeUndefined();
  });
});

describe('poster plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plan-cli-'));
  const tf = join(dir, 'transformer.json');
  writeFileSync(tf, JSON.stringify(REAL_TRANSFORMER));
  const folder = join(dir, 'Qwen-Image');
  for (const [sub, cfg] of [
    ['transformer', REAL_TRANSFORMER],
    ['text_encoder', REAL_TEXT],
    ['vae', REAL_VAE],
  ] as const) {
    mkdirSync(join(folder, sub), { recursive: true });
    writeFileSync(join(folder, sub, 'config.json'), JSON.stringify(cfg));
  }
  const run = async (args: string[]) => {
    const lines: string[] = [];
    const code = await planCommand(args, (s) => lines.push(s));
    return { code, text: lines.join('\n') };
  };

  it('prints a plan for the real transformer on a 24 GB GPU with 32 GB of RAM', async () => {
    for (const precision of ['bf16', 'int4']) {
      const { code, text } = await run(['--model-config', tf, '--gpu-budget', '24G', '--ram-budget', '32G', '--precision', precision]);
      expect(code).toBe(0);
      expect(text).toContain('runs on the GPU (cuda)');
      expect(text).toMatch(/transformer\s+20\.43 B params/);
      expect(text).toContain('GPU-resident');
      expect(text).toMatch(/Expected: .* moved per step .* per image\./);
      if (precision === 'bf16') expect(text).toContain('RAM-resident');
    }
  });

  it('plans a whole model folder and reports a budget too small with exit 1', async () => {
    const ok = await run(['--model-config', folder, '--gpu-budget', '24G', '--ram-budget', '32G', '--size', '1024x1024']);
    expect(ok.code).toBe(0);
    expect(ok.text).toMatch(/text_encoder\s+6\.53 B params/);
    expect(ok.text).toContain('vae');
    const small = await run(['--model-config', folder, '--gpu-budget', '0.5G', '--ram-budget', '1G', '--precision', 'int4']);
    expect(small.code).toBe(1);
    expect(small.text).toMatch(/needs at least .* of RAM to run on the CPU.*Or a GPU budget of at least/);
  });

  it('rejects bad arguments with usage errors', async () => {
    await expect(run([])).rejects.toThrow(PlanUsageError);
    await expect(run(['--model-config', join(dir, 'missing.json')])).rejects.toThrow(/does not exist/);
    await expect(run(['--model-config', tf, '--precision', 'fp8'])).rejects.toThrow(/--precision/);
    await expect(run(['--model-config', tf, '--gpu-budget', '24'])).rejects.toThrow(/--gpu-budget needs a size with a unit/);
    await expect(run(['--model-config', tf, '--size', '1000x1000'])).rejects.toThrow(/multiple of 16/);
    await expect(run(['--model-config', tf, '--block-group', '61'])).rejects.toThrow(/--block-group/);
    await expect(run(['--model-config', tf, '--frobnicate'])).rejects.toThrow(/Unknown option/);
    const badCfg = join(dir, 'bad.json');
    writeFileSync(badCfg, JSON.stringify({ num_layers: -1 }));
    await expect(run(['--model-config', badCfg])).rejects.toThrow(/not a usable config: num_layers/);
  });
});
