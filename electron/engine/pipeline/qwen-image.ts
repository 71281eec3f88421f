/**
 * The Qwen-Image text-to-image pipeline on onnxruntime-node, in stages with small interfaces:
 * encode prompt -> seeded noise -> denoise loop (true CFG, flow-match Euler) -> VAE decode.
 */
import type * as ort from 'onnxruntime-node';
import { promptWithText } from '../../../core/paint-text.js';
import { buildTextLayersGraph, type TextEncoderShape, textPrefix } from '../graphs/text-encoder.js';
import {
  buildBlocksGraph,
  buildHeadGraph,
  buildImgInGraph,
  buildModGraph,
  buildTimeGraph,
  buildTxtInGraph,
  innerDim,
  type TransformerShape,
} from '../graphs/transformer.js';
import { buildVaeDecoderGraph, type VaeShape } from '../graphs/vae.js';
import type { WeightSource } from '../graphs/weights.js';
import type { GraphBuilder, Int4Options, LinearPrecision } from '../onnx/graph.js';
import { DEFAULT_INT4_BLOCK, INT4_BLOCK_SIZES, isInt4BlockSize } from '../onnx/quant.js';
import type { ModelSizeInput, Plan } from '../plan/index.js';
import { CancelledError, type GeneratedImage, type GenerateParams, type RunOptions } from '../types.js';
import { cacheKey, f32Tensor, GraphCache, run } from './graph-cache.js';
import { inpaint } from './inpaint.js';
import { enginePlan, type GraphPlacement, graphPlacements, type JobShape, jobShape, type OffloadOptions } from './offload.js';
import { fitPreview, type PreviewProjection, previewRgb } from './preview.js';
import { type ProviderName, providerOf } from './providers.js';
import { nativeSize, resizeRgb } from './resize.js';
import { Rng } from './rng.js';
import { eulerStep, type FlowSchedulerConfig, flowMatchSchedule } from './scheduler.js';
import { causalBias, packLatents, qwenImageRope, textRope, timestepProjection, trueCfg, unpackLatents } from './tensors.js';

export type Component = 'transformer' | 'text_encoder' | 'vae';

export interface ComponentWeights extends WeightSource {
  /** Rows of a 2-D tensor (the token embedding table), as float32. */
  readRows(name: string, rows: readonly number[]): Promise<Float32Array>;
  close(): Promise<void>;
}

/** What the pipeline needs from a model folder (see pipeline/model.ts for the adapter). */
export interface QwenImageModel {
  dir: string;
  name: string;
  transformer: TransformerShape;
  textEncoder: TextEncoderShape;
  vae: VaeShape & { latents_mean: number[]; latents_std: number[] };
  scheduler: FlowSchedulerConfig;
  prompt: { template: string; dropTokens: number; maxTokens: number };
  /** Generate at about this many pixels and upscale (small models trained at low resolution). */
  nativeMaxPixels?: number;
  /** The components' configs, for the offloading planner's unit sizes. */
  configs: Required<ModelSizeInput>;
  /** Content hashes of each component's files, for the graph cache key. */
  hashes: Record<Component, string>;
  openWeights(component: Component): Promise<ComponentWeights>;
  tokenize(text: string): Promise<number[]>;
}

/** Where weights live (pipeline/offload.ts): a plan, or a RAM budget to plan each job for. */
export interface PipelineOptions extends OffloadOptions {
  cacheDir: string;
  threads?: number;
  /** Weight-only precision of the transformer blocks, their modulation and the text encoder. */
  precision?: LinearPrecision;
  /** int4 only: weights per scale along K (16, 32, 64, 128; default 32). */
  int4BlockSize?: number;
  /** int4 only: a zero point per block (default) or a symmetric range (for measurements). */
  int4Asymmetric?: boolean;
  /** Execution providers in order of preference; default CPU. */
  providers?: readonly ProviderName[];
  /** Transformer blocks per graph; default: all blocks in one graph when they are small. */
  blockGroup?: number;
}

export interface PromptEmbedding {
  /** [T, joint_attention_dim] after the template's prefix tokens are dropped. */
  embeds: Float32Array;
  length: number;
}

/** AdaLN vectors for every step: per block group [N, k, 12D], and the output norm's [N, 2D]. */
export interface Modulation {
  mods: Float32Array[];
  outMod: Float32Array;
}

type Rope = { cos: Float32Array; sin: Float32Array };

/** One transformer pass of a denoising step (the conditional or the unconditional one). */
export interface Pass {
  txt: Float32Array;
  T: number;
  rope: Rope;
}

export class QwenImagePipeline {
  private readonly sessions = new Map<string, ort.InferenceSession>();
  private readonly weights = new Map<Component, ComponentWeights>();
  private readonly cache: GraphCache;
  private preview: PreviewProjection | undefined;
  readonly groups: [number, number][];
  /** int4 format of the quantised graphs. */
  readonly int4: Int4Options;
  /** The provider the transformer blocks last ran on. */
  provider: string | undefined;
  /** How the quantisable Linear weights are stored. */
  private readonly linearSpec: { precision: LinearPrecision; int4?: Int4Options };
  /** The plan of the current (or last) job; before any, every graph is resident. */
  activePlan: Plan | undefined;
  private placement = new Map<string, GraphPlacement>();
  /** Loads of streamed graphs so far, by session name (for tests and the plan's accounting). */
  readonly loads = new Map<string, number>();

  constructor(
    readonly model: QwenImageModel,
    private readonly opts: PipelineOptions,
  ) {
    const precision = opts.precision ?? 'fp32';
    const blockSize = opts.int4BlockSize ?? DEFAULT_INT4_BLOCK;
    if (!isInt4BlockSize(blockSize))
      throw new RangeError(`int4 block size must be one of ${INT4_BLOCK_SIZES.join(', ')}, got ${blockSize}`);
    this.int4 = { blockSize, asymmetric: opts.int4Asymmetric ?? true };
    const quant = precision === 'int4' ? this.int4 : undefined;
    this.linearSpec = { precision, int4: quant };
    const key = cacheKey({ hashes: model.hashes, precision, quant, group: opts.plan?.blockGroup ?? opts.blockGroup ?? 0 });
    this.cache = new GraphCache(`${opts.cacheDir}/${key}`);
    const n = model.transformer.num_layers;
    const D = innerDim(model.transformer);
    const perBlockBytes = 4 * 12 * D * D * 2;
    const group = opts.plan?.blockGroup ?? opts.blockGroup ?? (perBlockBytes * n < 512 * 2 ** 20 ? n : 1);
    this.groups = [];
    for (let a = 0; a < n; a += group) this.groups.push([a, Math.min(n, a + group)]);
  }

  private async source(component: Component): Promise<ComponentWeights> {
    let w = this.weights.get(component);
    if (!w) {
      w = await this.model.openWeights(component);
      this.weights.set(component, w);
    }
    return w;
  }

  /** A graph's session, built (or read from the cache) on first use. */
  async session(name: string, component: Component, build: (src: WeightSource) => Promise<GraphBuilder>): Promise<ort.InferenceSession> {
    const hit = this.sessions.get(name);
    if (hit) return hit;
    const s = await this.cache.session(name, async () => build(await this.source(component)), this.sessionOptions);
    this.sessions.set(name, s);
    return s;
  }

  /**
   * Every graph, resident or streamed, runs without onnxruntime's pre-packed MatMul weights: the
   * pre-packed and the on-the-fly GEMM round differently (measured: the 300 MB test model's
   * image changes), so a graph must run the same way wherever the plan puts it for the image
   * to be the same under any budget; and pre-packing holds a second copy of a graph's weights
   * while it opens (tests/engine/offload-memory.test.ts).
   *
   * int4 is the exception, the same for every graph of the job so placement still changes
   * nothing: unpacked, MatMulNBits widens its whole weight to float32 on every call, and those
   * freed temporaries stay in the process (glibc malloc keeps them); packed, it multiplies the
   * 4-bit blocks directly. Measured on the 300 MB test model at int4 with a 340 MiB budget:
   * peak 301-316 MiB unpacked, 227-234 MiB packed, and less CPU time (6.3 s -> 4.7 s).
   */
  private get sessionOptions(): { threads?: number; providers?: readonly ProviderName[]; prepack: boolean } {
    return { threads: this.opts.threads, providers: this.opts.providers, prepack: this.linearSpec.precision === 'int4' };
  }

  private placementOf(name: string): GraphPlacement {
    return this.placement.get(name) ?? 'resident';
  }

  /**
   * Runs fn on a graph's session: the resident one (opened once, kept), or for a streamed graph
   * one opened from the graph cache for this use and released after it.
   */
  private async withSession<T>(
    name: string,
    component: Component,
    build: (src: WeightSource) => Promise<GraphBuilder>,
    fn: (s: ort.InferenceSession) => Promise<T>,
  ): Promise<T> {
    if (this.placementOf(name) === 'resident') return fn(await this.session(name, component, build));
    const s = await this.cache.session(name, async () => build(await this.source(component)), this.sessionOptions);
    this.loads.set(name, (this.loads.get(name) ?? 0) + 1);
    try {
      return await fn(s);
    } finally {
      await s.release();
    }
  }

  /** Loads of streamed block groups so far (each is read once a step, however many CFG passes). */
  get streamLoads(): number {
    let n = 0;
    for (const [name, k] of this.loads) if (name.startsWith('blocks_')) n += k;
    return n;
  }

  // ---- stage 0: the plan ---------------------------------------------------------------------

  /** The plan a job of this shape runs: the one given, or one made from the RAM budget. */
  planJob(job: JobShape, ramBudgetBytes = this.opts.ramBudgetBytes): Plan {
    if (this.opts.plan) return this.opts.plan;
    return enginePlan(this.model.configs, {
      precision: this.linearSpec.precision,
      blockGroup: (this.groups[0]?.[1] ?? 1) - (this.groups[0]?.[0] ?? 0),
      ramBudgetBytes,
      prefetch: this.opts.prefetch,
      job,
    });
  }

  /** The plan for a job's parameters (prompts tokenized to count their tokens; nothing loaded). */
  async planFor(p: GenerateParams): Promise<Plan> {
    return this.planJob(await jobShape(this.model, p), p.ramBudgetBytes ?? this.opts.ramBudgetBytes);
  }

  /**
   * Places every graph as the plan says: resident sessions the plan now streams are released,
   * and streamed graphs are built into the cache first (a build reads that group's weights
   * once; later runs only open the cached file).
   */
  async applyPlan(plan: Plan): Promise<void> {
    const placement = graphPlacements(plan, this.groups, this.model.textEncoder.num_hidden_layers);
    for (const [name, s] of this.sessions) {
      if (placement.get(name) === 'stream') {
        await s.release();
        this.sessions.delete(name);
      }
    }
    const c = this.model.transformer;
    for (const [gi, [a, b]] of this.groups.entries()) {
      if (placement.get(this.blocksName(gi)) !== 'stream') continue;
      await this.cache.ensure(this.blocksName(gi), async () =>
        buildBlocksGraph(c, await this.source('transformer'), a, b, this.linearSpec),
      );
    }
    this.placement = placement;
    this.activePlan = plan;
  }

  // ---- stage 1: prompt ---------------------------------------------------------------------

  async encodePrompt(text: string): Promise<PromptEmbedding> {
    return (await this.encodePrompts([text]))[0] as PromptEmbedding;
  }

  /** Several prompts through one load of the text encoder (CFG's two prompts when it streams). */
  async encodePrompts(texts: readonly string[]): Promise<PromptEmbedding[]> {
    const lists = await Promise.all(texts.map((t) => this.model.tokenize(t)));
    const hidden = await this.encodeTokenLists(lists);
    const H = this.model.textEncoder.hidden_size;
    return lists.map((ids, i) => {
      const drop = Math.min(this.model.prompt.dropTokens, ids.length - 1);
      return { embeds: (hidden[i] as Float32Array).slice(drop * H), length: ids.length - drop };
    });
  }

  /** The text encoder's last hidden state [T, H] for token ids (no tokens dropped). */
  async encodeTokens(ids: readonly number[]): Promise<Float32Array> {
    return (await this.encodeTokenLists([ids]))[0] as Float32Array;
  }

  private async encodeTokenLists(lists: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const te = this.model.textEncoder;
    const src = await this.source('text_encoder');
    const hd = te.hidden_size / te.num_attention_heads;
    const build = (s: WeightSource) => buildTextLayersGraph(te, s, 0, te.num_hidden_layers, this.linearSpec);
    return this.withSession('text_encoder', 'text_encoder', build, async (layers) => {
      const out: Float32Array[] = [];
      for (const ids of lists) {
        const embeds = await src.readRows(`${textPrefix(src)}embed_tokens.weight`, ids);
        const rope = textRope(ids.length, hd, te.rope_theta);
        const T = ids.length;
        const r = await run(layers, {
          inputs_embeds: f32Tensor(embeds, [1, T, te.hidden_size]),
          rope_cos: f32Tensor(rope.cos, [T, hd]),
          rope_sin: f32Tensor(rope.sin, [T, hd]),
          attn_bias: f32Tensor(causalBias(new Array(T).fill(1)), [1, 1, T, T]),
        });
        out.push(r.hidden as Float32Array);
      }
      return out;
    });
  }

  // ---- stage 3: the transformer --------------------------------------------------------------

  /** Modulation vectors of every block for every timestep of the schedule. */
  async modulation(timesteps: Float32Array): Promise<Modulation> {
    const c = this.model.transformer;
    const D = innerDim(c);
    const N = timesteps.length;
    const tproj = timestepProjection(timesteps.map((t) => Math.fround(t / 1000)));
    const t = await this.withSession(
      'time',
      'transformer',
      (s) => buildTimeGraph(c, s),
      (time) => run(time, { tproj: f32Tensor(tproj, [N, 256]) }),
    );
    const mods: Float32Array[] = [];
    for (const [a, b] of this.groups) {
      const out = await this.withSession(
        `mod_${a}_${b}`,
        'transformer',
        (s) => buildModGraph(c, s, a, b, this.linearSpec),
        (mod) => run(mod, { temb_silu: f32Tensor(t.temb_silu as Float32Array, [N, D]) }),
      );
      mods.push(out.mods as Float32Array);
    }
    return { mods, outMod: t.out_mod as Float32Array };
  }

  async embedText(prompt: PromptEmbedding): Promise<Float32Array> {
    const c = this.model.transformer;
    const out = await this.withSession(
      'txt_in',
      'transformer',
      (src) => buildTxtInGraph(c, src),
      (s) => run(s, { encoder_hidden_states: f32Tensor(prompt.embeds, [1, prompt.length, c.joint_attention_dim]) }),
    );
    return out.txt as Float32Array;
  }

  async embedImage(tokens: Float32Array, L: number): Promise<Float32Array> {
    const c = this.model.transformer;
    const out = await this.withSession(
      'img_in',
      'transformer',
      (src) => buildImgInGraph(c, src),
      (s) => run(s, { hidden_states: f32Tensor(tokens, [1, L, c.in_channels]) }),
    );
    return out.img as Float32Array;
  }

  /**
   * One transformer pass from the embedded streams: the blocks (with this step's modulation)
   * and the output head. Returns the velocity [L, p*p*out].
   */
  /** One transformer pass from the embedded streams: the blocks and the output head. Returns the velocity [L, p*p*out]. */
  async blocksAndHead(
    img: Float32Array,
    txt: Float32Array,
    T: number,
    L: number,
    step: number,
    mod: Modulation,
    rope: Rope,
  ): Promise<Float32Array> {
    return (await this.denoiseStep(img, L, step, mod, [{ txt, T, rope }]))[0] as Float32Array;
  }

  /** blocksAndHead, also returning each block group's outputs (for parity checks). */
  async traceBlocks(
    img: Float32Array,
    txt: Float32Array,
    T: number,
    L: number,
    step: number,
    mod: Modulation,
    rope: Rope,
  ): Promise<{ sample: Float32Array; blocks: { img: Float32Array; txt: Float32Array }[] }> {
    const blocks: { img: Float32Array; txt: Float32Array }[] = [];
    const [sample] = await this.denoiseStep(img, L, step, mod, [{ txt, T, rope }], (_pass, x, y) => blocks.push({ img: x, txt: y }));
    return { sample: sample as Float32Array, blocks };
  }

  private blocksName(gi: number): string {
    const [a, b] = this.groups[gi] as [number, number];
    return `blocks_${a}_${b}`;
  }

  /**
   * The velocity of every pass for one step, group by group: each block group runs all passes
   * before the next group, so a streamed group is loaded once a step, however many passes.
   */
  async denoiseStep(
    img: Float32Array,
    L: number,
    step: number,
    mod: Modulation,
    passes: Pass[],
    onGroup?: (pass: number, img: Float32Array, txt: Float32Array) => void,
  ): Promise<Float32Array[]> {
    const c = this.model.transformer;
    const D = innerDim(c);
    const half = c.attention_head_dim / 2;
    const placement = this.groups.map((_g, gi) => this.placementOf(this.blocksName(gi)));
    const prefetchOn = this.activePlan?.prefetch ?? true;
    const state = passes.map(() => ({ x: img, y: undefined as Float32Array | undefined }));
    const open = (gi: number): Promise<ort.InferenceSession> => {
      const name = this.blocksName(gi);
      this.loads.set(name, (this.loads.get(name) ?? 0) + 1);
      return this.cache.open(name, this.sessionOptions);
    };
    const nextStreamed = (from: number): number => placement.findIndex((p, i) => i >= from && p === 'stream');
    let prefetch: { gi: number; session: Promise<ort.InferenceSession> } | undefined;
    for (const [gi, [a, b]] of this.groups.entries()) {
      const k = b - a;
      let session: ort.InferenceSession;
      if (placement[gi] === 'resident') {
        session = await this.session(this.blocksName(gi), 'transformer', (src) => buildBlocksGraph(c, src, a, b, this.linearSpec));
      } else {
        session = prefetch?.gi === gi ? await prefetch.session : await open(gi);
        prefetch = undefined;
      }
      this.provider = providerOf(session) ?? this.provider;
      // Load the next streamed group while this one computes (the plan's second buffer).
      const next = prefetchOn ? nextStreamed(gi + 1) : -1;
      if (next >= 0 && !prefetch) prefetch = { gi: next, session: open(next) };
      const rows = (mod.mods[gi] as Float32Array).slice(step * k * 12 * D, (step + 1) * k * 12 * D);
      for (const [pi, pass] of passes.entries()) {
        const st = state[pi] as { x: Float32Array; y: Float32Array | undefined };
        const S = pass.T + L;
        const out = await run(session, {
          img: f32Tensor(st.x, [1, L, D]),
          txt: f32Tensor(st.y ?? pass.txt, [1, pass.T, D]),
          mods: f32Tensor(rows, [k, 12 * D]),
          rope_cos: f32Tensor(pass.rope.cos, [S, half]),
          rope_sin: f32Tensor(pass.rope.sin, [S, half]),
          attn_bias: f32Tensor(new Float32Array(S), [1, 1, 1, S]),
        });
        st.x = out.img_out as Float32Array;
        st.y = out.txt_out as Float32Array;
        onGroup?.(pi, st.x, st.y);
      }
      if (placement[gi] === 'stream') await session.release();
    }
    if (prefetch) await (await prefetch.session).release();
    const outMod = mod.outMod.slice(step * 2 * D, (step + 1) * 2 * D);
    return this.withSession(
      'head',
      'transformer',
      (src) => buildHeadGraph(c, src),
      async (head) => {
        const result: Float32Array[] = [];
        for (const st of state) {
          const out = await run(head, { img: f32Tensor(st.x, [1, L, D]), out_mod: f32Tensor(outMod, [1, 2 * D]) });
          result.push(out.sample as Float32Array);
        }
        return result;
      },
    );
  }

  // ---- stage 4: decode -----------------------------------------------------------------------

  /** Normalised latents [C,h,w] -> decoder output [3, 8h, 8w] in [-1, 1]. */
  async decodeLatents(latents: Float32Array, h: number, w: number, normalised = true): Promise<Float32Array> {
    const v = this.model.vae;
    const C = v.z_dim;
    const z = new Float32Array(latents.length);
    for (let ch = 0; ch < C; ch++) {
      const std = Math.fround(1 / (v.latents_std[ch] as number));
      const mean = v.latents_mean[ch] as number;
      for (let k = ch * h * w; k < (ch + 1) * h * w; k++)
        z[k] = normalised ? Math.fround(Math.fround((latents[k] as number) / std) + mean) : (latents[k] as number);
    }
    const out = await this.withSession(
      'vae_decoder',
      'vae',
      (src) => buildVaeDecoderGraph(v, src),
      (s) => run(s, { latents: f32Tensor(z, [1, C, h, w]) }),
    );
    return out.image as Float32Array;
  }

  async previewProjection(): Promise<PreviewProjection> {
    if (!this.preview) this.preview = await fitPreview(this.model.vae.z_dim, (lat, h, w) => this.decodeLatents(lat, h, w));
    return this.preview;
  }

  // ---- the whole job -------------------------------------------------------------------------

  async generate(asked: GenerateParams, options: RunOptions = {}): Promise<GeneratedImage> {
    if (asked.region) return inpaint(this, asked, options);
    const native = nativeSize(asked.width, asked.height, this.model.nativeMaxPixels);
    const p = { ...asked, ...native };
    const c = this.model.transformer;
    const C = this.model.vae.z_dim;
    if (p.width % 16 || p.height % 16 || p.width < 16 || p.height < 16)
      throw new Error(`width and height must be multiples of 16 pixels, got ${p.width}x${p.height}`);
    const check = (): void => {
      if (options.signal?.aborted) throw new CancelledError();
    };
    const t0 = performance.now();
    check();
    const useCfg = p.cfg > 1;
    await this.applyPlan(await this.planFor(asked));
    check();
    const prompts = [promptWithText(p.prompt, p.paintText), ...(useCfg ? [p.negativePrompt.trim() ? p.negativePrompt : ' '] : [])];
    const [cond, uncond] = (await this.encodePrompts(prompts)) as [PromptEmbedding, PromptEmbedding | undefined];
    check();
    const txtC = await this.embedText(cond);
    const txtU = uncond ? await this.embedText(uncond) : undefined;
    const h = p.height / 8;
    const w = p.width / 8;
    const ph = h / c.patch_size;
    const pw = w / c.patch_size;
    const L = ph * pw;
    const schedule = flowMatchSchedule(p.steps, L, this.model.scheduler);
    const mod = await this.modulation(schedule.timesteps);
    const ropeC = qwenImageRope(c.axes_dims_rope, cond.length, ph, pw);
    const ropeU = uncond ? qwenImageRope(c.axes_dims_rope, uncond.length, ph, pw) : undefined;
    const x = packLatents(new Rng(p.seed).normals(C * h * w), C, h, w);
    const width = C * c.patch_size * c.patch_size;
    const t1 = performance.now();
    const preview = options.onProgress ? await this.previewProjection() : undefined;
    for (let i = 0; i < p.steps; i++) {
      check();
      const img = await this.embedImage(x, L);
      const passes: Pass[] = [{ txt: txtC, T: cond.length, rope: ropeC }];
      if (uncond && txtU && ropeU) passes.push({ txt: txtU, T: uncond.length, rope: ropeU });
      const [v, vu] = (await this.denoiseStep(img, L, i, mod, passes)) as [Float32Array, Float32Array | undefined];
      if (vu) trueCfg(v, vu, p.cfg, width);
      if (preview && options.onProgress) {
        const sigma = schedule.sigmas[i] as number;
        const x0 = x.map((xv, k) => xv - sigma * (v[k] as number));
        options.onProgress({ step: i + 1, steps: p.steps, preview: previewRgb(preview, unpackLatents(x0, C, h, w), C, h, w) });
      }
      eulerStep(x, v, schedule, i);
    }
    check();
    const t2 = performance.now();
    const image = await this.decodeLatents(unpackLatents(x, C, h, w), h, w);
    const rgb = resizeRgb(toRgb(image, p.width, p.height), p.width, p.height, asked.width, asked.height);
    return {
      width: asked.width,
      height: asked.height,
      rgb,
      timings: { encodeMs: t1 - t0, denoiseMs: t2 - t1, decodeMs: performance.now() - t2 },
      precision:
        this.linearSpec.precision === 'int4'
          ? `int4 (block ${this.int4.blockSize}${this.int4.asymmetric ? '' : ', symmetric'})`
          : this.linearSpec.precision,
      provider: this.provider,
    };
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
    this.sessions.clear();
    for (const w of this.weights.values()) await w.close();
    this.weights.clear();
  }
}

/** Planar [3,H,W] in [-1,1] -> interleaved RGB bytes, as the reference post-processes. */
export function toRgb(image: Float32Array, width: number, height: number): Uint8Array {
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  for (let ch = 0; ch < 3; ch++) {
    for (let k = 0; k < n; k++) {
      const v = Math.min(1, Math.max(0, (image[ch * n + k] as number) / 2 + 0.5));
      rgb[k * 3 + ch] = roundHalfEven(v * 255);
    }
  }
  return rgb;
}

/** NumPy's round(): halves go to the even neighbour. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
