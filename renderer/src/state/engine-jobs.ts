// The engine as the panels share it: installed models and the selected one, and the jobs of
// this window with their latest step preview, in queue order. Job events are applied at most
// once an animation frame, so a burst of step previews costs one render, not one per event.
import { useSyncExternalStore } from 'react';
import type { EngineJob, EngineJobEvent, EngineModel, PosterApi } from '../../../core/api/contract';

export interface JobRow {
  job: EngineJob;
  /** Data URL of the latest step preview. */
  preview?: string;
  /** The frame (element id) the image fills, if one was selected when it was asked for. */
  target?: string;
  image?: EngineJobEvent['image'];
}

export interface EngineJobsState {
  /** Running first, then queued in the order they will run, then finished ones, newest first. */
  rows: JobRow[];
  models: EngineModel[] | null;
  modelId: string | null;
}

const ACTIVE = new Set<EngineJob['state']>(['queued', 'running']);
const RANK: Record<EngineJob['state'], number> = { running: 0, queued: 1, done: 2, failed: 2, cancelled: 2 };

/** Keeps running/queued rows in their order and puts finished ones after, most recent first. */
function arrange(rows: JobRow[]): JobRow[] {
  const active = rows.filter((r) => ACTIVE.has(r.job.state)).sort((a, b) => RANK[a.job.state] - RANK[b.job.state]);
  const finished = rows.filter((r) => !ACTIVE.has(r.job.state)).sort((a, b) => (b.job.finishedAt ?? 0) - (a.job.finishedAt ?? 0));
  return [...active, ...finished];
}

export type GenerateArgs = Omit<EngineJob, 'id' | 'state' | 'step' | 'steps' | 'error' | 'queuedAt' | 'startedAt' | 'finishedAt'> & {
  steps: number;
};

export class EngineJobs {
  private state: EngineJobsState = { rows: [], models: null, modelId: null };
  private readonly listeners = new Set<() => void>();
  private pending: EngineJobEvent[] = [];
  private frame = 0;
  private readonly imageListeners = new Set<(e: EngineJobEvent, row: JobRow) => void>();

  constructor(
    private readonly api: PosterApi,
    private readonly report: (e: unknown) => void,
  ) {
    api.on('engine.job', (e) => {
      // Finished images go out at once (placing them must not wait for a frame); previews batch.
      if (e.image || !ACTIVE.has(e.job.state)) this.apply([e]);
      else this.schedule(e);
    });
  }

  readonly subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  readonly getState = (): EngineJobsState => this.state;

  private set(next: Partial<EngineJobsState>): void {
    this.state = { ...this.state, ...next };
    for (const l of this.listeners) l();
  }

  /** Calls `listener` when a job's image is ready (once per job). */
  onImage(listener: (e: EngineJobEvent, row: JobRow) => void): () => void {
    this.imageListeners.add(listener);
    return () => this.imageListeners.delete(listener);
  }

  private schedule(e: EngineJobEvent): void {
    this.pending.push(e);
    if (this.frame) return;
    const flush = () => {
      this.frame = 0;
      const batch = this.pending;
      this.pending = [];
      this.apply(batch);
    };
    this.frame = typeof requestAnimationFrame === 'function' ? requestAnimationFrame(flush) : (setTimeout(flush, 16) as unknown as number);
  }

  private apply(events: EngineJobEvent[]): void {
    // Events queued for the next frame come before this one.
    if (this.pending.length && events.some((e) => !ACTIVE.has(e.job.state) || e.image)) {
      events = [...this.pending, ...events];
      this.pending = [];
    }
    let rows = this.state.rows;
    const images: [EngineJobEvent, JobRow][] = [];
    for (const e of events) {
      const at = rows.findIndex((r) => r.job.id === e.job.id);
      const old = at >= 0 ? (rows[at] as JobRow) : undefined;
      // A late progress event must not turn a finished job back into a running one.
      if (old && !ACTIVE.has(old.job.state) && ACTIVE.has(e.job.state)) continue;
      const row: JobRow = { ...old, job: e.job, preview: e.preview ?? old?.preview, image: e.image ?? old?.image };
      rows = at >= 0 ? rows.map((r, i) => (i === at ? row : r)) : [...rows, row];
      if (e.image && !old?.image) images.push([e, row]);
    }
    this.set({ rows: arrange(rows) });
    for (const [e, row] of images) for (const l of this.imageListeners) l(e, row);
  }

  async refreshModels(): Promise<EngineModel[]> {
    try {
      const models = await this.api.call('engine.models', {});
      const keep = models.some((m) => m.id === this.state.modelId);
      this.set({ models, modelId: keep ? this.state.modelId : (models[0]?.id ?? null) });
      return models;
    } catch (e) {
      this.set({ models: this.state.models ?? [] });
      this.report(e);
      return this.state.models ?? [];
    }
  }

  selectModel(id: string): void {
    this.set({ modelId: id });
  }

  /** Starts a job; its row appears at once, as queued. */
  async generate(args: GenerateArgs, target?: string): Promise<string | undefined> {
    try {
      const { jobId } = await this.api.call('engine.generate', {
        prompt: args.prompt,
        negativePrompt: args.negativePrompt,
        width: args.width,
        height: args.height,
        steps: args.steps,
        cfg: args.cfg,
        seed: args.seed,
        model: args.model,
        ...(args.paintText ? { paintText: args.paintText } : {}),
      });
      const rows = this.state.rows;
      const existing = rows.find((r) => r.job.id === jobId);
      if (existing) this.set({ rows: rows.map((r) => (r === existing ? { ...r, target } : r)) });
      else {
        const job: EngineJob = { ...args, id: jobId, state: 'queued', step: 0, queuedAt: Date.now() };
        this.set({ rows: arrange([...rows, { job, target }]) });
      }
      return jobId;
    } catch (e) {
      this.report(e);
      return undefined;
    }
  }

  /** Runs a failed or cancelled job's settings again, as a new job at the end of the queue. */
  retry(id: string): Promise<string | undefined> {
    const row = this.state.rows.find((r) => r.job.id === id);
    if (!row) return Promise.resolve(undefined);
    if (row.job.regionOf) {
      this.report(new Error('A region job is run again from the Generate panel: select the image and regenerate the region.'));
      return Promise.resolve(undefined);
    }
    const { prompt, negativePrompt, width, height, steps, cfg, seed, model, paintText } = row.job;
    return this.generate({ prompt, negativePrompt, width, height, steps, cfg, seed, model, paintText }, row.target);
  }

  async cancel(id: string): Promise<void> {
    await this.api.call('engine.cancel', { jobId: id }).catch(this.report);
  }

  queuedIds(): string[] {
    return this.state.rows.filter((r) => r.job.state === 'queued').map((r) => r.job.id);
  }

  /** Moves a queued job to `index` among the queued jobs; the list follows the engine's answer. */
  async moveTo(id: string, index: number): Promise<void> {
    const queued = this.queuedIds();
    const from = queued.indexOf(id);
    if (from < 0 || index < 0 || index >= queued.length || index === from) return;
    const order = [...queued];
    order.splice(from, 1);
    order.splice(index, 0, id);
    this.applyQueueOrder(order);
    try {
      this.applyQueueOrder((await this.api.call('engine.reorder', { id, index })).queued);
    } catch (e) {
      // Most often the job started meanwhile; the list shows what the engine has.
      this.applyQueueOrder(queued);
      this.report(e);
    }
  }

  private applyQueueOrder(order: string[]): void {
    const rows = this.state.rows;
    const byId = new Map(rows.map((r) => [r.job.id, r]));
    const queued = order.map((id) => byId.get(id)).filter((r): r is JobRow => r?.job.state === 'queued');
    const rest = rows.filter((r) => r.job.state === 'queued' && !order.includes(r.job.id));
    const running = rows.filter((r) => r.job.state === 'running');
    const finished = rows.filter((r) => !ACTIVE.has(r.job.state));
    this.set({ rows: [...running, ...queued, ...rest, ...finished] });
  }

  targetOf(id: string): string | undefined {
    return this.state.rows.find((r) => r.job.id === id)?.target;
  }
}

export function useEngineJobs<T>(jobs: EngineJobs, select: (s: EngineJobsState) => T): T {
  return useSyncExternalStore(jobs.subscribe, () => select(jobs.getState()));
}
