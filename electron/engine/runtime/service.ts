/**
 * The engine as the app's back end sees it: installed models (the bundled default plus folders
 * the user registered), a job queue running in the engine process, and job events with small
 * PNG previews. Finished images go into the session's asset store, so the canvas places them
 * like any imported image.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize } from 'node:path';
import type { EngineJobEvent, EnginePlan, EngineJob as JobSummary, EngineModel as ModelSummary } from '../../../core/api/contract.js';
import { importModel, openModel, readManifest } from '../model/manifest.js';
import { loadPipelineModel } from '../pipeline/model.js';
import { planJobFor } from '../pipeline/offload.js';
import { defaultRamBudget, formatPlan, PlanError } from '../plan/index.js';
import type { GeneratedImage, GenerateParams, StepProgress } from '../types.js';
import { ProcessExecutor } from './host.js';
import { EngineQueue, type JobEvent, type JobExecutor, type JobInfo } from './queue.js';
import { settingsText } from './settings.js';

export type { EngineJobEvent };

export interface EngineServiceOptions {
  dataDir: string;
  bundledModel: string | null;
  encodePng: (rgb: Uint8Array, width: number, height: number, text: Record<string, string>) => Uint8Array;
  storeImage: (name: string, png: Uint8Array) => Promise<{ sha256: string }>;
  emit: (event: EngineJobEvent) => void;
  executor?: JobExecutor;
  threads?: number;
  /** RAM budget for every job's offloading plan; default: free memory when the service starts, minus a reserve. */
  ramBudgetBytes?: number;
}

export type GenerateRequest = Omit<GenerateParams, 'model'> & { model: string };

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
  /** The budget the engine process plans with, so engine.plan shows what a job will do. */
  readonly ramBudgetBytes: number;

  constructor(private readonly opts: EngineServiceOptions) {
    this.ramBudgetBytes = opts.ramBudgetBytes ?? defaultRamBudget().budgetBytes;
    this.executor =
      opts.executor ??
      new ProcessExecutor({ threads: opts.threads, cacheDir: join(opts.dataDir, 'graph-cache'), ramBudgetBytes: this.ramBudgetBytes });
    this.queue = new EngineQueue(this.executor);
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
      error: job.error,
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
    const png = this.opts.encodePng(image.rgb, image.width, image.height, settingsText(p, this.summary(job).model));
    const { sha256 } = await this.opts.storeImage(`generated-${p.seed}.png`, png);
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
    const add = async (path: string, source: ModelSummary['source']): Promise<void> => {
      if (!existsSync(path)) return;
      let name = basename(path);
      try {
        name = (await readManifest(path)).name;
      } catch {
        // not imported yet: the folder name will do
      }
      const id = source === 'bundled' ? 'default' : `user-${out.length}-${basename(path).replace(/[^a-zA-Z0-9_-]/g, '_')}`.slice(0, 64);
      this.modelIds.set(id, path);
      out.push({ id, name, path, source, bytes: await folderBytes(path) });
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
    return this.queue.enqueue({ ...req, model });
  }

  /** The offloading plan a job would run (from the model's configs and tokenizer; nothing is loaded). */
  async plan(req: Omit<GenerateRequest, 'seed'>): Promise<EnginePlan> {
    const dir = await this.resolveModel(req.model);
    const model = await loadPipelineModel(dir);
    const budget = this.ramBudgetBytes;
    try {
      const p = await planJobFor(model, { ...req, seed: 0, model: dir }, { ramBudgetBytes: budget });
      const ram = p.devices.find((d) => d.kind === 'cpu');
      return {
        fits: true,
        text: formatPlan(p),
        ramBudgetBytes: budget,
        minRamBytes: ram?.minBudgetBytes ?? 0,
        peakRamBytes: ram?.peakBytes ?? 0,
        diskBytesPerStep: p.perStep.diskBytes,
      };
    } catch (e) {
      if (!(e instanceof PlanError)) throw e;
      return { fits: false, text: e.message, ramBudgetBytes: budget, minRamBytes: e.minRamBytes, peakRamBytes: 0, diskBytesPerStep: 0 };
    }
  }

  cancel(jobId: string): boolean {
    return this.queue.cancel(jobId);
  }

  jobs(): JobSummary[] {
    return this.queue.list().map((j) => this.summary(j));
  }

  /** Registers a model folder (importing its manifest when it has none). */
  async importModel(path: string, onProgress?: (done: number, total: number, file: string) => void): Promise<ModelSummary> {
    if (!existsSync(join(path, 'model.json'))) await importModel(path, { onProgress });
    else await openModel(path, { verify: 'fast' });
    const list = await this.userModels();
    if (!list.includes(path) && path !== this.opts.bundledModel) {
      list.push(path);
      await mkdir(this.opts.dataDir, { recursive: true });
      const tmp = `${this.registryFile}.tmp`;
      await writeFile(tmp, JSON.stringify(list, null, 2));
      await rename(tmp, this.registryFile);
    }
    const found = (await this.models()).find((m) => m.path === path);
    if (!found) throw new Error(`${path} could not be registered`);
    return found;
  }

  /** Checks an installed model (by id) or a model folder (by absolute path). */
  async verifyModel(ref: string, level: 'fast' | 'full'): Promise<{ ok: true }> {
    await openModel(await this.resolveModel(ref), { verify: level });
    return { ok: true };
  }

  async close(): Promise<void> {
    if (this.executor instanceof ProcessExecutor) await this.executor.terminate();
  }
}
