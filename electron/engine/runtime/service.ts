/**
 * The engine as the app's back end sees it: installed models (the bundled default plus folders
 * the user registered), a job queue running in the engine process, and job events with small
 * PNG previews. Finished images go into the session's asset store, so the canvas places them
 * like any imported image.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize } from 'node:path';
import type {
  EngineJobEvent,
  EngineModelProgress,
  EnginePlan,
  EngineSettingsView,
  GenerateRegion,
  EngineJob as JobSummary,
  EngineModel as ModelSummary,
} from '../../../core/api/contract.js';
import { importModel, openModel, readManifest } from '../model/manifest.js';
import { RegionError } from '../pipeline/inpaint.js';
import { loadPipelineModel } from '../pipeline/model.js';
import { planJobFor } from '../pipeline/offload.js';
import {
  defaultRamBudget,
  describeBudget,
  formatBytes,
  formatPlan,
  type MeasuredBudget,
  measureNvidiaFree,
  PlanError,
} from '../plan/index.js';
import type { TextCheck } from '../text-check/index.js';
import type { GeneratedImage, GenerateParams, RegionInput, StepProgress } from '../types.js';
import { ProcessExecutor } from './host.js';
import type { WorkerConfig } from './messages.js';
import { deleteModelFiles, SettingsFile, storedPrecision } from './model-admin.js';
import { EngineQueue, type JobEvent, type JobExecutor, type JobInfo } from './queue.js';
import { regionInput } from './region.js';
import { settingsText } from './settings.js';

export type { EngineJobEvent };

export interface EngineServiceOptions {
  dataDir: string;
  bundledModel: string | null;
  encodePng: (rgb: Uint8Array, width: number, height: number, text: Record<string, string>) => Uint8Array;
  storeImage: (name: string, png: Uint8Array) => Promise<{ sha256: string }>;
  /** Bytes of an image in the asset store (the source of a region job). */
  readImage?: (sha256: string) => Uint8Array | undefined;
  emit: (event: EngineJobEvent) => void;
  /** Import and verification progress of a model folder. */
  emitModelProgress?: (event: EngineModelProgress) => void;
  executor?: JobExecutor;
  threads?: number;
  /** Weight precision, int4 block size and execution providers for the engine process. */
  engine?: Pick<WorkerConfig, 'precision' | 'int4BlockSize' | 'providers'>;
  /** RAM budget for every job's offloading plan; default: free memory when the service starts, minus a reserve. */
  ramBudgetBytes?: number;
}

export type GenerateRequest = Omit<GenerateParams, 'model' | 'width' | 'height' | 'region'> & {
  model: string;
  /** Required without a region; a region job keeps its image's size. */
  width?: number;
  height?: number;
  region?: GenerateRegion;
};

async function folderBytes(dir: string): Promise<number> {
  try {
    const m = await readManifest(dir);
    return [...Object.values(m.components).flatMap((c) => c.files), ...m.tokenizer.files].reduce((s, f) => s + f.bytes, 0);
  } catch {
    return 0;
  }
}

export class EngineService {
  readonly queue: EngineQueue;
  private readonly executor: JobExecutor;
  private readonly modelIds = new Map<string, string>();
  /** Region jobs: the asset each one repaints, and a line for the PNG's settings. */
  private readonly regions = new WeakMap<RegionInput, { image: string; text: string }>();
  private regionOf(job: JobInfo): { image: string; text: string } | undefined {
    return job.params.region && this.regions.get(job.params.region);
  }
  private readonly settings: SettingsFile;

  /** The RAM budget measured (or given) when the service started; a saved setting overrides it. */
  private readonly startBudgetBytes: number;
  private readonly measured: MeasuredBudget | undefined;

  /** The budget jobs plan with when no setting overrides it. */
  get ramBudgetBytes(): number {
    return this.startBudgetBytes;
  }

  constructor(private readonly opts: EngineServiceOptions) {
    this.measured = opts.ramBudgetBytes === undefined ? defaultRamBudget() : undefined;
    this.startBudgetBytes = opts.ramBudgetBytes ?? (this.measured as MeasuredBudget).budgetBytes;
    this.executor =
      opts.executor ??
      new ProcessExecutor({
        ...opts.engine,
        threads: opts.threads,
        cacheDir: join(opts.dataDir, 'graph-cache'),
        ramBudgetBytes: this.startBudgetBytes,
      });
    this.queue = new EngineQueue(this.executor);
    this.settings = new SettingsFile(join(opts.dataDir, 'settings.json'));
    // An event that cannot be turned into a UI event (a bad preview, say) must not become an unhandled rejection.
    this.queue.on((e) => void this.forward(e).catch(() => {}));
  }

  private summary(job: JobInfo): JobSummary {
    const p = job.params;
    const model = [...this.modelIds.entries()].find(([, path]) => path === p.model)?.[0] ?? basename(p.model);
    return {
      id: job.id,
      state: job.state,
      step: job.step,
      steps: job.steps,
      prompt: p.prompt,
      negativePrompt: p.negativePrompt,
      width: p.width,
      height: p.height,
      cfg: p.cfg,
      seed: p.seed,
      model,
      ...(p.paintText ? { paintText: p.paintText } : {}),
      error: job.error,
      regionOf: this.regionOf(job)?.image,
      queuedAt: job.queuedAt,
      ...(job.startedAt !== undefined ? { startedAt: job.startedAt } : {}),
      ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
    };
  }

  private previewUrl(p: StepProgress): string | undefined {
    if (!p.preview) return undefined;
    const png = this.opts.encodePng(p.preview.rgb, p.preview.width, p.preview.height, {});
    return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
  }

  private async forward(e: JobEvent): Promise<void> {
    const job = this.summary(e.job);
    if (e.type === 'progress') this.opts.emit({ job, preview: this.previewUrl(e.progress) });
    else if (e.type === 'done') {
      try {
        this.opts.emit({ job, image: await this.store(e.job, e.image) });
      } catch (err) {
        // The image was made but could not be kept: tell the UI instead of leaving the job hanging.
        const error = `The image was generated but could not be stored: ${(err as Error)?.message ?? String(err)}`;
        this.opts.emit({ job: { ...job, state: 'failed', error } });
      }
    } else this.opts.emit({ job });
  }

  private async store(job: JobInfo, image: GeneratedImage): Promise<{ sha256: string; width: number; height: number }> {
    const p = job.params;
    const region = this.regionOf(job);
    const text = settingsText(p, this.summary(job).model, image);
    if (region) text.region = region.text;
    const png = this.opts.encodePng(image.rgb, image.width, image.height, text);
    const { sha256 } = await this.opts.storeImage(`${region ? 'region' : 'generated'}-${p.seed}.png`, png);
    return { sha256, width: image.width, height: image.height };
  }

  private get registryFile(): string {
    return join(this.opts.dataDir, 'models.json');
  }

  private async userModels(): Promise<string[]> {
    try {
      const list = JSON.parse(await readFile(this.registryFile, 'utf8')) as unknown;
      return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
    } catch {
      return [];
    }
  }

  async models(): Promise<ModelSummary[]> {
    const out: ModelSummary[] = [];
    const { verified } = await this.settings.read();
    const add = async (path: string, source: ModelSummary['source']): Promise<void> => {
      if (!existsSync(path)) return;
      let name = basename(path);
      let precision: string | null = null;
      try {
        const manifest = await readManifest(path);
        name = manifest.name;
        precision = await storedPrecision(path, manifest);
      } catch {
        // not imported yet: the folder name will do
      }
      const id = source === 'bundled' ? 'default' : `user-${out.length}-${basename(path).replace(/[^a-zA-Z0-9_-]/g, '_')}`.slice(0, 64);
      this.modelIds.set(id, path);
      const v = verified[path];
      out.push({
        id,
        name,
        path,
        source,
        bytes: await folderBytes(path),
        precision,
        verified: v?.level ?? null,
        verifiedAt: v?.at ?? null,
      });
    };
    if (this.opts.bundledModel) await add(this.opts.bundledModel, 'bundled');
    for (const p of await this.userModels()) await add(p, 'user');
    return out;
  }

  /** An installed model's id, or an absolute model folder path (used as it is). */
  async resolveModel(ref: string): Promise<string> {
    if (isAbsolute(ref)) {
      const dir = normalize(ref);
      const st = await stat(dir).catch(() => undefined);
      if (!st?.isDirectory()) throw new Error(`No installed model or folder at ${dir}.`);
      return dir;
    }
    if (!this.modelIds.has(ref)) await this.models();
    const path = this.modelIds.get(ref);
    if (!path) throw new Error(`No installed model "${ref}". Import the model folder first.`);
    return path;
  }

  async generate(req: GenerateRequest): Promise<string> {
    const model = await this.resolveModel(req.model);
    const { region, width, height, ...asked } = req;
    // Every job plans under the budget in force when it was asked for (a saved setting or the measured one).
    const rest = { ...asked, ramBudgetBytes: (await this.ramBudget()).bytes };
    if (!region) {
      if (width === undefined || height === undefined)
        throw new RegionError('width and height are required (or a region of an existing image).');
      return this.queue.enqueue({ ...rest, width, height, model });
    }
    const read = (sha: string, what: string): Uint8Array => {
      const bytes = this.opts.readImage?.(sha);
      if (!bytes) throw new RegionError(`No ${what} ${sha.slice(0, 12)}… in this session.`, 'not-found');
      return bytes;
    };
    const input = await regionInput({
      image: read(region.image, 'image'),
      mask: typeof region.mask === 'string' ? read(region.mask, 'mask image') : region.mask,
      strength: region.strength,
    });
    const m = region.mask;
    const text = `${typeof m === 'string' ? `mask ${m}` : `rect ${m.x},${m.y} ${m.width}x${m.height}`} of ${region.image}, strength ${region.strength ?? 1}`;
    this.regions.set(input, { image: region.image, text });
    return this.queue.enqueue({ ...rest, width: input.width, height: input.height, model, region: input });
  }

  /**
   * What OCR reads in a PNG against `expected`. Runs in the engine process (the executor's), never
   * in this one: OCR takes a second or more of CPU an image.
   */
  async textCheck(png: Uint8Array, expected: string): Promise<TextCheck> {
    const checker = this.executor as JobExecutor & { textCheck?: (png: Uint8Array, expected: string) => Promise<TextCheck> };
    if (!checker.textCheck) throw new Error('This engine runs without an engine process and cannot check text.');
    return checker.textCheck(png, expected);
  }

  cancel(jobId: string): boolean {
    return this.queue.cancel(jobId);
  }

  jobs(): JobSummary[] {
    return this.queue.list().map((j) => this.summary(j));
  }

  /**
   * Moves a queued job to `index` among the queued jobs (0 runs next); returns the queued ids in
   * their new order. Throws EngineRequestError when the job is not waiting or the index is out of range.
   */
  reorder(jobId: string, index: number): string[] {
    const queued = this.queue.queued();
    if (!queued.includes(jobId)) {
      const state = this.queue.get(jobId)?.state;
      throw new EngineRequestError('not-found', state ? `Job ${jobId} is ${state}; only queued jobs can be moved.` : `No job ${jobId}.`);
    }
    if (index >= queued.length)
      throw new EngineRequestError(
        'bad-request',
        `index: ${index} is past the end of the queue (${queued.length} job${queued.length === 1 ? '' : 's'} waiting).`,
      );
    this.queue.reorder(jobId, index);
    return this.queue.queued();
  }

  private progress(path: string, action: EngineModelProgress['action']) {
    return (done: number, total: number, file: string) => this.opts.emitModelProgress?.({ path, action, done, total, file });
  }

  private async markVerified(path: string, level: 'fast' | 'full'): Promise<void> {
    await this.settings.update((s) => {
      const prev = s.verified[path];
      // A fast check after a full one does not lose the full one.
      if (prev?.level === 'full' && level === 'fast') return;
      s.verified[path] = { level, at: new Date().toISOString() };
    });
  }

  /** Registers a model folder (importing its manifest when it has none). */
  async importModel(path: string): Promise<ModelSummary> {
    const onProgress = this.progress(path, 'import');
    if (!existsSync(join(path, 'model.json'))) {
      await importModel(path, { onProgress });
      await this.markVerified(path, 'full');
    } else {
      await openModel(path, { verify: 'fast', onProgress });
      await this.markVerified(path, 'fast');
    }
    const list = await this.userModels();
    if (!list.includes(path) && path !== this.opts.bundledModel) {
      list.push(path);
      await this.writeRegistry(list);
    }
    const found = (await this.models()).find((m) => m.path === path);
    if (!found) throw new Error(`${path} could not be registered`);
    return found;
  }

  private async writeRegistry(list: string[]): Promise<void> {
    await mkdir(this.opts.dataDir, { recursive: true });
    const tmp = `${this.registryFile}.tmp`;
    await writeFile(tmp, JSON.stringify(list, null, 2));
    await rename(tmp, this.registryFile);
  }

  /** Checks an installed model (by id) or a model folder (by absolute path). */
  async verifyModel(ref: string, level: 'fast' | 'full'): Promise<{ ok: true }> {
    const path = await this.resolveModel(ref);
    await openModel(path, { verify: level, onProgress: this.progress(path, 'verify') });
    await this.markVerified(path, level);
    return { ok: true };
  }

  /**
   * Removes a model the user imported: its registry entry and the files its manifest lists (other
   * files in the folder stay). The bundled model and models with waiting or running jobs are refused.
   */
  async deleteModel(id: string): Promise<{ removedFiles: number }> {
    await this.models();
    const path = this.modelIds.get(id);
    if (!path) throw new Error(`No installed model "${id}". Import the model folder first.`);
    if (path === this.opts.bundledModel || id === 'default')
      throw new EngineRequestError('bad-request', 'The bundled model ships with the app and cannot be deleted.');
    const list = await this.userModels();
    if (!list.includes(path)) throw new EngineRequestError('bad-request', `${path} was not imported by Poster Studio; it is left alone.`);
    const busy = this.queue.list().filter((j) => j.params.model === path && (j.state === 'queued' || j.state === 'running'));
    if (busy.length)
      throw new EngineRequestError(
        'bad-request',
        `${busy.length} job${busy.length === 1 ? ' uses' : 's use'} this model; cancel ${busy.length === 1 ? 'it' : 'them'} or wait, then delete.`,
      );
    const manifest = await readManifest(path);
    await this.writeRegistry(list.filter((p) => p !== path));
    this.modelIds.delete(id);
    await this.settings.update((s) => {
      delete s.verified[path];
    });
    return { removedFiles: await deleteModelFiles(path, manifest) };
  }

  /** The RAM budget jobs plan with: the saved setting, else what was measured when the service started. */
  private async ramBudget(): Promise<{ bytes: number; source: string }> {
    const saved = (await this.settings.read()).ramBudgetBytes;
    if (saved) return { bytes: saved, source: 'setting' };
    const m = this.measured;
    return m ? { bytes: m.budgetBytes, source: describeBudget(m) } : { bytes: this.startBudgetBytes, source: 'given to the engine' };
  }

  /**
   * The offloading plan a job of this shape runs under the current budgets: the same plan the
   * engine process makes before the job (pipeline/offload.ts), from the model's configs and
   * tokenizer; no weights are loaded.
   */
  async plan(req: {
    id: string;
    width: number;
    height: number;
    steps: number;
    cfg: number;
    prompt?: string;
    negativePrompt?: string;
  }): Promise<EnginePlan> {
    const dir = await this.resolveModel(req.id);
    const model = await loadPipelineModel(dir);
    // A folder not imported yet has no manifest: its name is the folder's, its precision unknown.
    const manifest = await readManifest(dir).catch(() => undefined);
    const stored = manifest ? await storedPrecision(dir, manifest) : 'unknown precision';
    const precision = this.opts.engine?.precision ?? 'fp32';
    const ram = await this.ramBudget();
    const settings = await this.settings.read();
    let gpu: EnginePlan['gpu'] = settings.gpuBudgetBytes ? { bytes: settings.gpuBudgetBytes, source: 'setting' } : null;
    if (!gpu) {
      const g = await measureNvidiaFree();
      if (g) gpu = { bytes: g.budgetBytes, source: describeBudget(g) };
    }
    const head = [
      `Plan for ${manifest?.name ?? basename(dir)} at ${req.width}x${req.height}, ${req.steps} steps, CFG ${req.cfg}, weights stored as ${stored}${precision === stored ? '' : `, run as ${precision}`}.`,
      `RAM budget: ${formatBytes(ram.bytes)} (${ram.source}).`,
      gpu
        ? `GPU budget: ${formatBytes(gpu.bytes)} (${gpu.source}); the engine runs its graphs on the CPU provider, so weights stay in RAM or stream from disk.`
        : 'GPU budget: none (no GPU measured or set).',
    ];
    const base = { ram, gpu, precision, ramBudgetBytes: ram.bytes };
    const job: GenerateParams = {
      prompt: req.prompt?.trim() || 'a poster background with soft colour gradients and bokeh lights',
      negativePrompt: req.negativePrompt ?? '',
      width: req.width,
      height: req.height,
      steps: req.steps,
      cfg: req.cfg,
      seed: 0,
      model: dir,
    };
    try {
      const p = await planJobFor(model, job, { precision, ramBudgetBytes: ram.bytes });
      const cpu = p.devices.find((d) => d.kind === 'cpu');
      return {
        ...base,
        fits: true,
        text: [...head, formatPlan(p)].join('\n'),
        minRamBytes: cpu?.minBudgetBytes ?? 0,
        peakRamBytes: cpu?.peakBytes ?? 0,
        diskBytesPerStep: p.perStep.diskBytes,
      };
    } catch (e) {
      if (!(e instanceof PlanError)) throw e;
      return {
        ...base,
        fits: false,
        text: [...head, e.message].join('\n'),
        minRamBytes: e.minRamBytes,
        peakRamBytes: 0,
        diskBytesPerStep: 0,
      };
    }
  }

  async getSettings(): Promise<EngineSettingsView> {
    const s = await this.settings.read();
    return { ramBudgetBytes: s.ramBudgetBytes, gpuBudgetBytes: s.gpuBudgetBytes };
  }

  async setSettings(v: EngineSettingsView): Promise<EngineSettingsView> {
    const s = await this.settings.update((x) => {
      x.ramBudgetBytes = v.ramBudgetBytes;
      x.gpuBudgetBytes = v.gpuBudgetBytes;
    });
    return { ramBudgetBytes: s.ramBudgetBytes, gpuBudgetBytes: s.gpuBudgetBytes };
  }

  async close(): Promise<void> {
    if (this.executor instanceof ProcessExecutor) await this.executor.terminate();
  }
}

/** A request the engine understood but refuses (the API turns `kind` into its error code). */
export class EngineRequestError extends Error {
  constructor(
    readonly kind: 'bad-request' | 'not-found',
    message: string,
  ) {
    super(message);
    this.name = 'EngineRequestError';
  }
}
