// electron/engine/model: sharded weights, configs and expected tensors, import and verification
// of model folders, each kind of damage with its own error. (safetensors itself: safetensors.test.ts)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  configProblems,
  expectedTensors,
  parseTextEncoderConfig,
  SchedulerConfig,
  TransformerConfig,
  VaeConfig,
} from '../../electron/engine/model/configs';
import { importModel, ModelError, ModelManifest, openModel, QWEN_IMAGE_TEMPLATE } from '../../electron/engine/model/manifest';
import { SafetensorsReader, writeSafetensors } from '../../electron/engine/model/safetensors';
import { WeightSet } from '../../electron/engine/model/weights';
import { makeTinyQwenImage, TINY_TRANSFORMER, tinyVae, tokenizerVocabSize } from './tiny';

const root = mkdtempSync(join(tmpdir(), 'model-test-'));
let pristine = ''; // sharded transformer, imported
let single = ''; // one-file transformer, not imported

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  pristine = join(root, 'pristine');
  await makeTinyQwenImage(pristine, { shards: 2, seed: 7 });
  await importModel(pristine);
  single = join(root, 'single');
  await makeTinyQwenImage(single, { seed: 7 });
}, 60_000);

let n = 0;
function copyModel(from = pristine): string {
  const dir = join(root, `case-${n++}`);
  cpSync(from, dir, { recursive: true });
  return dir;
}

async function failure(p: Promise<unknown>): Promise<ModelError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ModelError);
    return err as ModelError;
  }
  throw new Error('expected a ModelError, but the call succeeded');
}

describe('weight sets', () => {
  it('reads the same tensors from a sharded transformer as from one file', async () => {
    const a = await WeightSet.open(pristine, 'transformer');
    const b = await WeightSet.open(single, 'transformer');
    expect(a.files).toEqual([
      'transformer/diffusion_pytorch_model-00001-of-00002.safetensors',
      'transformer/diffusion_pytorch_model-00002-of-00002.safetensors',
    ]);
    expect(b.files).toEqual(['transformer/diffusion_pytorch_model.safetensors']);
    expect(a.names().sort()).toEqual(b.names().sort());
    expect(a.names().sort()).toEqual(
      expectedTensors('transformer', TINY_TRANSFORMER)
        .map((t) => t.name)
        .sort(),
    );
    for (const name of a.names()) {
      expect(a.shape(name)).toEqual(b.shape(name));
      expect(Array.from(await a.readFloat32(name))).toEqual(Array.from(await b.readFloat32(name)));
    }
    expect(a.has('proj_out.weight')).toBe(true);
    expect(a.entry('proj_out.weight')?.file).toContain('00002-of-00002');
    const err = await failure(a.readFloat32('no.such.tensor'));
    expect(err.code).toBe('missing-tensor');
    expect(err.message).toContain('transformer: tensor no.such.tensor is missing');
    await a.close();
    await b.close();
  });

  it('names a missing shard and the index that lists it', async () => {
    const dir = copyModel();
    rmSync(join(dir, 'transformer/diffusion_pytorch_model-00002-of-00002.safetensors'));
    const err = await failure(WeightSet.open(dir, 'transformer'));
    expect(err.code).toBe('missing-file');
    expect(err.message).toBe(
      'transformer/diffusion_pytorch_model-00002-of-00002.safetensors is missing (named in diffusion_pytorch_model.safetensors.index.json). Copy the whole model folder again.',
    );
  });

  it('rejects an index that places a tensor in a shard without it, or outside the folder', async () => {
    const dir = copyModel();
    const indexPath = join(dir, 'transformer/diffusion_pytorch_model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    index.weight_map['img_in.weight'] = 'diffusion_pytorch_model-00002-of-00002.safetensors';
    writeFileSync(indexPath, JSON.stringify(index));
    let err = await failure(WeightSet.open(dir, 'transformer'));
    expect(err.code).toBe('missing-tensor');
    expect(err.message).toContain('diffusion_pytorch_model-00002-of-00002.safetensors lacks tensor img_in.weight');
    index.weight_map['img_in.weight'] = '../../secret.safetensors';
    writeFileSync(indexPath, JSON.stringify(index));
    err = await failure(WeightSet.open(dir, 'transformer'));
    expect(err.code).toBe('bad-config');
    expect(err.message).toContain('not a shard file name');
    writeFileSync(indexPath, '{"metadata": {}}');
    err = await failure(WeightSet.open(dir, 'transformer'));
    expect(err.message).toContain('is not a valid shard index (it has no weight_map object)');
  });
});

describe('configs', () => {
  it('reads the text encoder fields from the top level or from text_config, keeping unknown keys', () => {
    const fields = {
      hidden_size: 24,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 300,
    };
    const top = parseTextEncoderConfig({ ...fields, model_type: 'qwen2_5_vl', rope_scaling: { mrope_section: [1, 1, 1] } });
    expect(top).toMatchObject({ ...fields, rms_norm_eps: 1e-6, rope_theta: 1_000_000, model_type: 'qwen2_5_vl' });
    const nested = parseTextEncoderConfig({
      hidden_size: 99,
      text_config: { ...fields, rope_theta: 10_000 },
      vision_config: { depth: 32 },
    });
    expect(nested).toMatchObject({ ...fields, rope_theta: 10_000 });
    expect(nested).not.toHaveProperty('vision_config');
    expect(() => parseTextEncoderConfig({ hidden_size: 24 })).toThrow();
  });

  it("defaults the scheduler to Qwen-Image's and keeps extra keys in every config", () => {
    expect(SchedulerConfig.parse({})).toEqual({
      base_image_seq_len: 256,
      base_shift: 0.5,
      max_image_seq_len: 8192,
      max_shift: 0.9,
      num_train_timesteps: 1000,
      shift: 1,
      shift_terminal: 0.02,
      use_dynamic_shifting: true,
      time_shift_type: 'exponential',
    });
    expect(TransformerConfig.parse({ _class_name: 'QwenImageTransformer2DModel', guidance_embeds: false })).toMatchObject({
      _class_name: 'QwenImageTransformer2DModel',
      num_layers: 60,
      axes_dims_rope: [16, 56, 56],
    });
    expect(VaeConfig.safeParse({ latents_mean: [0], latents_std: [0] }).success).toBe(false);
  });

  it('lists the VAE decoder tensors of the real Qwen-Image config', () => {
    const real = VaeConfig.parse({ latents_mean: new Array(16).fill(0), latents_std: new Array(16).fill(1) });
    const list = expectedTensors('vae', real);
    const shape = new Map(list.map((t) => [t.name, t.shape]));
    expect(new Set(list.map((t) => t.name)).size).toBe(list.length);
    expect(list.every((t) => t.name.startsWith('decoder.') || t.name.startsWith('post_quant_conv.'))).toBe(true);
    expect(shape.get('post_quant_conv.weight')).toEqual([16, 16, 1, 1, 1]);
    expect(shape.get('decoder.conv_in.weight')).toEqual([384, 16, 3, 3, 3]);
    expect(shape.get('decoder.mid_block.resnets.0.norm1.gamma')).toEqual([384, 1, 1, 1]);
    expect(shape.get('decoder.mid_block.attentions.0.norm.gamma')).toEqual([384, 1, 1]);
    expect(shape.get('decoder.mid_block.attentions.0.to_qkv.weight')).toEqual([1152, 384, 1, 1]);
    expect(shape.get('decoder.mid_block.attentions.0.proj.bias')).toEqual([384]);
    expect(shape.get('decoder.up_blocks.0.resnets.2.conv2.weight')).toEqual([384, 384, 3, 3, 3]);
    expect(shape.get('decoder.up_blocks.0.upsamplers.0.resample.1.weight')).toEqual([192, 384, 3, 3]);
    expect(shape.get('decoder.up_blocks.0.upsamplers.0.time_conv.weight')).toEqual([768, 384, 3, 1, 1]);
    expect(shape.get('decoder.up_blocks.1.resnets.0.conv_shortcut.weight')).toEqual([384, 192, 1, 1, 1]);
    expect(shape.get('decoder.up_blocks.1.upsamplers.0.time_conv.bias')).toEqual([768]);
    expect(shape.get('decoder.up_blocks.2.resnets.0.conv1.weight')).toEqual([192, 192, 3, 3, 3]);
    expect(shape.has('decoder.up_blocks.2.resnets.0.conv_shortcut.weight')).toBe(false);
    expect(shape.get('decoder.up_blocks.2.upsamplers.0.resample.1.weight')).toEqual([96, 192, 3, 3]);
    expect(shape.has('decoder.up_blocks.2.upsamplers.0.time_conv.weight')).toBe(false); // upsample2d
    expect(shape.get('decoder.up_blocks.3.resnets.0.conv1.weight')).toEqual([96, 96, 3, 3, 3]);
    expect([...shape.keys()].some((k) => k.startsWith('decoder.up_blocks.3.upsamplers'))).toBe(false);
    expect(shape.get('decoder.norm_out.gamma')).toEqual([96, 1, 1, 1]);
    expect(shape.get('decoder.conv_out.weight')).toEqual([3, 96, 3, 3, 3]);
    // 2 (post_quant) + 2 (conv_in) + mid (2 resnets x 6 + attention 5) + up blocks + norm_out + conv_out
    const params = list.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
    expect(params).toBeGreaterThan(60e6);
    expect(params).toBeLessThan(80e6);
  });

  it('lists the transformer and text encoder tensors with torch Linear layout', () => {
    const t = new Map(expectedTensors('transformer', TINY_TRANSFORMER).map((x) => [x.name, x.shape]));
    expect(t.get('img_in.weight')).toEqual([32, 64]);
    expect(t.get('time_text_embed.timestep_embedder.linear_1.weight')).toEqual([32, 256]);
    expect(t.get('transformer_blocks.1.img_mod.1.weight')).toEqual([192, 32]);
    expect(t.get('transformer_blocks.0.attn.norm_added_k.weight')).toEqual([16]);
    expect(t.get('transformer_blocks.0.txt_mlp.net.0.proj.weight')).toEqual([128, 32]);
    expect(t.get('norm_out.linear.weight')).toEqual([64, 32]);
    expect(t.get('proj_out.weight')).toEqual([64, 32]);
    // 9 input tensors, 32 per block (2 modulations, 8 attention linears, 4 qk norms, 2 MLPs), 4 output tensors
    expect(t.size).toBe(9 + 2 * 32 + 4);
    const te = parseTextEncoderConfig({
      hidden_size: 24,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 300,
    });
    const e = new Map(expectedTensors('text_encoder', te).map((x) => [x.name, x.shape]));
    expect(e.get('model.embed_tokens.weight')).toEqual([300, 24]);
    expect(e.get('model.layers.1.self_attn.k_proj.weight')).toEqual([12, 24]);
    expect(e.get('model.layers.1.self_attn.k_proj.bias')).toEqual([12]);
    expect(e.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    expect(e.get('model.layers.0.mlp.down_proj.weight')).toEqual([24, 48]);
    expect(e.has('lm_head.weight')).toBe(false);
    expect(expectedTensors('text_encoder', te, 'model.language_model.')[0]?.name).toBe('model.language_model.embed_tokens.weight');
  });

  it('finds configs that do not describe one model', () => {
    const te = parseTextEncoderConfig({
      hidden_size: 24,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 3,
      vocab_size: 300,
    });
    const problems = configProblems({
      transformer: { ...TINY_TRANSFORMER, axes_dims_rope: [4, 6, 8], joint_attention_dim: 32 },
      text_encoder: te,
      vae: { ...tinyVae(), latents_std: [1] },
    });
    expect(problems.join('\n')).toMatch(/axes_dims_rope \[4, 6, 8\] must add up to attention_head_dim 16/);
    expect(problems.join('\n')).toMatch(/joint_attention_dim 32 differs from the text encoder's hidden_size 24/);
    expect(problems.join('\n')).toMatch(/num_attention_heads 4 is not a multiple of num_key_value_heads 3/);
    expect(problems.join('\n')).toMatch(/latents_mean and latents_std need z_dim = 16 numbers each/);
    expect(configProblems({ transformer: TINY_TRANSFORMER, text_encoder: { ...te, num_key_value_heads: 2 }, vae: tinyVae() })).toEqual([]);
  });
});

describe('model folders', () => {
  it('imports a diffusers-layout folder: configs, files with sizes and hashes, prompt, latents', async () => {
    const raw = JSON.parse(readFileSync(join(pristine, 'model.json'), 'utf8'));
    const m = ModelManifest.parse(raw);
    expect(m).toMatchObject({ format: 'poster-model', version: 1, family: 'qwen-image', name: 'pristine' });
    expect(m.prompt).toEqual({ template: QWEN_IMAGE_TEMPLATE, dropTokens: 34 });
    expect(m.scheduler.max_shift).toBe(0.9);
    expect(m.vae_latents.mean).toEqual(tinyVae().latents_mean);
    expect(m.components.text_encoder.config.hidden_size).toBe(24);
    expect(m.components.transformer.files.map((f) => f.path)).toEqual([
      'transformer/config.json',
      'transformer/diffusion_pytorch_model-00001-of-00002.safetensors',
      'transformer/diffusion_pytorch_model-00002-of-00002.safetensors',
      'transformer/diffusion_pytorch_model.safetensors.index.json',
    ]);
    expect(m.tokenizer.files.map((f) => f.path)).toEqual([
      'tokenizer/merges.txt',
      'tokenizer/tokenizer_config.json',
      'tokenizer/vocab.json',
    ]);
    const vaeFile = m.components.vae.files.find((f) => f.path.endsWith('.safetensors'));
    expect(vaeFile?.bytes).toBe(readFileSync(join(pristine, vaeFile?.path ?? '')).length);
    expect(readdirSync(pristine).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports progress by bytes, ending at the total', async () => {
    const dir = copyModel(single);
    const seen: [number, number, string][] = [];
    await importModel(dir, { onProgress: (d, t, f) => seen.push([d, t, f]) });
    const total = seen[0]?.[1] ?? 0;
    expect(total).toBeGreaterThan(100_000);
    expect(seen.every(([d, t], i) => t === total && d >= (seen[i - 1]?.[0] ?? 0))).toBe(true);
    expect(seen.at(-1)?.[0]).toBe(total);
    expect(new Set(seen.map((s) => s[2]))).toContain('vae/diffusion_pytorch_model.safetensors');
  });

  it('opens a verified folder and its weights; imports first when model.json is absent', async () => {
    const m = await openModel(pristine, { verify: 'full' });
    expect(m.tokenizerDir).toBe(join(pristine, 'tokenizer'));
    const vae = await m.weights('vae');
    expect(vae.shape('decoder.conv_out.weight')).toEqual([3, 8, 3, 3, 3]);
    expect((await vae.readFloat32('decoder.conv_out.bias')).length).toBe(3);
    await vae.close();
    const dir = copyModel(single);
    expect(existsSync(join(dir, 'model.json'))).toBe(false);
    const fresh = await openModel(dir, { verify: 'fast' });
    expect(existsSync(join(dir, 'model.json'))).toBe(true);
    expect(fresh.manifest.components.transformer.files).toHaveLength(2);
    await expect(openModel(dir, { verify: 'full' })).resolves.toBeDefined();
  });

  it('re-imports a folder that has only model.json and weights (no diffusers configs)', async () => {
    const dir = copyModel();
    for (const c of ['transformer', 'text_encoder', 'vae']) rmSync(join(dir, c, 'config.json'));
    rmSync(join(dir, 'scheduler'), { recursive: true });
    const m = await importModel(dir, { name: 'Renamed' });
    expect(m.name).toBe('Renamed');
    expect(m.components.vae.config.base_dim).toBe(8);
    expect(m.components.vae.files.map((f) => f.path)).toEqual(['vae/diffusion_pytorch_model.safetensors']);
    await expect(openModel(dir, { verify: 'full' })).resolves.toBeDefined();
  });

  it('names a missing shard, with and without a manifest', async () => {
    const dir = copyModel();
    rmSync(join(dir, 'transformer/diffusion_pytorch_model-00002-of-00002.safetensors'));
    let err = await failure(openModel(dir));
    expect(err.code).toBe('missing-file');
    expect(err.message).toContain('transformer/diffusion_pytorch_model-00002-of-00002.safetensors is missing');
    rmSync(join(dir, 'model.json'));
    err = await failure(openModel(dir));
    expect(err.code).toBe('missing-file');
    expect(err.message).toContain('(named in diffusion_pytorch_model.safetensors.index.json). Copy the whole model folder again.');
  });

  it('tells a truncated file from a damaged one, with and without a manifest', async () => {
    const dir = copyModel();
    const file = join(dir, 'vae/diffusion_pytorch_model.safetensors');
    truncateSync(file, readFileSync(file).length - 100);
    let err = await failure(openModel(dir, { verify: 'full' }));
    expect(err.code).toBe('truncated');
    expect(err.message).toMatch(/^vae\/diffusion_pytorch_model\.safetensors is truncated: it has \d+ of its \d+ bytes/);
    rmSync(join(dir, 'model.json'));
    err = await failure(openModel(dir));
    expect(err.code).toBe('truncated');
    expect(err.message).toMatch(/vae\/diffusion_pytorch_model\.safetensors is truncated: tensor \S+ ends at data byte/);
  });

  it('finds a flipped byte only with full verification, as a checksum mismatch', async () => {
    const dir = copyModel();
    const file = join(dir, 'text_encoder/model.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
    writeFileSync(file, bytes);
    await expect(openModel(dir, { verify: 'fast' })).resolves.toBeDefined();
    const err = await failure(openModel(dir, { verify: 'full' }));
    expect(err.code).toBe('checksum');
    expect(err.message).toMatch(/^text_encoder\/model\.safetensors does not match its checksum .* copy or download it again\.$/);
  });

  it('reports a grown file as changed, not truncated', async () => {
    const dir = copyModel();
    const file = join(dir, 'vae/diffusion_pytorch_model.safetensors');
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.alloc(16)]));
    const err = await failure(openModel(dir));
    expect(err.code).toBe('checksum');
    expect(err.message).toContain('vae/diffusion_pytorch_model.safetensors has');
  });

  it('reports a corrupt header with the file name, with and without a manifest', async () => {
    const dir = copyModel();
    const file = join(dir, 'vae/diffusion_pytorch_model.safetensors');
    const bytes = readFileSync(file);
    bytes.write('!!!!', 8);
    writeFileSync(file, bytes);
    let err = await failure(openModel(dir));
    expect(err.code).toBe('bad-header');
    expect(err.message).toMatch(/^vae\/diffusion_pytorch_model\.safetensors cannot be read: header is not valid JSON/);
    rmSync(join(dir, 'model.json'));
    err = await failure(importModel(dir));
    expect(err.code).toBe('bad-header');
    expect(existsSync(join(dir, 'model.json'))).toBe(false);
  });

  it('reports a tensor whose shape does not match the config', async () => {
    const dir = copyModel();
    rmSync(join(dir, 'model.json'));
    const cfgPath = join(dir, 'text_encoder/config.json');
    writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), intermediate_size: 64 }));
    const err = await failure(openModel(dir));
    expect(err.code).toBe('shape');
    expect(err.message).toContain(
      'text_encoder: tensor model.layers.0.mlp.gate_proj.weight has shape [48, 24] but text_encoder/config.json implies [64, 24]',
    );
  });

  it('reports a missing tensor by name', async () => {
    const dir = copyModel();
    rmSync(join(dir, 'model.json'));
    const file = join(dir, 'vae/diffusion_pytorch_model.safetensors');
    const r = await SafetensorsReader.open(file);
    const kept = [];
    for (const e of r.entries()) {
      if (e.name === 'decoder.up_blocks.0.upsamplers.0.time_conv.weight') continue;
      kept.push({ name: e.name, dtype: 'F32' as const, shape: e.shape, data: await r.readFloat32(e.name) });
    }
    await writeSafetensors(file, kept);
    const err = await failure(importModel(dir));
    expect(err.code).toBe('missing-tensor');
    expect(err.message).toContain('vae: tensor decoder.up_blocks.0.upsamplers.0.time_conv.weight is missing');
  });

  it('reports a missing, unparsable, invalid or inconsistent config', async () => {
    const dir = copyModel();
    rmSync(join(dir, 'model.json'));
    const cfg = readFileSync(join(dir, 'vae/config.json'), 'utf8');
    rmSync(join(dir, 'vae/config.json'));
    let err = await failure(importModel(dir));
    expect(err.code).toBe('missing-file');
    expect(err.message).toContain('vae/config.json is missing');
    writeFileSync(join(dir, 'vae/config.json'), '{"z_dim": 16,');
    err = await failure(importModel(dir));
    expect(err.code).toBe('bad-config');
    expect(err.message).toContain('vae/config.json in');
    expect(err.message).toContain('is not valid JSON');
    writeFileSync(join(dir, 'vae/config.json'), JSON.stringify({ ...JSON.parse(cfg), z_dim: 'sixteen' }));
    err = await failure(importModel(dir));
    expect(err.code).toBe('bad-config');
    expect(err.message).toMatch(/vae\/config\.json is not a valid config: z_dim: /);
    writeFileSync(join(dir, 'vae/config.json'), JSON.stringify({ ...JSON.parse(cfg), z_dim: 8 }));
    err = await failure(importModel(dir));
    expect(err.code).toBe('bad-config');
    expect(err.message).toContain("out_channels 16 differs from the VAE's z_dim 8");
  });

  it('reports a missing tokenizer file and a damaged model.json', async () => {
    const dir = copyModel();
    rmSync(join(dir, 'model.json'));
    rmSync(join(dir, 'tokenizer/merges.txt'));
    let err = await failure(importModel(dir));
    expect(err.code).toBe('missing-file');
    expect(err.message).toContain('tokenizer/merges.txt is missing');
    const other = copyModel();
    const manifest = JSON.parse(readFileSync(join(other, 'model.json'), 'utf8'));
    manifest.tokenizer.files[0].path = '../../etc/passwd';
    writeFileSync(join(other, 'model.json'), JSON.stringify(manifest));
    err = await failure(openModel(other));
    expect(err.code).toBe('bad-config');
    expect(err.message).toContain(
      'model.json is not a valid config: tokenizer.files.0.path: must be a relative path inside the model folder',
    );
    expect(err.message).toContain('Delete model.json and import the folder again.');
  });

  it('leaves the folder untouched when it fails to open', async () => {
    const dir = copyModel();
    rmSync(join(dir, 'tokenizer/vocab.json'));
    const before = readFileSync(join(dir, 'model.json'), 'utf8');
    expect((await failure(openModel(dir, { verify: 'full' }))).message).toContain('tokenizer/vocab.json is missing');
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe(before);
  });
});

describe('tiny model folders', () => {
  it('are deterministic for a seed and differ between seeds', async () => {
    const a = join(root, 'det-a');
    const b = join(root, 'det-b');
    const c = join(root, 'det-c');
    await makeTinyQwenImage(a, { seed: 5 });
    await makeTinyQwenImage(b, { seed: 5 });
    await makeTinyQwenImage(c, { seed: 6 });
    const f = 'transformer/diffusion_pytorch_model.safetensors';
    expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f)))).toBe(true);
    expect(readFileSync(join(a, f)).equals(readFileSync(join(c, f)))).toBe(false);
  });

  it('write plausible weights: norms near 1, small linears, finite everywhere', async () => {
    const set = await WeightSet.open(single, 'transformer');
    const norm = await set.readFloat32('transformer_blocks.0.attn.norm_q.weight');
    expect(Math.min(...norm)).toBeGreaterThan(0.5);
    expect(Math.max(...norm)).toBeLessThan(1.5);
    const w = await set.readFloat32('transformer_blocks.0.attn.to_q.weight');
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.01);
    expect(std).toBeLessThan(0.2);
    for (const name of set.names()) expect((await set.readFloat32(name)).every(Number.isFinite)).toBe(true);
    await set.close();
    const vae = VaeConfig.parse(JSON.parse(readFileSync(join(single, 'vae/config.json'), 'utf8')));
    expect(vae.latents_std.every((s) => s >= 1 && s <= 3)).toBe(true);
  });

  it('copy a given tokenizer folder and size the vocabulary to it', async () => {
    const tok = join(root, 'tok');
    mkdirSync(tok);
    cpSync(join(single, 'tokenizer'), tok, { recursive: true });
    writeFileSync(join(tok, 'added_tokens.json'), JSON.stringify({ '<|extra|>': 400 }));
    const dir = join(root, 'with-tok');
    await makeTinyQwenImage(dir, { tokenizerDir: tok, dtype: 'BF16' });
    expect(readFileSync(join(dir, 'tokenizer/added_tokens.json'), 'utf8')).toContain('<|extra|>');
    expect(tokenizerVocabSize(join(dir, 'tokenizer'))).toBe(401);
    const m = await importModel(dir);
    expect(m.components.text_encoder.config.vocab_size).toBe(401);
    const te = await WeightSet.open(dir, 'text_encoder');
    expect(te.entry('model.embed_tokens.weight')).toMatchObject({ dtype: 'BF16', shape: [401, 24] });
    await te.close();
  });

  it('the minimal tokenizer has the byte alphabet, merges and the chat special tokens', () => {
    const vocab = JSON.parse(readFileSync(join(single, 'tokenizer/vocab.json'), 'utf8')) as Record<string, number>;
    expect(Object.keys(vocab).length).toBeGreaterThan(256);
    const cfg = JSON.parse(readFileSync(join(single, 'tokenizer/tokenizer_config.json'), 'utf8'));
    const specials = Object.values(cfg.added_tokens_decoder as Record<string, { content: string }>).map((t) => t.content);
    expect(specials).toEqual(expect.arrayContaining(['<|im_start|>', '<|im_end|>', '<|endoftext|>']));
    expect(readFileSync(join(single, 'tokenizer/merges.txt'), 'utf8').split('\n').length).toBeGreaterThan(3);
    const te = JSON.parse(readFileSync(join(single, 'text_encoder/config.json'), 'utf8'));
    expect(te.vocab_size).toBe(tokenizerVocabSize(join(single, 'tokenizer')));
  });
});

// Cross-check against the independent PyTorch reference (helper B's make-tiny) where torch exists.
const PY = '/usr/bin/python3';
const CLI = join(__dirname, '../../native-models/qwen-image/reference/cli.py');
const hasTorch = (() => {
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'pipe' });
    return existsSync(CLI);
  } catch {
    return false;
  }
})();

describe.skipIf(!hasTorch)('expected tensors vs the PyTorch reference folder', () => {
  it('lists exactly the reference modules, with the same shapes', async () => {
    const dir = join(root, 'py-tiny');
    execFileSync(PY, [CLI, 'make-tiny', '--out', dir, '--seed', '3'], { stdio: 'pipe' });
    const m = await importModel(dir);
    for (const c of ['transformer', 'text_encoder', 'vae'] as const) {
      const set = await WeightSet.open(dir, c);
      const have = new Map(set.names().map((name) => [name, set.shape(name)]));
      const config = m.components[c].config;
      const want =
        c === 'transformer'
          ? expectedTensors('transformer', m.components.transformer.config)
          : c === 'vae'
            ? expectedTensors('vae', m.components.vae.config)
            : expectedTensors('text_encoder', m.components.text_encoder.config);
      expect(config).toBeDefined();
      for (const t of want) expect(have.get(t.name), `${c} ${t.name}`).toEqual(t.shape);
      const relevant = [...have.keys()].filter((k) =>
        c === 'vae' ? k.startsWith('decoder.') || k.startsWith('post_quant_conv.') : c === 'text_encoder' ? k.startsWith('model.') : true,
      );
      expect(relevant.sort(), c).toEqual(want.map((t) => t.name).sort());
      await set.close();
    }
  }, 60_000);
});
