/**
 * ONNX graph of the Qwen2.5-VL language model as Qwen-Image uses it: text only, prefill, last
 * hidden state after the final RMSNorm. With text-only positions the multimodal RoPE reduces to
 * ordinary 1-D RoPE (rotate-half layout), computed outside the graph. The token embedding lookup
 * happens outside too (only the prompt's rows are read from the weights).
 *   layers_a_b  inputs_embeds [1,T,H], rope_cos/rope_sin [T,hd], attn_bias [1,1,T,T]
 *               -> hidden [1,T,H] (after the final norm when the group ends the stack)
 */
import { GraphBuilder, type LinearSpec } from '../onnx/graph.js';
import { load, loadLinear, type WeightSource } from './weights.js';

export interface TextEncoderShape {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  rms_norm_eps: number;
  rope_theta: number;
}

/** The weight-name prefix of the language model ("model." or "model.language_model."). */
export function textPrefix(src: WeightSource): string {
  if (src.shape('model.embed_tokens.weight')) return 'model.';
  if (src.shape('model.language_model.embed_tokens.weight')) return 'model.language_model.';
  throw new Error('text encoder weights have no model.embed_tokens.weight');
}

function rotateHalf(g: GraphBuilder, x: string, hd: number): string {
  const x1 = g.slice(x, -1, 0, hd / 2);
  const x2 = g.slice(x, -1, hd / 2, hd);
  return g.op('Concat', [g.op('Neg', [x2]), x1], { axis: -1 });
}

export async function buildTextLayersGraph(
  c: TextEncoderShape,
  src: WeightSource,
  first: number,
  end: number,
  precision: LinearSpec = 'fp32',
): Promise<GraphBuilder> {
  const Hd = c.hidden_size;
  const nh = c.num_attention_heads;
  const nkv = c.num_key_value_heads;
  const hd = Hd / nh;
  const rep = nh / nkv;
  const pre = textPrefix(src);
  const g = new GraphBuilder(`qwen2_layers_${first}_${end}`);
  g.setLinear(precision);
  let x = g.input('inputs_embeds', [1, 't', Hd]);
  const cos = g.reshape(g.input('rope_cos', ['t', hd]), [-1, 1, hd]);
  const sin = g.reshape(g.input('rope_sin', ['t', hd]), [-1, 1, hd]);
  const bias = g.input('attn_bias', [1, 1, 't', 't']);
  const ropeOf = (t: string): string => g.add(g.mul(t, cos), g.mul(rotateHalf(g, t, hd), sin));
  for (let i = first; i < end; i++) {
    const p = `${pre}layers.${i}`;
    const h = g.rmsNorm(x, `${p}.input_layernorm`, await load(src, `${p}.input_layernorm.weight`, [Hd]), c.rms_norm_eps);
    const qp = await loadLinear(src, `${p}.self_attn.q_proj`, nh * hd, Hd);
    const kp = await loadLinear(src, `${p}.self_attn.k_proj`, nkv * hd, Hd);
    const vp = await loadLinear(src, `${p}.self_attn.v_proj`, nkv * hd, Hd);
    const q = ropeOf(g.reshape(g.linear(h, `${p}.q`, qp.w, qp.b), [0, 0, nh, hd]));
    const k = ropeOf(g.reshape(g.linear(h, `${p}.k`, kp.w, kp.b), [0, 0, nkv, hd]));
    const v = g.reshape(g.linear(h, `${p}.v`, vp.w, vp.b), [0, 0, nkv, hd]);
    const repeat = (t: string): string => {
      // [1,T,nkv,hd] -> [1,nkv,T,hd] -> [1,nkv,rep,T,hd] -> [1,nh,T,hd]; the final transpose
      // (for keys) is applied by the caller.
      const th = g.transpose(t, [0, 2, 1, 3]);
      if (rep === 1) return th;
      const shape = g.op('Concat', [g.ints([1, nkv, rep]), g.op('Shape', [th], { start: 2, end: 4 })], { axis: 0 });
      const ex = g.op('Expand', [g.op('Unsqueeze', [th, g.ints([2])]), shape]);
      return g.reshape(ex, [1, nh, -1, hd]);
    };
    const qh = g.transpose(q, [0, 2, 1, 3]);
    const kh = g.transpose(repeat(k), [0, 1, 3, 2]);
    const vh = repeat(v);
    const scores = g.add(g.mul(g.op('MatMul', [qh, kh]), g.scalar(1 / Math.sqrt(hd))), bias);
    const attn = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), vh]);
    const merged = g.reshape(g.transpose(attn, [0, 2, 1, 3]), [0, 0, nh * hd]);
    const op = await loadLinear(src, `${p}.self_attn.o_proj`, Hd, nh * hd);
    x = g.add(x, g.linear(merged, `${p}.o`, op.w, op.b));
    const h2 = g.rmsNorm(x, `${p}.post_attention_layernorm`, await load(src, `${p}.post_attention_layernorm.weight`, [Hd]), c.rms_norm_eps);
    const gate = await loadLinear(src, `${p}.mlp.gate_proj`, c.intermediate_size, Hd);
    const up = await loadLinear(src, `${p}.mlp.up_proj`, c.intermediate_size, Hd);
    const down = await loadLinear(src, `${p}.mlp.down_proj`, Hd, c.intermediate_size);
    const act = g.mul(g.silu(g.linear(h2, `${p}.gate`, gate.w, gate.b)), g.linear(h2, `${p}.up`, up.w, up.b));
    x = g.add(x, g.linear(act, `${p}.down`, down.w, down.b));
  }
  if (end === c.num_hidden_layers) x = g.rmsNorm(x, `${pre}norm`, await load(src, `${pre}norm.weight`, [Hd]), c.rms_norm_eps);
  g.output(x, 'hidden', [1, 't', Hd]);
  return g;
}
