// Checks the independent PyTorch reference (native-models/qwen-image/reference) end to end:
// it builds a tiny diffusers-layout folder, runs every CLI subcommand on random inputs and asserts
// real properties of the outputs. Skipped only when /usr/bin/python3 cannot import torch + numpy.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PY = '/usr/bin/python3';
const CLI = resolve(__dirname, '../../native-models/qwen-image/reference/cli.py');

function pythonHasTorch(): boolean {
  if (!existsSync(PY)) return false;
  const r = spawnSync(PY, ['-c', 'import torch, numpy'], { timeout: 60_000 });
  return r.status === 0;
}
const hasTorch = pythonHasTorch();
const SKIP_REASON = '/usr/bin/python3 with torch + numpy is not available';

// ---------- tiny safetensors reader / writer ----------

type Tensor =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'F64'; shape: number[]; data: Float64Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function f32(shape: number[], data: ArrayLike<number>): Tensor {
  return { dtype: 'F32', shape, data: Float32Array.from(data) };
}
function i64(shape: number[], data: number[]): Tensor {
  return { dtype: 'I64', shape, data: BigInt64Array.from(data.map((v) => BigInt(v))) };
}

function writeSafetensors(path: string, tensors: Record<string, Tensor>): void {
  const names = Object.keys(tensors).sort();
  const header: Record<string, HeaderEntry> = {};
  const blobs: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const t = get(tensors, name);
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  while (json.length % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileSync(path, Buffer.concat([len, Buffer.from(json), ...blobs]));
}

function readHeader(path: string): Record<string, HeaderEntry> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, HeaderEntry>;
  delete header.__metadata__;
  return header;
}

function readSafetensors(path: string): Record<string, Tensor> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = readHeader(path);
  const out: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(header)) {
    const [b, end] = e.data_offsets;
    const slice = buf.subarray(8 + n + b, 8 + n + end);
    const copy = new Uint8Array(slice).buffer; // aligned copy
    if (e.dtype === 'F32') out[name] = { dtype: 'F32', shape: e.shape, data: new Float32Array(copy) };
    else if (e.dtype === 'F64') out[name] = { dtype: 'F64', shape: e.shape, data: new Float64Array(copy) };
    else if (e.dtype === 'I64') out[name] = { dtype: 'I64', shape: e.shape, data: new BigInt64Array(copy) };
    else throw new Error(`unexpected dtype ${e.dtype} for ${name}`);
  }
  return out;
}

function get(r: Record<string, Tensor>, name: string): Tensor {
  const t = r[name];
  if (!t) throw new Error(`missing output tensor ${name}`);
  return t;
}

function fl(r: Record<string, Tensor>, name: string): Float32Array {
  const t = get(r, name);
  if (t.dtype !== 'F32') throw new Error(`${name}: expected F32, got ${t.dtype}`);
  return t.data;
}

function f64(r: Record<string, Tensor>, name: string): Float64Array {
  const t = get(r, name);
  if (t.dtype !== 'F64') throw new Error(`${name}: expected F64, got ${t.dtype}`);
  return t.data;
}

function shape(r: Record<string, Tensor>, name: string): number[] {
  return get(r, name).shape;
}

function hshape(h: Record<string, HeaderEntry>, name: string): number[] | undefined {
  return h[name]?.shape;
}

function at(a: ArrayLike<number>, i: number): number {
  const v = a[i];
  if (v === undefined) throw new Error(`index ${i} out of range (${a.length})`);
  return v;
}

function randn(n: number, seed: number): Float32Array {
  // deterministic LCG + Box-Muller
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

function allFinite(a: Float32Array): boolean {
  for (const v of a) if (!Number.isFinite(v)) return false;
  return true;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(at(a, i) - at(b, i)));
  return m;
}

// ---------- harness ----------

let dir = '';
let model = '';

function run(args: string[]): void {
  execFileSync(PY, [CLI, ...args, '--threads', '2'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

function call(cmd: string, name: string, inputs: Record<string, Tensor>): Record<string, Tensor> {
  const inPath = join(dir, `${name}.in.safetensors`);
  const outPath = join(dir, `${name}.out.safetensors`);
  writeSafetensors(inPath, inputs);
  run([cmd, '--model', model, '--inputs', inPath, '--out', outPath]);
  return readSafetensors(outPath);
}

const H = 4; // patches
const W = 6;
const L = H * W;
const T = 7;

describe('qwen-image python reference', { timeout: 120_000 }, () => {
  beforeAll(() => {
    if (!hasTorch) return;
    dir = mkdtempSync(join(tmpdir(), 'qwen-ref-'));
    model = join(dir, 'tiny');
    run(['make-tiny', '--out', model, '--seed', '3']);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasTorch)(`make-tiny writes the diffusers layout with the planned tensor names (${SKIP_REASON})`, () => {
    for (const f of [
      'model_index.json',
      'scheduler/scheduler_config.json',
      'transformer/config.json',
      'transformer/diffusion_pytorch_model.safetensors.index.json',
      'text_encoder/config.json',
      'text_encoder/model.safetensors',
      'vae/config.json',
      'vae/diffusion_pytorch_model.safetensors',
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
      'tokenizer/tokenizer_config.json',
    ]) {
      expect(existsSync(join(model, f)), f).toBe(true);
    }
    const index = JSON.parse(readFileSync(join(model, 'transformer/diffusion_pytorch_model.safetensors.index.json'), 'utf8')) as {
      weight_map: Record<string, string>;
    };
    const tr: Record<string, HeaderEntry> = {};
    for (const shard of new Set(Object.values(index.weight_map))) {
      Object.assign(tr, readHeader(join(model, 'transformer', shard)));
    }
    expect(hshape(tr, 'img_in.weight')).toEqual([32, 64]);
    expect(hshape(tr, 'txt_norm.weight')).toEqual([24]);
    expect(hshape(tr, 'time_text_embed.timestep_embedder.linear_1.weight')).toEqual([32, 256]);
    expect(hshape(tr, 'transformer_blocks.1.img_mod.1.weight')).toEqual([192, 32]);
    expect(hshape(tr, 'transformer_blocks.0.attn.norm_added_k.weight')).toEqual([16]);
    expect(hshape(tr, 'transformer_blocks.0.attn.to_out.0.bias')).toEqual([32]);
    expect(hshape(tr, 'transformer_blocks.0.txt_mlp.net.0.proj.weight')).toEqual([128, 32]);
    expect(hshape(tr, 'transformer_blocks.0.txt_mlp.net.2.weight')).toEqual([32, 128]);
    expect(hshape(tr, 'norm_out.linear.weight')).toEqual([64, 32]);
    expect(hshape(tr, 'proj_out.weight')).toEqual([64, 32]);
    expect(Object.keys(tr).length).toBe(Object.keys(index.weight_map).length);

    const te = readHeader(join(model, 'text_encoder/model.safetensors'));
    const vocab = Object.keys(JSON.parse(readFileSync(join(model, 'tokenizer/vocab.json'), 'utf8'))).length;
    expect(hshape(te, 'model.embed_tokens.weight')).toEqual([vocab + 3, 24]);
    expect(hshape(te, 'model.layers.1.self_attn.k_proj.weight')).toEqual([12, 24]);
    expect(hshape(te, 'model.layers.1.self_attn.k_proj.bias')).toEqual([12]);
    expect(hshape(te, 'model.layers.0.self_attn.o_proj.bias')).toBeUndefined();
    expect(hshape(te, 'model.norm.weight')).toEqual([24]);

    const vae = readHeader(join(model, 'vae/diffusion_pytorch_model.safetensors'));
    expect(hshape(vae, 'post_quant_conv.weight')).toEqual([16, 16, 1, 1, 1]);
    expect(hshape(vae, 'decoder.conv_in.weight')).toEqual([16, 16, 3, 3, 3]);
    expect(hshape(vae, 'decoder.mid_block.attentions.0.to_qkv.weight')).toEqual([48, 16, 1, 1]);
    expect(hshape(vae, 'decoder.mid_block.resnets.1.norm1.gamma')).toEqual([16, 1, 1, 1]);
    expect(hshape(vae, 'decoder.up_blocks.0.upsamplers.0.time_conv.weight')).toEqual([32, 16, 3, 1, 1]);
    expect(hshape(vae, 'decoder.up_blocks.2.upsamplers.0.resample.1.weight')).toEqual([8, 16, 3, 3]);
    expect(hshape(vae, 'decoder.up_blocks.1.resnets.0.conv_shortcut.weight')).toEqual([16, 8, 1, 1, 1]);
    expect(hshape(vae, 'decoder.up_blocks.3.resnets.0.conv_shortcut.weight')).toBeUndefined();
    expect(hshape(vae, 'decoder.conv_out.weight')).toEqual([3, 8, 3, 3, 3]);
    expect(hshape(vae, 'encoder.conv_in.weight')).toEqual([8, 3, 3, 3, 3]);
  });

  it.skipIf(!hasTorch)('scheduler: shifted, stretched flow-match sigmas in float32', () => {
    for (const [steps, seq] of [
      [8, 4096],
      [20, 1024],
      [50, 6400],
    ] as const) {
      const out = join(dir, `sched-${steps}.safetensors`);
      run(['scheduler', '--steps', String(steps), '--image-seq-len', String(seq), '--out', out]);
      const r = readSafetensors(out);
      const sig = fl(r, 'sigmas');
      const ts = fl(r, 'timesteps');
      expect(sig.length).toBe(steps + 1);
      expect(ts.length).toBe(steps);
      expect(at(sig, 0)).toBe(1);
      expect(at(sig, steps)).toBe(0);
      // stretch_shift_to_terminal makes the last non-zero sigma equal shift_terminal up to float32 rounding
      expect(Math.abs(at(sig, steps - 1) - 0.02)).toBeLessThan(1e-6);
      for (let i = 0; i < steps; i++) {
        expect(at(sig, i + 1)).toBeLessThan(at(sig, i));
        expect(at(ts, i)).toBe(Math.fround(at(sig, i) * 1000));
      }
      // mu = calculate_shift(seq, 256, 8192, 0.5, 0.9)
      const mu = at(f64(r, 'mu'), 0);
      expect(mu).toBeCloseTo(seq * (0.4 / 7936) + (0.5 - (0.4 / 7936) * 256), 12);
      // float32 schedule stays within float32 noise of the float64 formula
      const s64 = f64(r, 'sigmas_f64');
      for (let i = 0; i <= steps; i++) expect(Math.abs(at(sig, i) - at(s64, i))).toBeLessThan(1e-6);
    }
  });

  it.skipIf(!hasTorch)(
    'transformer: traced outputs, rotation RoPE, padded text keys ignored',
    () => {
      const inputs: Record<string, Tensor> = {
        hidden_states: f32([1, L, 64], randn(L * 64, 11)),
        encoder_hidden_states: f32([1, T, 24], randn(T * 24, 12)),
        timestep: f32([1], [0.75]),
        encoder_mask: i64([1, T], [1, 1, 1, 1, 1, 0, 0]),
        img_shape: i64([3], [1, H, W]),
      };
      const r = call('transformer', 'tr', inputs);
      expect(shape(r, 'sample')).toEqual([1, L, 64]);
      expect(shape(r, 'img_in')).toEqual([1, L, 32]);
      expect(shape(r, 'txt_in')).toEqual([1, T, 32]);
      expect(shape(r, 'temb')).toEqual([1, 32]);
      expect(shape(r, 'rope_img_cos')).toEqual([L, 8]);
      expect(shape(r, 'rope_txt_sin')).toEqual([T, 8]);
      for (const b of [0, 1]) {
        expect(shape(r, `block${b}.img`)).toEqual([1, L, 32]);
        expect(shape(r, `block${b}.txt`)).toEqual([1, T, 32]);
        expect(shape(r, `block${b}.img_mod`)).toEqual([1, 192]);
        expect(shape(r, `block${b}.txt_mod`)).toEqual([1, 192]);
        expect(allFinite(fl(r, `block${b}.img`))).toBe(true);
        expect(allFinite(fl(r, `block${b}.txt`))).toBe(true);
      }
      expect(allFinite(fl(r, 'sample'))).toBe(true);
      // each (cos, sin) pair is a unit complex number, so the pair rotation preserves norms
      for (const which of ['img', 'txt']) {
        const c = fl(r, `rope_${which}_cos`);
        const s = fl(r, `rope_${which}_sin`);
        for (let i = 0; i < c.length; i++) expect(Math.abs(at(c, i) ** 2 + at(s, i) ** 2 - 1)).toBeLessThan(1e-6);
      }
      // centred positions: the image token at row H - H/2, col W - W/2 has position (0, 0, 0) -> identity rotation
      const centre = (H - H / 2) * W + (W - W / 2);
      const ic = fl(r, 'rope_img_cos');
      for (let j = 0; j < 8; j++) expect(at(ic, centre * 8 + j)).toBe(1);
      // text token 0 sits at position max(H/2, W/2) on every axis: first frequency of each axis = that angle
      const p0 = Math.max(Math.floor(H / 2), Math.floor(W / 2));
      const tc = fl(r, 'rope_txt_cos');
      for (const j of [0, 2, 5]) expect(at(tc, j)).toBeCloseTo(Math.cos(p0), 6);

      // padded text tokens are masked keys: changing them must not change the image output
      const changed = Float32Array.from(fl(inputs, 'encoder_hidden_states'));
      for (let i = 5 * 24; i < T * 24; i++) changed[i] = at(changed, i) + 3;
      const r2 = call('transformer', 'tr2', { ...inputs, encoder_hidden_states: f32([1, T, 24], changed) });
      expect(maxAbsDiff(fl(r, 'sample'), fl(r2, 'sample'))).toBeLessThan(1e-5);
      // ...while a change in a real token does change it
      const changed2 = Float32Array.from(fl(inputs, 'encoder_hidden_states'));
      for (let i = 0; i < 24; i++) changed2[i] = at(changed2, i) + 3;
      const r3 = call('transformer', 'tr3', { ...inputs, encoder_hidden_states: f32([1, T, 24], changed2) });
      expect(maxAbsDiff(fl(r, 'sample'), fl(r3, 'sample'))).toBeGreaterThan(1e-3);
    },
    60_000,
  );

  it.skipIf(!hasTorch)(
    'text encoder: shapes and causality',
    () => {
      const ids = [5, 17, 99, 3, 250, 42, 7, 8];
      const a = call('text-encoder', 'te1', {
        input_ids: i64([1, 8], ids),
        attention_mask: i64([1, 8], [1, 1, 1, 1, 1, 1, 1, 1]),
      });
      expect(shape(a, 'last_hidden')).toEqual([1, 8, 24]);
      expect(shape(a, 'layer0')).toEqual([1, 8, 24]);
      expect(shape(a, 'layer1')).toEqual([1, 8, 24]);
      const ids2 = [...ids];
      ids2[6] = 100;
      const b = call('text-encoder', 'te2', {
        input_ids: i64([1, 8], ids2),
        attention_mask: i64([1, 8], [1, 1, 1, 1, 1, 1, 1, 1]),
      });
      const ha = fl(a, 'last_hidden');
      const hb = fl(b, 'last_hidden');
      expect(maxAbsDiff(ha.subarray(0, 6 * 24), hb.subarray(0, 6 * 24))).toBe(0);
      expect(maxAbsDiff(ha.subarray(6 * 24), hb.subarray(6 * 24))).toBeGreaterThan(1e-3);
      // right padding does not change the valid positions
      const c = call('text-encoder', 'te3', {
        input_ids: i64([1, 8], ids2),
        attention_mask: i64([1, 8], [1, 1, 1, 1, 1, 1, 0, 0]),
      });
      expect(maxAbsDiff(ha.subarray(0, 6 * 24), fl(c, 'last_hidden').subarray(0, 6 * 24))).toBeLessThan(1e-5);
    },
    60_000,
  );

  it.skipIf(!hasTorch)('vae: single-frame decode shapes', () => {
    const h = 4;
    const w = 6;
    const r = call('vae', 'vae', { latents: f32([1, 16, 1, h, w], randn(16 * h * w, 21)) });
    expect(shape(r, 'image')).toEqual([1, 3, 1, 8 * h, 8 * w]);
    expect(shape(r, 'conv_in')).toEqual([1, 16, 1, h, w]);
    expect(shape(r, 'mid')).toEqual([1, 16, 1, h, w]);
    expect(shape(r, 'up0')).toEqual([1, 8, 1, 2 * h, 2 * w]);
    expect(shape(r, 'up1')).toEqual([1, 8, 1, 4 * h, 4 * w]);
    expect(shape(r, 'up2')).toEqual([1, 8, 1, 8 * h, 8 * w]);
    expect(shape(r, 'up3')).toEqual([1, 8, 1, 8 * h, 8 * w]);
    expect(allFinite(fl(r, 'image'))).toBe(true);
    const img = fl(r, 'image');
    const img01 = fl(r, 'image01');
    for (let i = 0; i < img.length; i++) {
      const want = Math.min(1, Math.max(0, Math.min(1, Math.max(-1, at(img, i))) / 2 + 0.5));
      expect(Math.abs(at(img01, i) - want)).toBeLessThan(1e-7);
    }
  });

  it.skipIf(!hasTorch)('step: Euler update with true CFG and norm rescale', () => {
    const r = call('step', 'step', {
      latents: f32([1, L, 64], randn(L * 64, 31)),
      prompt_embeds: f32([1, T, 24], randn(T * 24, 32)),
      negative_prompt_embeds: f32([1, 5, 24], randn(5 * 24, 33)),
      cfg: f32([1], [4]),
      step: i64([1], [1]),
      steps: i64([1], [4]),
      img_shape: i64([3], [1, H, W]),
    });
    const x = randn(L * 64, 31);
    const sig = fl(r, 'sigmas');
    const v = fl(r, 'combined');
    const next = fl(r, 'latents');
    const dt = Math.fround(at(sig, 2) - at(sig, 1));
    for (let i = 0; i < next.length; i++) expect(at(next, i)).toBe(Math.fround(at(x, i) + Math.fround(dt * at(v, i))));
    expect(at(fl(r, 'timestep'), 0)).toBe(Math.fround(at(fl(r, 'timesteps'), 1) / 1000));
    const cond = fl(r, 'noise_pred');
    const neg = fl(r, 'neg_noise_pred');
    for (let row = 0; row < L; row++) {
      let nc = 0;
      let nv = 0;
      let dot = 0;
      let nraw = 0;
      for (let j = 0; j < 64; j++) {
        const k = row * 64 + j;
        const raw = at(neg, k) + 4 * (at(cond, k) - at(neg, k));
        nc += at(cond, k) ** 2;
        nv += at(v, k) ** 2;
        nraw += raw ** 2;
        dot += raw * at(v, k);
      }
      expect(Math.sqrt(nv)).toBeCloseTo(Math.sqrt(nc), 4); // rescaled to the cond norm
      expect(dot / Math.sqrt(nraw * nv)).toBeCloseTo(1, 5); // same direction as neg + s (cond - neg)
    }
  });

  it.skipIf(!hasTorch)(
    'denoise: full loop + decode',
    () => {
      const r = call('denoise', 'den', {
        noise: f32([1, L, 64], randn(L * 64, 41)),
        prompt_embeds: f32([1, T, 24], randn(T * 24, 42)),
        cfg: f32([1], [1]),
        steps: i64([1], [2]),
        img_shape: i64([3], [1, H, W]),
      });
      expect(shape(r, 'latents_final')).toEqual([1, L, 64]);
      expect(shape(r, 'latents_vae')).toEqual([1, 16, 1, 2 * H, 2 * W]);
      expect(shape(r, 'image')).toEqual([1, 3, 1, 16 * H, 16 * W]);
      expect(maxAbsDiff(fl(r, 'latents_final'), fl(r, 'latents_step1'))).toBe(0);
      for (const v of fl(r, 'image01')) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    },
    60_000,
  );
});
