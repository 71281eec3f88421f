/**
 * Our manifest, `model.json` at the model folder's root: the parsed configs, every file with
 * its size and sha256, the scheduler, the VAE latent statistics and the prompt template.
 */
import { z } from 'zod';
import { type ComponentName, SchedulerConfig, TextEncoderConfigFile, TransformerConfig, VaeConfig } from './configs.js';
import type { WeightSet } from './weights.js';

/** Qwen-Image's prompt template (pipeline_qwenimage.py, prompt_template_encode). */
export const QWEN_IMAGE_TEMPLATE =
  '<|im_start|>system\nDescribe the image by detailing the color, shape, size, texture, quantity, text, spatial relationships of the objects and background:<|im_end|>\n<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n';
/** How many leading template tokens are dropped from the hidden states (prompt_template_encode_start_idx). */
export const QWEN_IMAGE_DROP_TOKENS = 34;

export const COMPONENTS: readonly ComponentName[] = ['transformer', 'text_encoder', 'vae'];

/** A relative path inside the model folder: forward slashes, no `..`, not absolute. */
const RelPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.includes('\\') && !p.split('/').some((s) => s === '..' || s === ''), {
    message: 'must be a relative path inside the model folder',
  });

export const FileEntry = z.object({
  path: RelPath,
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type FileEntry = z.infer<typeof FileEntry>;

export const PromptSettings = z.object({ template: z.string().includes('{}'), dropTokens: z.number().int().nonnegative() });
export type PromptSettings = z.infer<typeof PromptSettings>;

/**
 * A small model trained at low resolution says so here (from `native.json` in the folder): the
 * engine generates at about this many pixels in the asked aspect ratio and upscales smoothly.
 */
export const NativeSettings = z.object({ maxPixels: z.number().int().min(256) });
export type NativeSettings = z.infer<typeof NativeSettings>;

export const ModelManifest = z.object({
  format: z.literal('poster-model'),
  version: z.literal(1),
  family: z.literal('qwen-image'),
  name: z.string(),
  components: z.object({
    transformer: z.object({ config: TransformerConfig, files: z.array(FileEntry) }),
    text_encoder: z.object({ config: TextEncoderConfigFile, files: z.array(FileEntry) }),
    vae: z.object({ config: VaeConfig, files: z.array(FileEntry) }),
  }),
  tokenizer: z.object({ files: z.array(FileEntry) }),
  scheduler: SchedulerConfig,
  vae_latents: z.object({ mean: z.array(z.number()), std: z.array(z.number().positive()) }),
  prompt: PromptSettings,
  native: NativeSettings.optional(),
});
export type ModelManifest = z.infer<typeof ModelManifest>;

export interface LoadedModel {
  dir: string;
  manifest: ModelManifest;
  /** Opens one component's weights (headers only; call close() when done). */
  weights(component: ComponentName): Promise<WeightSet>;
  tokenizerDir: string;
}

/** Progress by bytes: `done` of `total` bytes hashed, currently in `file` (relative path). */
export type ImportProgress = (done: number, total: number, file: string) => void;

/** Every file the manifest records, components first, then the tokenizer. */
export function manifestFiles(m: ModelManifest): FileEntry[] {
  return [...COMPONENTS.flatMap((c) => m.components[c].files), ...m.tokenizer.files];
}
