/**
 * Runs jobs in a separate engine process (child_process.fork of out/main/engine-worker.js, run
 * as plain Node inside Electron through ELECTRON_RUN_AS_NODE). Messages use the structured-clone
 * serialisation, so images arrive as typed arrays. If the engine process dies (a crash in native
 * code, out of memory), the running job fails with a clear message and the next job starts a
 * fresh process: the app itself never goes down.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelledError, type GeneratedImage, type GenerateParams, type StepProgress } from '../types.js';
import type { FromWorker, ToWorker, WorkerConfig } from './messages.js';
import type { JobExecutor } from './queue.js';

/** out/main/engine-worker.js next to the bundle that imports this module. */
export function defaultWorkerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'engine-worker.js'), join(here, '../../../out/main/engine-worker.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`The engine worker is missing (looked for ${candidates.join(', ')}); run the build first.`);
  return found;
}

interface Pending {
  resolve: (img: GeneratedImage) => void;
  reject: (err: Error) => void;
  onProgress: (p: StepProgress) => void;
}

export class ProcessExecutor implements JobExecutor {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly config: WorkerConfig & { workerPath?: string } = {}) {}

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(this.config.workerPath ?? defaultWorkerPath(), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        ELECTRON_RUN_AS_NODE: '1',
        POSTER_ENGINE_CONFIG: JSON.stringify({ threads: this.config.threads, cacheDir: this.config.cacheDir } satisfies WorkerConfig),
      },
    });
    child.on('message', (raw) => {
      const msg = raw as FromWorker;
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.type === 'progress') p.onProgress(msg.progress);
      else {
        this.pending.delete(msg.id);
        if (msg.type === 'done') p.resolve(msg.image);
        else p.reject(msg.cancelled ? new CancelledError() : new Error(msg.message));
      }
    });
    const fail = (why: string): void => {
      if (this.child === child) this.child = undefined;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(
          new Error(
            `The image engine stopped unexpectedly (${why}). The job was not finished; try again, or use a smaller size if memory ran out.`,
          ),
        );
      }
    };
    child.on('error', (err) => fail(err.message));
    child.on('exit', (code, signal) => fail(signal ? `signal ${signal}` : `exit code ${code}`));
    this.child = child;
    return child;
  }

  run(id: string, params: GenerateParams, opts: { signal: AbortSignal; onProgress: (p: StepProgress) => void }): Promise<GeneratedImage> {
    return new Promise((resolve, reject) => {
      if (opts.signal.aborted) {
        reject(new CancelledError());
        return;
      }
      const child = this.ensure();
      this.pending.set(id, { resolve, reject, onProgress: opts.onProgress });
      opts.signal.addEventListener('abort', () => child.connected && child.send({ type: 'cancel', id } satisfies ToWorker), { once: true });
      child.send({ type: 'run', id, params } satisfies ToWorker);
    });
  }

  /** Stops the engine process (pending jobs fail). */
  async terminate(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
  }

  /** Kills the engine process the way the OS would after a native crash or out-of-memory. */
  kill(): void {
    this.child?.kill('SIGKILL');
  }
}
