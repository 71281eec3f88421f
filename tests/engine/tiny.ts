// A tiny Qwen-Image-family model folder in the published diffusers layout, with random weights
// under the real tensor names, for the engine's tests. Deterministic from a seed.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectedTensors, type TextEncoderConfig, type TransformerConfig, type VaeConfig } from '../../electron/engine/model/configs';
import { type TensorToWrite, writeSafetensors } from '../../electron/engine/model/safetensors';
import { Rng } from '../../electron/engine/pipeline/rng';
import { writeTinyTokenizer } from '../../electron/engine/tokenizer/tiny';

export const TINY_TRANSFORMER: TransformerConfig = {
  patch_size: 2,
  in_channels: 64,
  out_channels: 16,
  num_layers: 2,
  attention_head_dim: 16,
  num_attention_heads: 2,
  joint_attention_dim: 24,
  axes_dims_rope: [4, 6, 6],
};

export function tinyVae(): VaeConfig {
  const rng = new Rng(99);
  return {
    base_dim: 8,
    z_dim: 16,
    dim_mult: [1, 2, 2, 2],
    num_res_blocks: 1,
    attn_scales: [],
    temperal_downsample: [false, true, true],
    latents_mean: Array.from({ length: 16 }, () => Math.round(rng.normal() * 50) / 100),
    latents_std: Array.from({ length: 16 }, () => Math.round((1 + rng.uniform() * 2) * 100) / 100),
  };
}

function randomTensors(list: { name: string; shape: number[] }[], rng: Rng): TensorToWrite[] {
  return list.map(({ name, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = /norm[^.]*\.(weight|gamma)$|\.gamma$/.test(name) && !name.includes('norm_out.linear');
    const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const std = shape.length > 1 ? 0.6 / Math.sqrt(fanIn) : 0.05;
    const data = rng.normals(n).map((v) => (isNorm ? 1 + 0.1 * v : std * v));
    return { name, dtype: 'F32', shape, data };
  });
}

/**
 * The vocabulary size a tokenizer folder needs: one more than the largest id in vocab.json,
 * added_tokens.json, tokenizer_config.json's added_tokens_decoder or tokenizer.json.
 */
export function tokenizerVocabSize(dir: string): number {
  let max = -1;
  const see = (id: unknown): void => {
    if (typeof id === 'number' && Number.isInteger(id)) max = Math.max(max, id);
  };
  const read = (f: string): unknown => {
    try {
      return JSON.parse(readFileSync(join(dir, f), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const vocab = read('vocab.json') as Record<string, number> | undefined;
  for (const id of Object.values(vocab ?? {})) see(id);
  const added = read('added_tokens.json') as Record<string, number> | undefined;
  for (const id of Object.values(added ?? {})) see(id);
  const config = read('tokenizer_config.json') as { added_tokens_decoder?: Record<string, unknown> } | undefined;
  for (const id of Object.keys(config?.added_tokens_decoder ?? {})) see(Number(id));
  const full = read('tokenizer.json') as { model?: { vocab?: Record<string, number> }; added_tokens?: { id?: number }[] } | undefined;
  for (const id of Object.values(full?.model?.vocab ?? {})) see(id);
  for (const t of full?.added_tokens ?? []) see(t.id);
  if (max < 0) throw new Error(`${dir} has no vocabulary (vocab.json or tokenizer.json)`);
  return max + 1;
}

function copyTokenizer(from: string, to: string): number {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) if (statSync(join(from, f)).isFile()) copyFileSync(join(from, f), join(to, f));
  return tokenizerVocabSize(to);
}

export interface TinyOptions {
  seed?: number;
  /** Copy this tokenizer folder into tokenizer/ instead of writing the minimal byte-level one. */
  tokenizerDir?: string;
  /** Write the transformer as this many shards plus an index. */
  shards?: number;
  dtype?: 'F32' | 'F16' | 'BF16';
  /** 'bench' is wider and deeper, so a step takes measurable time. */
  size?: 'tiny' | 'bench';
  /** Overrides the number of transformer blocks. */
  layers?: number;
  /** Overrides the number of attention heads (the transformer's width is heads x head dim). */
  heads?: number;
}

export const BENCH_TRANSFORMER: TransformerConfig = {
  ...TINY_TRANSFORMER,
  num_layers: 4,
  attention_head_dim: 32,
  num_attention_heads: 4,
  joint_attention_dim: 64,
  axes_dims_rope: [8, 12, 12],
};

/** Writes a complete tiny model folder. */
export async function makeTinyQwenImage(dir: string, opts: TinyOptions = {}): Promise<void> {
  const rng = new Rng(opts.seed ?? 1);
  for (const d of ['transformer', 'text_encoder', 'vae', 'tokenizer', 'scheduler']) mkdirSync(join(dir, d), { recursive: true });
  const vocabSize = opts.tokenizerDir
    ? copyTokenizer(opts.tokenizerDir, join(dir, 'tokenizer'))
    : writeTinyTokenizer(join(dir, 'tokenizer'));
  const bench = opts.size === 'bench';
  const base = bench ? BENCH_TRANSFORMER : TINY_TRANSFORMER;
  const transformerConfig = {
    ...base,
    num_layers: opts.layers ?? base.num_layers,
    num_attention_heads: opts.heads ?? base.num_attention_heads,
  };
  const te: TextEncoderConfig = {
    hidden_size: bench ? 64 : 24,
    intermediate_size: bench ? 128 : 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 1_000_000,
    vocab_size: vocabSize,
    max_position_embeddings: 2048,
  };
  const vae = { ...tinyVae(), base_dim: bench ? 16 : 8 };
  writeFileSync(join(dir, 'model_index.json'), JSON.stringify({ _class_name: 'QwenImagePipeline', _diffusers_version: '0.35.0' }));
  writeFileSync(
    join(dir, 'scheduler/scheduler_config.json'),
    JSON.stringify({
      _class_name: 'FlowMatchEulerDiscreteScheduler',
      base_image_seq_len: 256,
      base_shift: 0.5,
      max_image_seq_len: 8192,
      max_shift: 0.9,
      num_train_timesteps: 1000,
      shift: 1.0,
      shift_terminal: 0.02,
      time_shift_type: 'exponential',
      use_dynamic_shifting: true,
    }),
  );
  writeFileSync(join(dir, 'transformer/config.json'), JSON.stringify({ _class_name: 'QwenImageTransformer2DModel', ...transformerConfig }));
  writeFileSync(join(dir, 'text_encoder/config.json'), JSON.stringify({ architectures: ['Qwen2_5_VLForConditionalGeneration'], ...te }));
  writeFileSync(join(dir, 'vae/config.json'), JSON.stringify({ _class_name: 'AutoencoderKLQwenImage', ...vae }));
  const dtype = opts.dtype ?? 'F32';
  const cast = (ts: TensorToWrite[]): TensorToWrite[] => ts.map((t) => ({ ...t, dtype }));
  const transformer = cast(randomTensors(expectedTensors('transformer', transformerConfig), rng));
  const shards = opts.shards ?? 1;
  if (shards > 1) {
    const per = Math.ceil(transformer.length / shards);
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < shards; s++) {
      const name = `diffusion_pytorch_model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const part = transformer.slice(s * per, (s + 1) * per);
      for (const t of part) weightMap[t.name] = name;
      await writeSafetensors(join(dir, 'transformer', name), part);
    }
    writeFileSync(
      join(dir, 'transformer/diffusion_pytorch_model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
  } else {
    await writeSafetensors(join(dir, 'transformer/diffusion_pytorch_model.safetensors'), transformer);
  }
  await writeSafetensors(join(dir, 'text_encoder/model.safetensors'), cast(randomTensors(expectedTensors('text_encoder', te), rng)));
  await writeSafetensors(join(dir, 'vae/diffusion_pytorch_model.safetensors'), cast(randomTensors(expectedTensors('vae', vae), rng)));
}
