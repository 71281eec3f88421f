/**
 * The engine's small public interfaces. The pipeline (electron/engine/pipeline) implements
 * `ImageGenerator`; the runtime (electron/engine/runtime) queues jobs, runs them off the main
 * thread and turns their progress into API events.
 */

export interface GenerateParams {
  prompt: string;
  /** Used for true CFG; the engine substitutes " " when cfg > 1 and this is empty. */
  negativePrompt: string;
  /** Pixels; multiples of 16. */
  width: number;
  height: number;
  steps: number;
  /** True CFG scale; 1 turns the unconditional pass off. */
  cfg: number;
  /** 0 .. 2^32-1. */
  seed: number;
  /** Absolute path of the model folder. */
  model: string;
  /** The RAM budget this job's offloading plan must fit (default: the engine's). */
  ramBudgetBytes?: number;
  /** Words the model should render in the image; the pipeline quotes them into the prompt (core/paint-text). */
  paintText?: string;
  /** Regenerate only part of an existing image (inpainting); the result has that image's size. */
  region?: RegionInput;
}

/** An image and the part of it to paint again (see pipeline/inpaint.ts). */
export interface RegionInput {
  width: number;
  height: number;
  /** The image, row-major, 3 bytes a pixel. */
  rgb: Uint8Array;
  /** One byte a pixel: 128 or more = regenerate, below = keep. */
  mask: Uint8Array;
  /** How far the masked area is re-noised: 1 (default) starts from pure noise, lower keeps more of the original. */
  strength?: number;
}

export interface StepProgress {
  /** 1-based step just finished. */
  step: number;
  steps: number;
  /** Small RGB preview (a linear projection of the latents), row-major, 3 bytes a pixel. */
  preview?: { width: number; height: number; rgb: Uint8Array };
}

export interface GeneratedImage {
  width: number;
  height: number;
  /** Row-major, 3 bytes a pixel. */
  rgb: Uint8Array;
  /** Wall time of the job's stages in milliseconds. */
  timings: { encodeMs: number; denoiseMs: number; decodeMs: number };
  /** How the transformer and text encoder weights were stored, e.g. "fp32", "int4 (block 32)". */
  precision?: string;
  /** The execution provider the transformer ran on (onnxruntime's name: cpu, cuda, webgpu, …). */
  provider?: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (progress: StepProgress) => void;
  /** Directory for built graphs; defaults to the app data folder (see pipeline/index.ts). */
  cacheDir?: string;
}

export interface ImageGenerator {
  generate(params: GenerateParams, options?: RunOptions): Promise<GeneratedImage>;
  dispose(): Promise<void>;
}

/** Thrown when a job's signal aborts; the runtime reports it as "cancelled", not as a failure. */
export class CancelledError extends Error {
  constructor() {
    super('Generation cancelled');
    this.name = 'CancelledError';
  }
}
