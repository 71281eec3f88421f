/**
 * The four configs of a Qwen-Image-family folder (diffusers layout), validated with zod. Real
 * configs carry many more keys; those are kept but not needed.
 */
import { z } from 'zod';

const posInt = z.number().int().positive();

export const TransformerConfig = z.looseObject({
  patch_size: posInt.default(2),
  in_channels: posInt.default(64),
  out_channels: posInt.default(16),
  num_layers: posInt.default(60),
  attention_head_dim: posInt.default(128),
  num_attention_heads: posInt.default(24),
  joint_attention_dim: posInt.default(3584),
  axes_dims_rope: z.array(posInt).length(3).default([16, 56, 56]),
});
export type TransformerConfig = z.infer<typeof TransformerConfig>;

/** The Qwen2 language-model fields of the text encoder (Qwen2.5-VL's text half). */
export const TextEncoderConfig = z.looseObject({
  hidden_size: posInt,
  intermediate_size: posInt,
  num_hidden_layers: posInt,
  num_attention_heads: posInt,
  num_key_value_heads: posInt,
  rms_norm_eps: z.number().positive().default(1e-6),
  rope_theta: z.number().positive().default(1_000_000),
  vocab_size: posInt,
  max_position_embeddings: posInt.optional(),
});
export type TextEncoderConfig = z.infer<typeof TextEncoderConfig>;

/**
 * Qwen2.5-VL keeps the language model's fields at the top level or under "text_config" (newer
 * transformers); text_config wins. The vision tower's config is dropped: text-to-image never
 * runs it.
 */
export function mergeTextConfig(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const { text_config, vision_config: _vision, ...top } = raw as Record<string, unknown>;
  const text = text_config && typeof text_config === 'object' && !Array.isArray(text_config) ? text_config : {};
  return { ...top, ...text };
}

/** The text encoder config from a raw config.json (either layout). */
export const TextEncoderConfigFile = z.preprocess(mergeTextConfig, TextEncoderConfig);

export function parseTextEncoderConfig(raw: unknown): TextEncoderConfig {
  return TextEncoderConfigFile.parse(raw);
}

export const VaeConfig = z.looseObject({
  base_dim: posInt.default(96),
  z_dim: posInt.default(16),
  dim_mult: z.array(posInt).min(2).default([1, 2, 4, 4]),
  num_res_blocks: posInt.default(2),
  attn_scales: z.array(z.number()).default([]),
  temperal_downsample: z.array(z.boolean()).default([false, true, true]),
  latents_mean: z.array(z.number()),
  latents_std: z.array(z.number().positive()),
});
export type VaeConfig = z.infer<typeof VaeConfig>;

export const SchedulerConfig = z.looseObject({
  base_image_seq_len: posInt.default(256),
  base_shift: z.number().default(0.5),
  max_image_seq_len: posInt.default(8192),
  max_shift: z.number().default(0.9),
  num_train_timesteps: posInt.default(1000),
  shift: z.number().default(1),
  shift_terminal: z.number().nullable().default(0.02),
  use_dynamic_shifting: z.boolean().default(true),
  time_shift_type: z.enum(['exponential', 'linear']).default('exponential'),
});
export type SchedulerConfig = z.infer<typeof SchedulerConfig>;

export type ComponentName = 'transformer' | 'text_encoder' | 'vae';

export interface ModelConfigs {
  transformer: TransformerConfig;
  text_encoder: TextEncoderConfig;
  vae: VaeConfig;
}

/**
 * Checks that the three configs describe one model that can run. Each problem names the config
 * file and the fields involved; an empty list means consistent.
 */
export function configProblems(c: ModelConfigs): string[] {
  const p: string[] = [];
  const t = c.transformer;
  const te = c.text_encoder;
  const v = c.vae;
  const axes = t.axes_dims_rope.reduce((a, b) => a + b, 0);
  if (axes !== t.attention_head_dim)
    p.push(
      `transformer/config.json: axes_dims_rope [${t.axes_dims_rope.join(', ')}] must add up to attention_head_dim ${t.attention_head_dim}.`,
    );
  if (t.axes_dims_rope.some((d) => d % 2 !== 0)) p.push(`transformer/config.json: every axes_dims_rope entry must be even.`);
  if (t.joint_attention_dim !== te.hidden_size)
    p.push(
      `transformer/config.json: joint_attention_dim ${t.joint_attention_dim} differs from the text encoder's hidden_size ${te.hidden_size}.`,
    );
  if (t.out_channels !== v.z_dim)
    p.push(`transformer/config.json: out_channels ${t.out_channels} differs from the VAE's z_dim ${v.z_dim}.`);
  if (t.in_channels !== t.out_channels * t.patch_size * t.patch_size)
    p.push(
      `transformer/config.json: in_channels ${t.in_channels} should be out_channels × patch_size² = ${t.out_channels * t.patch_size * t.patch_size}.`,
    );
  if (te.hidden_size % te.num_attention_heads !== 0)
    p.push(`text_encoder/config.json: hidden_size ${te.hidden_size} is not divisible by num_attention_heads ${te.num_attention_heads}.`);
  if (te.num_attention_heads % te.num_key_value_heads !== 0)
    p.push(
      `text_encoder/config.json: num_attention_heads ${te.num_attention_heads} is not a multiple of num_key_value_heads ${te.num_key_value_heads}.`,
    );
  if (v.latents_mean.length !== v.z_dim || v.latents_std.length !== v.z_dim)
    p.push(
      `vae/config.json: latents_mean and latents_std need z_dim = ${v.z_dim} numbers each (have ${v.latents_mean.length} and ${v.latents_std.length}).`,
    );
  if (v.temperal_downsample.length !== v.dim_mult.length - 1)
    p.push(`vae/config.json: temperal_downsample needs ${v.dim_mult.length - 1} entries (one fewer than dim_mult).`);
  return p;
}

/** The tensors text-to-image needs from each component, with their shapes. */
export function expectedTensors(component: 'transformer', c: TransformerConfig): { name: string; shape: number[] }[];
export function expectedTensors(component: 'text_encoder', c: TextEncoderConfig, prefix?: string): { name: string; shape: number[] }[];
export function expectedTensors(component: 'vae', c: VaeConfig): { name: string; shape: number[] }[];
export function expectedTensors(
  component: ComponentName,
  c: TransformerConfig | TextEncoderConfig | VaeConfig,
  prefix = 'model.',
): { name: string; shape: number[] }[] {
  const out: { name: string; shape: number[] }[] = [];
  const lin = (name: string, o: number, i: number, bias = true): void => {
    out.push({ name: `${name}.weight`, shape: [o, i] });
    if (bias) out.push({ name: `${name}.bias`, shape: [o] });
  };
  if (component === 'transformer') {
    const t = c as TransformerConfig;
    const D = t.num_attention_heads * t.attention_head_dim;
    lin('img_in', D, t.in_channels);
    out.push({ name: 'txt_norm.weight', shape: [t.joint_attention_dim] });
    lin('txt_in', D, t.joint_attention_dim);
    lin('time_text_embed.timestep_embedder.linear_1', D, 256);
    lin('time_text_embed.timestep_embedder.linear_2', D, D);
    for (let i = 0; i < t.num_layers; i++) {
      const p = `transformer_blocks.${i}`;
      lin(`${p}.img_mod.1`, 6 * D, D);
      lin(`${p}.txt_mod.1`, 6 * D, D);
      for (const m of ['to_q', 'to_k', 'to_v', 'add_q_proj', 'add_k_proj', 'add_v_proj', 'to_out.0', 'to_add_out'])
        lin(`${p}.attn.${m}`, D, D);
      for (const m of ['norm_q', 'norm_k', 'norm_added_q', 'norm_added_k'])
        out.push({ name: `${p}.attn.${m}.weight`, shape: [t.attention_head_dim] });
      for (const m of ['img_mlp', 'txt_mlp']) {
        lin(`${p}.${m}.net.0.proj`, 4 * D, D);
        lin(`${p}.${m}.net.2`, D, 4 * D);
      }
    }
    lin('norm_out.linear', 2 * D, D);
    lin('proj_out', t.patch_size * t.patch_size * t.out_channels, D);
  } else if (component === 'text_encoder') {
    const t = c as TextEncoderConfig;
    const H = t.hidden_size;
    const hd = H / t.num_attention_heads;
    out.push({ name: `${prefix}embed_tokens.weight`, shape: [t.vocab_size, H] });
    for (let i = 0; i < t.num_hidden_layers; i++) {
      const p = `${prefix}layers.${i}`;
      out.push({ name: `${p}.input_layernorm.weight`, shape: [H] }, { name: `${p}.post_attention_layernorm.weight`, shape: [H] });
      lin(`${p}.self_attn.q_proj`, t.num_attention_heads * hd, H);
      lin(`${p}.self_attn.k_proj`, t.num_key_value_heads * hd, H);
      lin(`${p}.self_attn.v_proj`, t.num_key_value_heads * hd, H);
      lin(`${p}.self_attn.o_proj`, H, t.num_attention_heads * hd, false);
      lin(`${p}.mlp.gate_proj`, t.intermediate_size, H, false);
      lin(`${p}.mlp.up_proj`, t.intermediate_size, H, false);
      lin(`${p}.mlp.down_proj`, H, t.intermediate_size, false);
    }
    out.push({ name: `${prefix}norm.weight`, shape: [H] });
  } else {
    out.push(...vaeDecoderTensors(c as VaeConfig));
  }
  return out;
}

/**
 * The VAE tensors text-to-image needs: post_quant_conv and the whole decoder of diffusers'
 * AutoencoderKLQwenImage. CausalConv3d weights are [out, in, kt, kh, kw]; RMS_norm gammas are
 * [C, 1, 1, 1] (video) or [C, 1, 1] (the attention block's image norm).
 */
export function vaeDecoderTensors(v: VaeConfig): { name: string; shape: number[] }[] {
  const out: { name: string; shape: number[] }[] = [];
  const conv = (name: string, o: number, i: number, kernel: number[]): void => {
    out.push({ name: `${name}.weight`, shape: [o, i, ...kernel] }, { name: `${name}.bias`, shape: [o] });
  };
  const res = (p: string, i: number, o: number): void => {
    out.push({ name: `${p}.norm1.gamma`, shape: [i, 1, 1, 1] });
    conv(`${p}.conv1`, o, i, [3, 3, 3]);
    out.push({ name: `${p}.norm2.gamma`, shape: [o, 1, 1, 1] });
    conv(`${p}.conv2`, o, o, [3, 3, 3]);
    if (i !== o) conv(`${p}.conv_shortcut`, o, i, [1, 1, 1]);
  };
  const mult = v.dim_mult;
  const stages = mult.length;
  // Decoder widths: the deepest width first, then the multipliers from deep to shallow.
  const dims = [mult[stages - 1] as number, ...[...mult].reverse()].map((u) => u * v.base_dim);
  const temperalUpsample = [...v.temperal_downsample].reverse();
  const d0 = dims[0] as number;
  conv('post_quant_conv', v.z_dim, v.z_dim, [1, 1, 1]);
  conv('decoder.conv_in', d0, v.z_dim, [3, 3, 3]);
  res('decoder.mid_block.resnets.0', d0, d0);
  out.push({ name: 'decoder.mid_block.attentions.0.norm.gamma', shape: [d0, 1, 1] });
  conv('decoder.mid_block.attentions.0.to_qkv', 3 * d0, d0, [1, 1]);
  conv('decoder.mid_block.attentions.0.proj', d0, d0, [1, 1]);
  res('decoder.mid_block.resnets.1', d0, d0);
  for (let i = 0; i < stages; i++) {
    // After an upsampler the width is halved, so later stages start from dims[i] / 2.
    let inDim = i > 0 ? Math.floor((dims[i] as number) / 2) : (dims[i] as number);
    const outDim = dims[i + 1] as number;
    for (let j = 0; j <= v.num_res_blocks; j++) {
      res(`decoder.up_blocks.${i}.resnets.${j}`, inDim, outDim);
      inDim = outDim;
    }
    if (i === stages - 1) continue;
    const p = `decoder.up_blocks.${i}.upsamplers.0`;
    conv(`${p}.resample.1`, Math.floor(outDim / 2), outDim, [3, 3]);
    // upsample3d also has a temporal conv; a single frame never uses it, but real checkpoints carry it.
    if (temperalUpsample[i]) conv(`${p}.time_conv`, outDim * 2, outDim, [3, 1, 1]);
  }
  const last = dims[stages] as number;
  out.push({ name: 'decoder.norm_out.gamma', shape: [last, 1, 1, 1] });
  conv('decoder.conv_out', 3, last, [3, 3, 3]);
  return out;
}
