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
import type { TextCheck } from '../text-check/index.js';
import { CancelledError, type GeneratedImage, type GenerateParams, type StepProgress } from '../types.js';
import type { FromWorker, ToWorker, WorkerConfig } from './messages.js';
import type { JobExecutor } from './queue.js';

/**
 * out/main/engine-worker.js, found from the module that runs this code: out/main/index.js or
 * serve.js (the worker beside it), a shared chunk in out/main/chunks/ (one folder up; this is
 * where the built app runs it from), or the source file electron/engine/runtime/host.ts (tests).
 */
export function defaultWorkerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'engine-worker.js'),
    join(here, '..', 'engine-worker.js'),
    join(here, '../../../out/main/engine-worker.js'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`The engine worker is missing (looked for ${candidates.join(', ')}); run the build first.`);
  return found;
}

interface Pending {
  resolve: (img: GeneratedImage) => void;
  reject: (err: Error) => void;
  onProgress: (p: StepProgress) => void;
}

interface PendingCheck {
  resolve: (r: TextCheck) => void;
  reject: (err: Error) => void;
}

/** One engine process and the jobs sent to it (a late event from a dead process touches only its own jobs). */
interface Engine {
  child: ChildProcess;
  pending: Map<string, Pending>;
  checks: Map<string, PendingCheck>;
  dead: boolean;
}

let checkCounter = 0;

export class ProcessExecutor implements JobExecutor {
  private engine: Engine | undefined;

  constructor(private readonly config: WorkerConfig & { workerPath?: string } = {}) {}

  private ensure(): Engine {
    if (this.engine && !this.engine.dead) return this.engine;
    const child = fork(this.config.workerPath ?? defaultWorkerPath(), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        ELECTRON_RUN_AS_NODE: '1',
        POSTER_ENGINE_CONFIG: JSON.stringify({
          threads: this.config.threads,
          cacheDir: this.config.cacheDir,
          precision: this.config.precision,
          int4BlockSize: this.config.int4BlockSize,
          providers: this.config.providers,
          ramBudgetBytes: this.config.ramBudgetBytes,
        } satisfies WorkerConfig),
      },
    });
    const engine: Engine = { child, pending: new Map(), checks: new Map(), dead: false };
    child.on('message', (raw) => {
      const msg = raw as FromWorker;
      const c = engine.checks.get(msg.id);
      if (c) {
        engine.checks.delete(msg.id);
        if (msg.type === 'textChecked') c.resolve(msg.result);
        else if (msg.type === 'error') c.reject(new Error(msg.message));
        return;
      }
      const p = engine.pending.get(msg.id);
      if (!p || msg.type === 'textChecked') return;
      if (msg.type === 'progress') p.onProgress(msg.progress);
      else {
        engine.pending.delete(msg.id);
        if (msg.type === 'done') p.resolve(msg.image);
        else p.reject(msg.cancelled ? new CancelledError() : new Error(msg.message));
      }
    });
    const fail = (why: string): void => {
      engine.dead = true;
      if (this.engine === engine) this.engine = undefined;
      for (const [id, p] of engine.pending) {
        engine.pending.delete(id);
        p.reject(
          new Error(
            `The image engine stopped unexpectedly (${why}). The job was not finished; try again, or use a smaller size if memory ran out.`,
          ),
        );
      }
      for (const [id, c] of engine.checks) {
        engine.checks.delete(id);
        c.reject(new Error(`The image engine stopped unexpectedly (${why}) during a text check; try again.`));
      }
      // The process may still be alive after an IPC error: make sure it goes.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    child.on('error', (err) => fail(err.message));
    child.on('disconnect', () => fail('the engine process closed its channel'));
    child.on('exit', (code, signal) => fail(signal ? `signal ${signal}` : `exit code ${code}`));
    this.engine = engine;
    return engine;
  }

  run(id: string, params: GenerateParams, opts: { signal: AbortSignal; onProgress: (p: StepProgress) => void }): Promise<GeneratedImage> {
    return new Promise((resolve, reject) => {
      if (opts.signal.aborted) {
        reject(new CancelledError());
        return;
      }
      const engine = this.ensure();
      const onAbort = (): void => {
        if (engine.child.connected) engine.child.send({ type: 'cancel', id } satisfies ToWorker, () => {});
      };
      const settle = (): void => opts.signal.removeEventListener('abort', onAbort);
      engine.pending.set(id, {
        resolve: (img) => {
          settle();
          resolve(img);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
        onProgress: opts.onProgress,
      });
      opts.signal.addEventListener('abort', onAbort, { once: true });
      // A send error (the process died in between) is reported through 'error'/'exit' -> fail().
      engine.child.send({ type: 'run', id, params } satisfies ToWorker, (err) => {
        if (err) {
          const p = engine.pending.get(id);
          engine.pending.delete(id);
          p?.reject(new Error(`The image engine could not take the job (${err.message}); try again.`));
        }
      });
    });
  }

  /** OCRs a PNG in the engine process and compares it with `expected` (see text-check/index.ts). */
  textCheck(png: Uint8Array, expected: string): Promise<TextCheck> {
    return new Promise((resolve, reject) => {
      const engine = this.ensure();
      const id = `check-${++checkCounter}`;
      engine.checks.set(id, { resolve, reject });
      engine.child.send({ type: 'textCheck', id, png, expected } satisfies ToWorker, (err) => {
        if (err && engine.checks.delete(id))
          reject(new Error(`The image engine could not take the text check (${err.message}); try again.`));
      });
    });
  }

  /** Stops the engine process (pending jobs fail). */
  async terminate(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    if (!engine) return;
    const { child } = engine;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
  }

  /** Kills the engine process the way the OS would after a native crash or out-of-memory. */
  kill(): void {
    this.engine?.child.kill('SIGKILL');
  }
}
