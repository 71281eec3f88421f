// The one API between the UI and the back end. Both transports (Electron IPC and the web-mode
// HTTP server) carry exactly these calls, and the back end validates every argument against
// the schemas here before a handler runs.
import { z } from 'zod';
import { type Asset, type PosterDocument, Sha256 } from '../document/schema';
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

const GenerateArgs = z.strictObject({
  prompt: z.string().trim().min(1, 'describe the image').max(2000),
  negativePrompt: z.string().max(2000).default(''),
  width: Side,
  height: Side,
  steps: z.number().int().min(1).max(100),
  cfg: z.number().min(1).max(20),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  model: ModelRef,
});

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
  'engine.generate': GenerateArgs,
  'engine.plan': GenerateArgs.omit({ seed: true }),
  'engine.cancel': z.strictObject({ jobId: JobId }),
  'engine.jobs': z.strictObject({}),
  'engine.models': z.strictObject({}),
  'engine.importModel': z.strictObject({ path: AbsolutePath }),
  'engine.verifyModel': z
    .strictObject({ id: ModelId.optional(), path: AbsolutePath.optional(), level: z.enum(['fast', 'full']).default('fast') })
    .refine((a) => (a.id === undefined) !== (a.path === undefined), 'give either id (an installed model) or path (a model folder)'),
  'engine.textCheck': z.strictObject({ sha256: Sha256, expected: z.string().trim().min(1, 'the text to look for').max(500) }),
} as const satisfies Record<ApiMethod, z.ZodType>;

/** Where a job's weights would live under the engine's RAM budget, as the engine would run it. */
export interface EnginePlan {
  /** False when nothing fits: text then says the smallest budget that would. */
  fits: boolean;
  /** The plan as text (or why nothing fits). */
  text: string;
  ramBudgetBytes: number;
  /** The smallest RAM budget this job plans with. */
  minRamBytes: number;
  /** Estimated peak RAM of the plan (0 when nothing fits). */
  peakRamBytes: number;
  /** Bytes read from disk each denoising step (streamed groups). */
  diskBytesPerStep: number;
}

export interface EngineModel {
  id: string;
  name: string;
  path: string;
  source: 'bundled' | 'user';
  bytes: number;
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
  error?: string;
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
  'engine.plan': EnginePlan;
  'engine.cancel': { cancelled: boolean };
  'engine.jobs': EngineJob[];
  'engine.models': EngineModel[];
  'engine.importModel': EngineModel;
  'engine.verifyModel': { ok: true };
  'engine.textCheck': TextCheckResult;
}

/** What OCR read in an image against the text the user asked for. */
export interface TextCheckResult {
  read: string;
  /** 0..1, character accuracy over the normalised texts. */
  accuracy: number;
  diff: DiffOp[];
}

export type ApiArgsOf<M extends ApiMethod> = z.infer<(typeof ApiArgs)[M]>;

/** Events pushed from the back end; named like the UI subscribes to them (`onX`). */
export interface ApiEvents {
  /** A desktop menu item the renderer should act on (save, undo, …). */
  menu: { command: MenuCommand };
  /** A generation job changed state or finished a step. */
  'engine.job': EngineJobEvent;
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
