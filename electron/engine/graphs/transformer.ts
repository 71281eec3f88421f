/**
 * ONNX graphs of the Qwen-Image MMDiT, in parts the pipeline and a later offloading planner can
 * place independently:
 *   time      tproj [N,256]            -> temb [N,D], temb_silu [N,D], out_mod [N,2D]
 *   mod_a_b   temb_silu [N,D]          -> mods [N,k,12D]   (AdaLN vectors of blocks a..b-1)
 *   txt_in    encoder_hidden_states    -> txt [1,T,D]      (RMSNorm + Linear, once a prompt)
 *   img_in    hidden_states [1,L,Cin]  -> img [1,L,D]
 *   blocks_a_b img, txt, mods [k,12D], rope_cos/rope_sin [T+L, hd/2], attn_bias [1,1,1,T+L]
 *                                       -> img, txt
 *   head      img, out_mod [1,2D]      -> sample [1,L,p*p*out]
 * The modulation vectors depend on the timestep only, so they are computed for every step of a
 * job at once (one batched matmul per group) and the blocks never hold those weights.
 */
import { GraphBuilder, type LinearSpec } from '../onnx/graph.js';
import { load, loadLinear, type WeightSource } from './weights.js';

export interface TransformerShape {
  patch_size: number;
  in_channels: number;
  out_channels: number;
  num_layers: number;
  attention_head_dim: number;
  num_attention_heads: number;
  joint_attention_dim: number;
  axes_dims_rope: number[];
}

const EPS = 1e-6;

export function innerDim(c: TransformerShape): number {
  return c.num_attention_heads * c.attention_head_dim;
}

export async function buildTimeGraph(c: TransformerShape, src: WeightSource): Promise<GraphBuilder> {
  const D = innerDim(c);
  const g = new GraphBuilder('qwen_time');
  const x = g.input('tproj', ['n', 256]);
  const l1 = await loadLinear(src, 'time_text_embed.timestep_embedder.linear_1', D, 256);
  const l2 = await loadLinear(src, 'time_text_embed.timestep_embedder.linear_2', D, D);
  const h = g.silu(g.linear(x, 'linear_1', l1.w, l1.b));
  const temb = g.linear(h, 'linear_2', l2.w, l2.b);
  const s = g.silu(temb);
  const no = await loadLinear(src, 'norm_out.linear', 2 * D, D);
  g.output(temb, 'temb', ['n', D]);
  g.output(s, 'temb_silu', ['n', D]);
  g.output(g.linear(s, 'norm_out', no.w, no.b), 'out_mod', ['n', 2 * D]);
  return g;
}

export async function buildModGraph(
  c: TransformerShape,
  src: WeightSource,
  first: number,
  end: number,
  precision: LinearSpec = 'fp32',
): Promise<GraphBuilder> {
  const D = innerDim(c);
  const g = new GraphBuilder(`qwen_mod_${first}_${end}`);
  g.setLinear(precision);
  const s = g.input('temb_silu', ['n', D]);
  const rows: string[] = [];
  for (let i = first; i < end; i++) {
    const p = `transformer_blocks.${i}`;
    const im = await loadLinear(src, `${p}.img_mod.1`, 6 * D, D);
    const tm = await loadLinear(src, `${p}.txt_mod.1`, 6 * D, D);
    const both = g.op('Concat', [g.linear(s, `${p}.img_mod`, im.w, im.b), g.linear(s, `${p}.txt_mod`, tm.w, tm.b)], { axis: -1 });
    rows.push(g.op('Unsqueeze', [both, g.ints([1])]));
  }
  const mods = rows.length === 1 ? (rows[0] as string) : g.op('Concat', rows, { axis: 1 });
  g.output(mods, 'mods', ['n', end - first, 12 * D]);
  return g;
}

export async function buildTxtInGraph(c: TransformerShape, src: WeightSource): Promise<GraphBuilder> {
  const D = innerDim(c);
  const J = c.joint_attention_dim;
  const g = new GraphBuilder('qwen_txt_in');
  const x = g.input('encoder_hidden_states', [1, 't', J]);
  const n = g.rmsNorm(x, 'txt_norm', await load(src, 'txt_norm.weight', [J]), EPS);
  const l = await loadLinear(src, 'txt_in', D, J);
  g.output(g.linear(n, 'txt_in', l.w, l.b), 'txt', [1, 't', D]);
  return g;
}

export async function buildImgInGraph(c: TransformerShape, src: WeightSource): Promise<GraphBuilder> {
  const D = innerDim(c);
  const g = new GraphBuilder('qwen_img_in');
  const x = g.input('hidden_states', [1, 'l', c.in_channels]);
  const l = await loadLinear(src, 'img_in', D, c.in_channels);
  g.output(g.linear(x, 'img_in', l.w, l.b), 'img', [1, 'l', D]);
  return g;
}

export async function buildHeadGraph(c: TransformerShape, src: WeightSource): Promise<GraphBuilder> {
  const D = innerDim(c);
  const outDim = c.patch_size * c.patch_size * c.out_channels;
  const g = new GraphBuilder('qwen_head');
  const img = g.input('img', [1, 'l', D]);
  const mod = g.input('out_mod', [1, 2 * D]);
  // AdaLayerNormContinuous: the projection is chunked into scale, then shift.
  const scale = g.slice(mod, 1, 0, D);
  const shift = g.slice(mod, 1, D, 2 * D);
  const n = g.layerNorm(img, D, EPS);
  const x = g.add(g.mul(n, g.add(scale, g.scalar(1))), shift);
  const l = await loadLinear(src, 'proj_out', outDim, D);
  g.output(g.linear(x, 'proj_out', l.w, l.b), 'sample', [1, 'l', outDim]);
  return g;
}

/** Rotates adjacent pairs (2k, 2k+1) of x [1,S,H,hd] by the angles whose cos/sin are [S,1,hd/2,1]. */
function rope(g: GraphBuilder, x: string, cos: string, sin: string): string {
  const pairs = g.reshape(x, [0, 0, 0, -1, 2]);
  const [re, im] = g.opMulti('Split', [pairs, g.ints([1, 1])], 2, { axis: -1 }) as [string, string];
  const outRe = g.sub(g.mul(re, cos), g.mul(im, sin));
  const outIm = g.add(g.mul(re, sin), g.mul(im, cos));
  return g.reshape(g.op('Concat', [outRe, outIm], { axis: -1 }), [0, 0, 0, -1]);
}

async function addBlock(
  g: GraphBuilder,
  c: TransformerShape,
  src: WeightSource,
  index: number,
  img: string,
  txt: string,
  mod: string,
  cos: string,
  sin: string,
  bias: string,
): Promise<[string, string]> {
  const D = innerDim(c);
  const H = c.num_attention_heads;
  const hd = c.attention_head_dim;
  const p = `transformer_blocks.${index}`;
  const part = (stream: 0 | 1, half: 0 | 1, which: 0 | 1 | 2): string => {
    const start = stream * 6 * D + half * 3 * D + which * D;
    return g.slice(mod, 1, start, start + D);
  };
  const modulate = (x: string, stream: 0 | 1, half: 0 | 1): string =>
    g.add(g.mul(g.layerNorm(x, D, EPS), g.add(part(stream, half, 1), g.scalar(1))), part(stream, half, 0));

  const imgM = modulate(img, 0, 0);
  const txtM = modulate(txt, 1, 0);
  const proj = async (x: string, name: string, norm?: string): Promise<string> => {
    const l = await loadLinear(src, `${p}.attn.${name}`, D, D);
    const y = g.reshape(g.linear(x, `${p}.attn.${name}`, l.w, l.b), [0, 0, H, hd]);
    return norm ? g.rmsNorm(y, `${p}.attn.${norm}`, await load(src, `${p}.attn.${norm}.weight`, [hd]), EPS) : y;
  };
  const q = g.op('Concat', [await proj(txtM, 'add_q_proj', 'norm_added_q'), await proj(imgM, 'to_q', 'norm_q')], { axis: 1 });
  const k = g.op('Concat', [await proj(txtM, 'add_k_proj', 'norm_added_k'), await proj(imgM, 'to_k', 'norm_k')], { axis: 1 });
  const v = g.op('Concat', [await proj(txtM, 'add_v_proj'), await proj(imgM, 'to_v')], { axis: 1 });
  const qh = g.transpose(rope(g, q, cos, sin), [0, 2, 1, 3]);
  const kh = g.transpose(rope(g, k, cos, sin), [0, 2, 3, 1]);
  const vh = g.transpose(v, [0, 2, 1, 3]);
  const scores = g.add(g.mul(g.op('MatMul', [qh, kh]), g.scalar(1 / Math.sqrt(hd))), bias);
  const attn = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), vh]);
  const joint = g.reshape(g.transpose(attn, [0, 2, 1, 3]), [0, 0, D]);
  const tlen = g.op('Shape', [txt], { start: 1, end: 2 });
  const txtA = g.slice(joint, 1, 0, tlen);
  const imgA = g.slice(joint, 1, tlen, 2 ** 31 - 1);
  const out = await loadLinear(src, `${p}.attn.to_out.0`, D, D);
  const addOut = await loadLinear(src, `${p}.attn.to_add_out`, D, D);
  let img2 = g.add(img, g.mul(part(0, 0, 2), g.linear(imgA, `${p}.attn.to_out.0`, out.w, out.b)));
  let txt2 = g.add(txt, g.mul(part(1, 0, 2), g.linear(txtA, `${p}.attn.to_add_out`, addOut.w, addOut.b)));

  const mlp = async (x: string, name: string): Promise<string> => {
    const up = await loadLinear(src, `${p}.${name}.net.0.proj`, 4 * D, D);
    const down = await loadLinear(src, `${p}.${name}.net.2`, D, 4 * D);
    const hdn = g.geluTanh(g.linear(x, `${p}.${name}.net.0.proj`, up.w, up.b));
    return g.linear(hdn, `${p}.${name}.net.2`, down.w, down.b);
  };
  img2 = g.add(img2, g.mul(part(0, 1, 2), await mlp(modulate(img2, 0, 1), 'img_mlp')));
  txt2 = g.add(txt2, g.mul(part(1, 1, 2), await mlp(modulate(txt2, 1, 1), 'txt_mlp')));
  return [img2, txt2];
}

/** Blocks first..end-1 in one graph. */
export async function buildBlocksGraph(
  c: TransformerShape,
  src: WeightSource,
  first: number,
  end: number,
  precision: LinearSpec = 'fp32',
): Promise<GraphBuilder> {
  const D = innerDim(c);
  const half = c.attention_head_dim / 2;
  const g = new GraphBuilder(`qwen_blocks_${first}_${end}`);
  g.setLinear(precision);
  let img = g.input('img', [1, 'l', D]);
  let txt = g.input('txt', [1, 't', D]);
  const mods = g.input('mods', [end - first, 12 * D]);
  const cos = g.reshape(g.input('rope_cos', ['s', half]), [-1, 1, half, 1]);
  const sin = g.reshape(g.input('rope_sin', ['s', half]), [-1, 1, half, 1]);
  const bias = g.input('attn_bias', [1, 1, 1, 's']);
  for (let i = first; i < end; i++) {
    const mod = g.slice(mods, 0, i - first, i - first + 1);
    [img, txt] = await addBlock(g, c, src, i, img, txt, mod, cos, sin, bias);
  }
  g.output(img, 'img_out', [1, 'l', D]);
  g.output(txt, 'txt_out', [1, 't', D]);
  return g;
}
