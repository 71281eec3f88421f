import type { LinearPrecision } from '../onnx/graph.js';
import type { TextCheck } from '../text-check/index.js';
import type { GeneratedImage, GenerateParams, StepProgress } from '../types.js';

/** Host -> engine worker. */
export type ToWorker =
  | { type: 'run'; id: string; params: GenerateParams }
  | { type: 'cancel'; id: string }
  /** OCR a PNG and compare it with `expected` (runs beside a generation job, not in the job queue). */
  | { type: 'textCheck'; id: string; png: Uint8Array; expected: string };

/** Engine worker -> host. */
export type FromWorker =
  | { type: 'progress'; id: string; progress: StepProgress }
  | { type: 'done'; id: string; image: GeneratedImage }
  | { type: 'textChecked'; id: string; result: TextCheck }
  | { type: 'error'; id: string; message: string; cancelled: boolean };

export interface WorkerConfig {
  threads?: number;
  cacheDir?: string;
  /** Weight precision of the transformer and text encoder: fp32 (default), fp16, int8, int4. */
  precision?: LinearPrecision;
  /** int4 block size (16, 32, 64, 128). */
  int4BlockSize?: number;
  /** Execution providers in order of preference (default CPU). */
  providers?: string[];
  /** RAM budget the offloading plan of every job fits (default: unlimited). */
  ramBudgetBytes?: number;
}
