import type { GeneratedImage, GenerateParams, StepProgress } from '../types.js';

/** Host -> engine worker. */
export type ToWorker = { type: 'run'; id: string; params: GenerateParams } | { type: 'cancel'; id: string };

/** Engine worker -> host. */
export type FromWorker =
  | { type: 'progress'; id: string; progress: StepProgress }
  | { type: 'done'; id: string; image: GeneratedImage }
  | { type: 'error'; id: string; message: string; cancelled: boolean };

export interface WorkerConfig {
  threads?: number;
  cacheDir?: string;
  /** RAM budget the offloading plan of every job fits (default: unlimited). */
  ramBudgetBytes?: number;
}
