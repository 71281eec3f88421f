/**
 * The engine's job queue: FIFO, one job at a time, cancel (a queued job leaves at once, the
 * running one stops within a step), reorder, and events for every state change. A failing job
 * never stops the queue.
 */
import { CancelledError, type GeneratedImage, type GenerateParams, type StepProgress } from '../types.js';

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobInfo {
  id: string;
  params: GenerateParams;
  state: JobState;
  step: number;
  steps: number;
  error?: string;
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
}

export type JobEvent =
  | { type: 'queued'; job: JobInfo }
  | { type: 'started'; job: JobInfo }
  | { type: 'progress'; job: JobInfo; progress: StepProgress }
  | { type: 'done'; job: JobInfo; image: GeneratedImage }
  | { type: 'failed'; job: JobInfo; message: string }
  | { type: 'cancelled'; job: JobInfo };

/** Runs one job; must reject with CancelledError soon after `signal` aborts. */
export interface JobExecutor {
  run(id: string, params: GenerateParams, opts: { signal: AbortSignal; onProgress: (p: StepProgress) => void }): Promise<GeneratedImage>;
}

export class EngineQueue {
  private readonly jobs = new Map<string, JobInfo>();
  private readonly order: string[] = [];
  private running: { id: string; abort: AbortController } | undefined;
  private counter = 0;
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly executor: JobExecutor,
    private readonly keepFinished = 50,
  ) {}

  on(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: JobEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a listener's failure must not break the queue
      }
    }
  }

  enqueue(params: GenerateParams): string {
    this.counter += 1;
    const id = `job-${Date.now().toString(36)}-${this.counter}`;
    const job: JobInfo = { id, params, state: 'queued', step: 0, steps: params.steps, queuedAt: Date.now() };
    this.jobs.set(id, job);
    this.order.push(id);
    this.emit({ type: 'queued', job: { ...job } });
    queueMicrotask(() => void this.pump());
    return id;
  }

  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (job.state === 'queued') {
      this.order.splice(this.order.indexOf(id), 1);
      this.finish(job, 'cancelled');
      this.emit({ type: 'cancelled', job: { ...job } });
      return true;
    }
    if (job.state === 'running' && this.running?.id === id) {
      this.running.abort.abort();
      return true;
    }
    return false;
  }

  /** Moves a queued job to `index` among the queued jobs (clamped to the queue's ends). */
  reorder(id: string, index: number): boolean {
    const at = this.order.indexOf(id);
    if (at < 0) return false;
    this.order.splice(at, 1);
    this.order.splice(Math.max(0, Math.min(index, this.order.length)), 0, id);
    return true;
  }

  /** Queued job ids in the order they will run. */
  queued(): string[] {
    return [...this.order];
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => ({ ...j }));
  }

  get(id: string): JobInfo | undefined {
    const j = this.jobs.get(id);
    return j ? { ...j } : undefined;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.running && this.order.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private finish(job: JobInfo, state: JobState, error?: string): void {
    job.state = state;
    job.finishedAt = Date.now();
    if (error) job.error = error;
    const done = [...this.jobs.values()].filter((j) => j.finishedAt !== undefined);
    for (const old of done.slice(0, Math.max(0, done.length - this.keepFinished))) this.jobs.delete(old.id);
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const id = this.order.shift();
    if (!id) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    const job = this.jobs.get(id) as JobInfo;
    const abort = new AbortController();
    this.running = { id, abort };
    job.state = 'running';
    job.startedAt = Date.now();
    this.emit({ type: 'started', job: { ...job } });
    try {
      const image = await this.executor.run(id, job.params, {
        signal: abort.signal,
        onProgress: (p) => {
          job.step = p.step;
          this.emit({ type: 'progress', job: { ...job }, progress: p });
        },
      });
      if (abort.signal.aborted) throw new CancelledError();
      this.finish(job, 'done');
      this.emit({ type: 'done', job: { ...job }, image });
    } catch (err) {
      if (err instanceof CancelledError || (err as Error)?.name === 'CancelledError' || abort.signal.aborted) {
        this.finish(job, 'cancelled');
        this.emit({ type: 'cancelled', job: { ...job } });
      } else {
        const message = (err as Error)?.message ?? String(err);
        this.finish(job, 'failed', message);
        this.emit({ type: 'failed', job: { ...job }, message });
      }
    } finally {
      this.running = undefined;
      void this.pump();
    }
  }
}
