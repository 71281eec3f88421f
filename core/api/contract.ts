// The one API between the UI and the back end. Both transports (Electron IPC and the web-mode
// HTTP server) carry exactly these calls, and the back end validates every argument against
// the schemas here before a handler runs.
import { z } from 'zod';
import { type Asset, type PosterDocument, Sha256 } from '../document/schema';
import { MAX_PAINT_TEXT } from '../paint-text';
import type { DiffOp } from '../text-diff';
import type { API_EVENTS, ApiMethod } from './names';

export { API_EVENTS, API_METHOD_NAMES as API_METHODS, type ApiMethod } from './names';

const ProjectPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => /\.poster$/i.test(p), 'expected a path ending in .poster')
  .refine((p) => !p.includes('\0'), 'must not contain NUL');
const SessionId = z.string().regex(/^[0-9a-f]{8,64}$/, 'expected a hex session id');
const Bytes = z.instanceof(Uint8Array);
/** Documents are validated in full by the handler (parseDocument), with field paths in errors. */
const DocumentArg = z.unknown();

export const MAX_ASSET_BYTES = 512 * 1024 * 1024;

const Side = z
  .number()
  .int()
  .min(64)
  .max(2048)
  .refine((n) => n % 16 === 0, 'must be a multiple of 16');
const ModelId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a model id');
const JobId = z.string().regex(/^job-[a-z0-9-]{1,40}$/, 'expected a job id');
const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'must not contain NUL')
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'expected an absolute path');

const PixelCount = (what: string) => z.number().int(`${what} must be a whole number of pixels`);
/** The area to regenerate, in image pixels (checked against the image's size by the engine service). */
export const MaskRect = z.strictObject({
  x: PixelCount('x').min(0, 'x must not be negative'),
  y: PixelCount('y').min(0, 'y must not be negative'),
  width: PixelCount('width').min(1, 'the mask is empty: width must be at least 1 pixel'),
  height: PixelCount('height').min(1, 'the mask is empty: height must be at least 1 pixel'),
});
export type MaskRect = z.infer<typeof MaskRect>;

/**
 * Regenerate part of an image in the asset store: `mask` is a rectangle in image pixels, or the
 * sha256 of a mask image of the same size (white or opaque = regenerate, black or clear = keep).
 */
const GenerateRegion = z.strictObject({
  image: Sha256,
  mask: z.union([MaskRect, Sha256]),
  /** 1 paints the area from scratch; lower keeps more of the original. */
  strength: z.number().gt(0, 'strength must be above 0').max(1, 'strength must be at most 1').default(1),
});
export type GenerateRegion = z.infer<typeof GenerateRegion>;
/** A memory budget in bytes: at least 64 MiB, at most 64 TiB. */
const Budget = z
  .number()
  .int()
  .min(64 * 2 ** 20, 'a budget below 64 MiB cannot hold a model')
  .max(2 ** 46);

/** An installed model's id, or the absolute path of a model folder (used as it is, without importing). */
const ModelRef = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'must not contain NUL')
  .refine(
    (p) => /^[A-Za-z0-9_-]{1,64}$/.test(p) || p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p),
    'expected a model id or the absolute path of a model folder',
  );

export const ApiArgs = {
  'app.info': z.strictObject({}),
  'assets.put': z.strictObject({
    name: z.string().max(500),
    bytes: Bytes.refine((b) => b.byteLength <= MAX_ASSET_BYTES, 'image larger than 512 MB'),
  }),
  'assets.get': z.strictObject({ sha256: Sha256 }),
  'project.open': z.strictObject({ path: ProjectPath }),
  'project.save': z.strictObject({ path: ProjectPath, document: DocumentArg }),
  'project.recent': z.strictObject({}),
  'project.list': z.strictObject({}),
  'project.autosave': z.strictObject({ sessionId: SessionId, path: ProjectPath.nullable(), document: DocumentArg }),
  'project.recoveries': z.strictObject({}),
  'project.recover': z.strictObject({ sessionId: SessionId }),
  'project.discardRecovery': z.strictObject({ sessionId: SessionId }),
  'dialog.openProject': z.strictObject({}),
  'dialog.saveProject': z.strictObject({ suggestedName: z.string().max(255) }),
  'fonts.list': z.strictObject({}),
  'fonts.get': z.strictObject({ id: z.string().regex(/^[a-z0-9-]{1,64}$/, 'expected a font id') }),
  'fonts.add': z.strictObject({
    name: z.string().min(1).max(255),
    bytes: Bytes.refine((b) => b.byteLength <= 128 * 1024 * 1024, 'font larger than 128 MB'),
  }),
  'engine.generate': z
    .strictObject({
      prompt: z.string().trim().min(1, 'describe the image').max(2000),
      negativePrompt: z.string().max(2000).default(''),
      /** Required without a region; a region job keeps its image's size. */
      width: Side.optional(),
      height: Side.optional(),
      steps: z.number().int().min(1).max(100),
      cfg: z.number().min(1).max(20),
      seed: z
        .number()
        .int()
        .min(0)
        .max(2 ** 32 - 1),
      model: ModelRef,
      region: GenerateRegion.optional(),
      /** Words the model should paint in the image (quoted into the prompt by the engine). */
      paintText: z.string().trim().max(MAX_PAINT_TEXT, `at most ${MAX_PAINT_TEXT} characters of text to paint`).optional(),
    })
    .refine((a) => a.region !== undefined || (a.width !== undefined && a.height !== undefined), {
      message: 'give width and height (or a region of an existing image to regenerate)',
      path: ['width'],
    })
    .refine((a) => a.region === undefined || (a.width === undefined && a.height === undefined), {
      message: 'leave width and height out when regenerating a region: the result keeps the image size',
      path: ['width'],
    }),
  'engine.cancel': z.strictObject({ jobId: JobId }),
  'engine.jobs': z.strictObject({}),
  'engine.models': z.strictObject({}),
  'engine.importModel': z.strictObject({ path: AbsolutePath }),
  'engine.verifyModel': z
    .strictObject({ id: ModelId.optional(), path: AbsolutePath.optional(), level: z.enum(['fast', 'full']).default('fast') })
    .refine((a) => (a.id === undefined) !== (a.path === undefined), 'give either id (an installed model) or path (a model folder)'),
  'engine.textCheck': z.strictObject({ sha256: Sha256, expected: z.string().trim().min(1, 'the text to look for').max(500) }),
  'engine.reorder': z.strictObject({ id: JobId, index: z.number().int().min(0, 'index: 0 is the front of the queue').max(10_000) }),
  'engine.deleteModel': z.strictObject({ id: ModelId }),
  'engine.plan': z.strictObject({
    /** An installed model's id or a model folder. */
    id: ModelRef,
    /** The prompts count as text tokens in the plan (a typical poster prompt when left out). */
    prompt: z.string().max(2000).optional(),
    negativePrompt: z.string().max(2000).optional(),
    width: Side.default(1024),
    height: Side.default(1024),
    steps: z.number().int().min(1).max(100).default(20),
    cfg: z.number().min(1).max(20).default(4),
  }),
  'engine.settings': z.strictObject({}),
  'engine.setSettings': z.strictObject({ ramBudgetBytes: Budget.nullable(), gpuBudgetBytes: Budget.nullable() }),
} as const satisfies Record<ApiMethod, z.ZodType>;

export interface EngineModel {
  id: string;
  name: string;
  path: string;
  source: 'bundled' | 'user';
  bytes: number;
  /** How the transformer's weights are stored (fp32, fp16, bf16, int8); null if unreadable. */
  precision: string | null;
  /** The last successful check of this folder, if any. */
  verified: 'fast' | 'full' | null;
  verifiedAt: string | null;
}

/** Progress of importing or verifying a model folder (bytes hashed so far). */
export interface EngineModelProgress {
  path: string;
  action: 'import' | 'verify';
  done: number;
  total: number;
  file: string;
}

/** Memory budgets the engine plans with; null means measured free memory minus a reserve. */
export interface EngineSettingsView {
  ramBudgetBytes: number | null;
  gpuBudgetBytes: number | null;
}

/**
 * Where a job's weights live under the engine's memory budgets, as the engine runs it: the same
 * plan the engine process computes before a job (electron/engine/pipeline/offload.ts).
 */
export interface EnginePlan {
  /** The plan as text a user reads (or, when nothing fits, the smallest budget that would). */
  text: string;
  /** False when the job does not fit the budgets (the text says what to change). */
  fits: boolean;
  ram: { bytes: number; source: string };
  gpu: { bytes: number; source: string } | null;
  /** The precision the engine runs the weights at. */
  precision: string;
  ramBudgetBytes: number;
  /** The smallest RAM budget this job plans with. */
  minRamBytes: number;
  /** Estimated peak RAM of the plan (0 when nothing fits). */
  peakRamBytes: number;
  /** Bytes read from disk each denoising step (streamed groups). */
  diskBytesPerStep: number;
}

export interface EngineJob {
  id: string;
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  step: number;
  steps: number;
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  cfg: number;
  seed: number;
  model: string;
  /** The text the job asked the model to paint, if any. */
  paintText?: string;
  error?: string;
  /** A region job: the sha256 of the image it repaints (the result is a new asset of the same size). */
  regionOf?: string;
  /** Epoch milliseconds. */
  queuedAt?: number;
  startedAt?: number;
  finishedAt?: number;
}

export interface EngineJobEvent {
  job: EngineJob;
  /** Data URL of a small PNG preview of the step just finished. */
  preview?: string;
  /** The finished image, in the session's asset store. */
  image?: { sha256: string; width: number; height: number };
}

export interface AppInfo {
  name: string;
  version: string;
  transport: 'ipc' | 'web';
  /** False in web mode: the UI asks for paths itself. */
  nativeDialogs: boolean;
  projectsDir: string;
  pathSeparator: '/' | '\\';
}

export interface RecentProject {
  path: string;
  title: string;
  openedAt: string;
  exists: boolean;
}

export interface ProjectListing {
  path: string;
  name: string;
  modifiedAt: string;
  bytes: number;
}

export interface Recovery {
  sessionId: string;
  path: string | null;
  title: string;
  savedAt: string;
}

export interface FontInfo {
  id: string;
  family: string;
  weight: number;
  italic: boolean;
  script: 'latin' | 'cjk';
  source: 'bundled' | 'user';
  bytes: number;
}

export interface ApiResults {
  'app.info': AppInfo;
  'assets.put': Asset;
  'assets.get': { mime: Asset['mime']; bytes: Uint8Array };
  'project.open': { path: string; document: PosterDocument };
  'project.save': { path: string; bytes: number };
  'project.recent': RecentProject[];
  'project.list': ProjectListing[];
  'project.autosave': { savedAt: string };
  'project.recoveries': Recovery[];
  'project.recover': { path: string | null; document: PosterDocument };
  'project.discardRecovery': { removed: boolean };
  'dialog.openProject': { path: string | null };
  'dialog.saveProject': { path: string | null };
  'fonts.list': FontInfo[];
  'fonts.get': { bytes: Uint8Array };
  'fonts.add': FontInfo;
  'engine.generate': { jobId: string };
  'engine.cancel': { cancelled: boolean };
  'engine.jobs': EngineJob[];
  'engine.models': EngineModel[];
  'engine.importModel': EngineModel;
  'engine.verifyModel': { ok: true };
  'engine.textCheck': TextCheckResult;
  'engine.reorder': { queued: string[] };
  'engine.deleteModel': { removedFiles: number };
  'engine.plan': EnginePlan;
  'engine.settings': EngineSettingsView;
  'engine.setSettings': EngineSettingsView;
}

/** What OCR read in an image against the text the user asked for. */
export interface TextCheckResult {
  read: string;
  /** 0..1, character accuracy over the normalised texts. */
  accuracy: number;
  diff: DiffOp[];
  /** The lines OCR found, with their boxes in the image's pixels (corners TL, TR, BR, BL). */
  lines: { text: string; score: number; box: number[][] }[];
}

export type ApiArgsOf<M extends ApiMethod> = z.infer<(typeof ApiArgs)[M]>;

/** Events pushed from the back end; named like the UI subscribes to them (`onX`). */
export interface ApiEvents {
  /** A desktop menu item the renderer should act on (save, undo, …). */
  menu: { command: MenuCommand };
  /** A generation job changed state or finished a step. */
  'engine.job': EngineJobEvent;
  /** Import or verification of a model folder made progress. */
  'engine.modelProgress': EngineModelProgress;
}
export type ApiEventName = (typeof API_EVENTS)[number] & keyof ApiEvents;

export const MENU_COMMANDS = [
  'new',
  'open',
  'save',
  'saveAs',
  'undo',
  'redo',
  'duplicate',
  'delete',
  'zoomIn',
  'zoomOut',
  'zoomFit',
  'importImage',
] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

export type ErrorCode = 'bad-request' | 'unauthorized' | 'not-found' | 'invalid-file' | 'newer-version' | 'io' | 'internal';

export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
}

export type ApiResponse<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };

/** The typed client the renderer uses, whatever the transport. */
export interface PosterApi {
  call<M extends ApiMethod>(method: M, args: ApiArgsOf<M>): Promise<ApiResults[M]>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
