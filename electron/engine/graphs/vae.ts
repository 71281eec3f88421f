/**
 * ONNX graph of the Qwen-Image (Wan-2.1-style) VAE decoder for a single frame:
 *   latents [1,z,h,w] (already de-normalised) -> image [1,3,8h,8w] in [-1, 1]
 * A causal 3-D convolution over one frame sees only zero padding before it, so it equals a 2-D
 * convolution with the last temporal slice of its kernel; the time upsampling of the first frame
 * is skipped by the reference, so single-frame decoding is a 2-D network.
 */
import { GraphBuilder, type Weight } from '../onnx/graph.js';
import { load, type WeightSource } from './weights.js';

export interface VaeShape {
  base_dim: number;
  z_dim: number;
  dim_mult: number[];
  num_res_blocks: number;
  temperal_downsample: boolean[];
}

/** [o,i,kt,kh,kw] -> [o,i,kh,kw] keeping the last temporal tap; 4-D weights pass through. */
export function lastTimeTap(w: Weight): Weight {
  if (w.dims.length === 4) return w;
  const [o, i, kt, kh, kw] = w.dims as [number, number, number, number, number];
  const out = new Float32Array(o * i * kh * kw);
  const plane = kh * kw;
  for (let a = 0; a < o * i; a++) {
    out.set(w.data.subarray((a * kt + kt - 1) * plane, (a * kt + kt) * plane), a * plane);
  }
  return { dims: [o, i, kh, kw], data: out };
}

/** The VAE's layers as graph pieces, shared by the decoder and the encoder (graphs/vae-encoder.ts). */
export class VaeBuilder {
  readonly g: GraphBuilder;
  constructor(
    readonly src: WeightSource,
    name = 'qwen_vae_decoder',
  ) {
    this.g = new GraphBuilder(name);
  }

  async conv(x: string, prefix: string): Promise<string> {
    const w = lastTimeTap(await load(this.src, `${prefix}.weight`));
    const b = await load(this.src, `${prefix}.bias`);
    const k = w.dims[2] as number;
    const pad = (k - 1) / 2;
    return this.g.op('Conv', [x, this.g.weight(`${prefix}.weight`, w), this.g.weight(`${prefix}.bias`, b)], {
      kernel_shape: [k, k],
      pads: [pad, pad, pad, pad],
    });
  }

  /** F.normalize over channels * sqrt(C) * gamma (+ bias). */
  async rmsNorm(x: string, prefix: string): Promise<string> {
    const gamma = await load(this.src, `${prefix}.gamma`);
    const c = gamma.dims[0] as number;
    const g = this.g;
    const norm = g.op('Max', [g.op('ReduceL2', [x], { axes: [1], keepdims: 1 }), g.scalar(1e-12)]);
    const scaled = g.mul(g.op('Div', [x, norm]), g.scalar(Math.sqrt(c)));
    let y = g.mul(scaled, g.weight(`${prefix}.gamma`, { dims: [c, 1, 1], data: gamma.data }));
    if (this.src.shape(`${prefix}.bias`)) {
      const bias = await load(this.src, `${prefix}.bias`);
      y = g.add(y, g.weight(`${prefix}.bias`, { dims: [c, 1, 1], data: bias.data }));
    }
    return y;
  }

  async resnet(x: string, prefix: string): Promise<string> {
    const g = this.g;
    const shortcut = this.src.shape(`${prefix}.conv_shortcut.weight`) ? await this.conv(x, `${prefix}.conv_shortcut`) : x;
    let h = g.silu(await this.rmsNorm(x, `${prefix}.norm1`));
    h = await this.conv(h, `${prefix}.conv1`);
    h = g.silu(await this.rmsNorm(h, `${prefix}.norm2`));
    h = await this.conv(h, `${prefix}.conv2`);
    return g.add(h, shortcut);
  }

  async attention(x: string, prefix: string): Promise<string> {
    const g = this.g;
    const c = (this.src.shape(`${prefix}.proj.weight`) as number[])[0] as number;
    const n = await this.rmsNorm(x, `${prefix}.norm`);
    const qkv = await this.conv(n, `${prefix}.to_qkv`);
    const seq = g.transpose(g.reshape(qkv, [0, 3 * c, -1]), [0, 2, 1]);
    const [q, k, v] = g.opMulti('Split', [seq, g.ints([c, c, c])], 3, { axis: -1 }) as [string, string, string];
    const scores = g.mul(g.op('MatMul', [q, g.transpose(k, [0, 2, 1])]), g.scalar(1 / Math.sqrt(c)));
    const out = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
    const img = g.op('Reshape', [g.transpose(out, [0, 2, 1]), g.op('Shape', [x])]);
    return g.add(await this.conv(img, `${prefix}.proj`), x);
  }

  upsample(x: string): string {
    return this.g.op('Resize', [x, '', this.g.floats([1, 1, 2, 2])], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    });
  }
}

export async function buildVaeDecoderGraph(c: VaeShape, src: WeightSource): Promise<GraphBuilder> {
  const b = new VaeBuilder(src);
  const g = b.g;
  let x = g.input('latents', [1, c.z_dim, 'h', 'w']);
  x = await b.conv(x, 'post_quant_conv');
  x = await b.conv(x, 'decoder.conv_in');
  x = await b.resnet(x, 'decoder.mid_block.resnets.0');
  x = await b.attention(x, 'decoder.mid_block.attentions.0');
  x = await b.resnet(x, 'decoder.mid_block.resnets.1');
  const stages = c.dim_mult.length;
  for (let i = 0; i < stages; i++) {
    for (let j = 0; j <= c.num_res_blocks; j++) x = await b.resnet(x, `decoder.up_blocks.${i}.resnets.${j}`);
    if (i !== stages - 1) x = await b.conv(b.upsample(x), `decoder.up_blocks.${i}.upsamplers.0.resample.1`);
  }
  x = g.silu(await b.rmsNorm(x, 'decoder.norm_out'));
  x = await b.conv(x, 'decoder.conv_out');
  g.output(g.op('Clip', [x, g.scalar(-1), g.scalar(1)]), 'image', [1, 3, 'H', 'W']);
  return g;
}
