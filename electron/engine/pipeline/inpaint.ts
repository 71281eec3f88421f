/**
 * Region regeneration (inpainting) by masked denoising with the text-to-image model itself:
 *   1. size: generate at the model's native size for the image's aspect (native.json maxPixels),
 *      else at the image's size, sides rounded to multiples of 16 (at most 2048); the image is
 *      area-averaged to that size, the mask too (its coverage), and the result is resized back.
 *   2. encode the image with the VAE encoder (posterior mean), normalised with latents_mean/std.
 *   3. the mask at latent resolution: every latent cell the mask touches, dilated by one cell.
 *   4. denoise as text-to-image, but after every step the latents outside the mask are replaced by
 *      the image's latents noised to the new sigma with the job's seeded noise,
 *      x_t = (1 - sigma) x0 + sigma noise, so at sigma 0 they are the image's own latents.
 *      strength < 1 starts later in the schedule from the noised image (as diffusers' img2img).
 *   5. decode, resize to the image's size, and blend with the original through a mask feathered
 *      a few pixels inward: pixels outside the mask are the original's, byte for byte.
 */
import { promptWithText } from '../../../core/paint-text.js';
import { buildVaeEncoderGraph, type VaeEncoderShape } from '../graphs/vae-encoder.js';
import { CancelledError, type GeneratedImage, type GenerateParams, type RegionInput, type RunOptions } from '../types.js';
import { f32Tensor, run } from './graph-cache.js';
import { previewRgb } from './preview.js';
import type { Pass, PromptEmbedding, QwenImagePipeline } from './qwen-image.js';
import { toRgb } from './qwen-image.js';
import { blendRgb, featherAlpha, featherWidth, latentMask, resizeRgbArea, rgbToPlanar } from './region-mask.js';
import { nativeSize, resizeRgb } from './resize.js';
import { Rng } from './rng.js';
import { eulerStep, flowMatchSchedule } from './scheduler.js';
import { packLatents, qwenImageRope, trueCfg, unpackLatents } from './tensors.js';

const f32 = Math.fround;
const MAX_SIDE = 2048;

/** Thrown for a region the engine cannot use; the message says what is wrong. */
export class RegionError extends Error {
  constructor(
    message: string,
    readonly code: 'bad-request' | 'not-found' = 'bad-request',
  ) {
    super(message);
    this.name = 'RegionError';
  }
}

export function checkRegion(r: RegionInput): void {
  const { width, height } = r;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 8 || height < 8)
    throw new RegionError(`The image to change must be at least 8x8 pixels, got ${width}x${height}.`);
  if (r.rgb.length !== width * height * 3)
    throw new RegionError(`The image has ${r.rgb.length} bytes, expected ${width * height * 3} (RGB).`);
  if (r.mask.length !== width * height)
    throw new RegionError(`The mask has ${r.mask.length} pixels, expected ${width * height} (one per image pixel).`);
  if (!r.mask.some((v) => v >= 128)) throw new RegionError('The mask is empty: mark the area to regenerate.');
  const s = r.strength ?? 1;
  if (!(s > 0 && s <= 1)) throw new RegionError(`strength must be above 0 and at most 1, got ${s}.`);
}

/** The size the model paints at for an image of width x height (multiples of 16). */
export function generationSize(width: number, height: number, maxPixels: number | undefined): { width: number; height: number } {
  const fit = Math.min(1, MAX_SIDE / Math.max(width, height));
  const w = width * fit;
  const h = height * fit;
  const round16 = (v: number) => Math.max(16, Math.round(v / 16) * 16);
  const n = nativeSize(round16(w), round16(h), maxPixels);
  return { width: round16(n.width), height: round16(n.height) };
}

/** Planar image [3,H,W] in [-1,1] -> normalised latents [z, H/8, W/8], as the denoiser sees them. */
export async function encodeImage(pipe: QwenImagePipeline, image: Float32Array, H: number, W: number): Promise<Float32Array> {
  const v = pipe.model.vae;
  const s = await pipe.session('vae_encoder', 'vae', (src) => buildVaeEncoderGraph(v as VaeEncoderShape, src));
  const z = (await run(s, { image: f32Tensor(image, [1, 3, H, W]) })).latent_mean as Float32Array;
  const n = (H / 8) * (W / 8);
  const out = new Float32Array(z.length);
  for (let ch = 0; ch < v.z_dim; ch++) {
    const inv = f32(1 / (v.latents_std[ch] as number));
    const mean = v.latents_mean[ch] as number;
    for (let k = ch * n; k < (ch + 1) * n; k++) out[k] = f32(f32((z[k] as number) - mean) * inv);
  }
  return out;
}

export async function inpaint(pipe: QwenImagePipeline, p: GenerateParams, options: RunOptions = {}): Promise<GeneratedImage> {
  const region = p.region as RegionInput;
  checkRegion(region);
  const check = (): void => {
    if (options.signal?.aborted) throw new CancelledError();
  };
  const c = pipe.model.transformer;
  const C = pipe.model.vae.z_dim;
  const t0 = performance.now();
  check();
  // 1-2. the image at the generation size, encoded.
  const gen = generationSize(region.width, region.height, pipe.model.nativeMaxPixels);
  // Graphs placed as the offloading plan says for a job of this size, as text-to-image does.
  await pipe.applyPlan(await pipe.planFor({ ...p, width: gen.width, height: gen.height, region: undefined }));
  check();
  const small = resizeRgbArea(region.rgb, region.width, region.height, gen.width, gen.height);
  const x0 = await encodeImage(pipe, rgbToPlanar(small, gen.width, gen.height), gen.height, gen.width);
  const h = gen.height / 8;
  const w = gen.width / 8;
  // 3. the mask per latent element, in the packed token layout of the latents.
  const cells = latentMask(region.mask, region.width, region.height, w, h);
  const maskPlanes = new Float32Array(C * h * w);
  for (let ch = 0; ch < C; ch++) for (let k = 0; k < h * w; k++) maskPlanes[ch * h * w + k] = cells[k] as number;
  const keep = packLatents(maskPlanes, C, h, w).map((m) => 1 - m);
  const known = packLatents(x0, C, h, w);
  // The prompt, as text-to-image.
  const useCfg = p.cfg > 1;
  const prompts = [promptWithText(p.prompt, p.paintText), ...(useCfg ? [p.negativePrompt.trim() ? p.negativePrompt : ' '] : [])];
  const [cond, uncond] = (await pipe.encodePrompts(prompts)) as [PromptEmbedding, PromptEmbedding | undefined];
  check();
  const txtC = await pipe.embedText(cond);
  const txtU = uncond ? await pipe.embedText(uncond) : undefined;
  const ph = h / c.patch_size;
  const pw = w / c.patch_size;
  const L = ph * pw;
  const schedule = flowMatchSchedule(p.steps, L, pipe.model.scheduler);
  const first = p.steps - Math.min(p.steps, Math.max(1, Math.round(p.steps * (region.strength ?? 1))));
  const mod = await pipe.modulation(schedule.timesteps);
  const ropeC = qwenImageRope(c.axes_dims_rope, cond.length, ph, pw);
  const ropeU = uncond ? qwenImageRope(c.axes_dims_rope, uncond.length, ph, pw) : undefined;
  const noise = packLatents(new Rng(p.seed).normals(C * h * w), C, h, w);
  const noised = (sigma: number, k: number): number => f32(f32(f32(1 - sigma) * (known[k] as number)) + f32(sigma * (noise[k] as number)));
  const s0 = schedule.sigmas[first] as number;
  const x = noise.map((_, k) => noised(s0, k));
  const width = C * c.patch_size * c.patch_size;
  const t1 = performance.now();
  const preview = options.onProgress ? await pipe.previewProjection() : undefined;
  // 4. masked denoising.
  for (let i = first; i < p.steps; i++) {
    check();
    const img = await pipe.embedImage(x, L);
    const passes: Pass[] = [{ txt: txtC, T: cond.length, rope: ropeC }];
    if (uncond && txtU && ropeU) passes.push({ txt: txtU, T: uncond.length, rope: ropeU });
    const [v, vu] = (await pipe.denoiseStep(img, L, i, mod, passes)) as [Float32Array, Float32Array | undefined];
    if (vu) trueCfg(v, vu, p.cfg, width);
    if (preview && options.onProgress) {
      const sigma = schedule.sigmas[i] as number;
      const est = x.map((xv, k) => ((keep[k] as number) ? (known[k] as number) : xv - sigma * (v[k] as number)));
      // Steps skipped by strength < 1 count as done, so the job's bar (step of steps) ends full.
      options.onProgress({
        step: i + 1,
        steps: p.steps,
        preview: previewRgb(preview, unpackLatents(est, C, h, w), C, h, w),
      });
    }
    eulerStep(x, v, schedule, i);
    const next = schedule.sigmas[i + 1] as number;
    for (let k = 0; k < x.length; k++) if (keep[k]) x[k] = noised(next, k);
  }
  check();
  const t2 = performance.now();
  // 5. decode, back to the image's size, feathered blend with the original.
  const image = await pipe.decodeLatents(unpackLatents(x, C, h, w), h, w);
  const painted = resizeRgb(toRgb(image, gen.width, gen.height), gen.width, gen.height, region.width, region.height);
  const alpha = featherAlpha(region.mask, region.width, region.height, featherWidth(region.width, region.height));
  return {
    width: region.width,
    height: region.height,
    rgb: blendRgb(region.rgb, painted, alpha),
    timings: { encodeMs: t1 - t0, denoiseMs: t2 - t1, decodeMs: performance.now() - t2 },
  };
}
