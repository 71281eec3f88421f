/**
 * ONNX graph of the Qwen-Image (Wan-2.1-style) VAE encoder for a single frame, returning the
 * posterior mean (no sampling):
 *   image [1,3,H,W] in [-1, 1] -> latent mean [1,z,H/8,W/8] (not yet normalised)
 * As in the decoder (graphs/vae.ts), causal 3-D convolutions over one frame reduce to 2-D ones
 * with the last temporal tap, and the temporal downsampling convs never act on the first frame,
 * so only their spatial part (zero pad right/bottom, 3x3 stride 2) is built.
 */
import type { GraphBuilder } from '../onnx/graph.js';
import { VaeBuilder, type VaeShape } from './vae.js';
import { load, type WeightSource } from './weights.js';

export interface VaeEncoderShape extends VaeShape {
  attn_scales?: number[];
}

/** True when the VAE weights include an encoder (some published checkpoints are decoder-only). */
export function hasVaeEncoder(src: WeightSource): boolean {
  return src.shape('encoder.conv_in.weight') !== undefined && src.shape('quant_conv.weight') !== undefined;
}

async function downsample(b: VaeBuilder, x: string, prefix: string): Promise<string> {
  const w = await load(b.src, `${prefix}.weight`);
  const bias = await load(b.src, `${prefix}.bias`);
  return b.g.op('Conv', [x, b.g.weight(`${prefix}.weight`, w), b.g.weight(`${prefix}.bias`, bias)], {
    kernel_shape: [3, 3],
    strides: [2, 2],
    pads: [0, 0, 1, 1],
  });
}

export async function buildVaeEncoderGraph(c: VaeEncoderShape, src: WeightSource): Promise<GraphBuilder> {
  if (!hasVaeEncoder(src))
    throw new Error('This model has no VAE encoder weights, so it cannot encode an image (region regeneration needs them).');
  const b = new VaeBuilder(src, 'qwen_vae_encoder');
  const g = b.g;
  let x = g.input('image', [1, 3, 'H', 'W']);
  x = await b.conv(x, 'encoder.conv_in');
  const stages = c.dim_mult.length;
  const attnScales = c.attn_scales ?? [];
  let scale = 1;
  let index = 0;
  for (let i = 0; i < stages; i++) {
    for (let j = 0; j < c.num_res_blocks; j++) {
      x = await b.resnet(x, `encoder.down_blocks.${index++}`);
      if (attnScales.includes(scale)) x = await b.attention(x, `encoder.down_blocks.${index++}`);
    }
    if (i !== stages - 1) {
      x = await downsample(b, x, `encoder.down_blocks.${index++}.resample.1`);
      scale /= 2;
    }
  }
  x = await b.resnet(x, 'encoder.mid_block.resnets.0');
  x = await b.attention(x, 'encoder.mid_block.attentions.0');
  x = await b.resnet(x, 'encoder.mid_block.resnets.1');
  x = g.silu(await b.rmsNorm(x, 'encoder.norm_out'));
  x = await b.conv(x, 'encoder.conv_out');
  x = await b.conv(x, 'quant_conv');
  g.output(g.slice(x, 1, 0, c.z_dim), 'latent_mean', [1, c.z_dim, 'h', 'w']);
  return g;
}
