// The engine queue's own semantics (FIFO, cancel of a queued and of a running job, reorder, a job
// after a failed one, event order, listener isolation), run against a small deterministic
// generator that really takes time per step and really honours its AbortSignal; then the real
// built engine process (out/main/engine-worker.js) and CLI on a tiny model for what the host and
// the CLI add (engine-queue.test.ts and generate-cli.test.ts cover the rest).
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../core/api/contract';
import { createBackend } from '../../electron/api/backend';
import { ProcessExecutor } from '../../electron/engine/runtime/host';
import { EngineQueue, type JobEvent, type JobExecutor } from '../../electron/engine/runtime/queue';
import { ENGINE_VERSION } from '../../electron/engine/runtime/settings';
import {
  CancelledError,
  type GeneratedImage,
  type GenerateParams,
  type ImageGenerator,
  type RunOptions,
} from '../../electron/engine/types';
import { readPngText } from '../../electron/export/png-stream';
import { makeTinyQwenImage } from './tiny';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Takes `stepMs` per step, fails for the prompt "fail" (at step `failAt`), stops within a step when aborted. */
class StepGenerator implements ImageGenerator {
  constructor(
    private readonly stepMs: number,
    private readonly failAt = 1,
  ) {}
  calls: string[] = [];

  async generate(params: GenerateParams, options: RunOptions = {}): Promise<GeneratedImage> {
    this.calls.push(params.prompt);
    const t0 = performance.now();
    for (let step = 1; step <= params.steps; step++) {
      if (options.signal?.aborted) throw new CancelledError();
      await sleep(this.stepMs);
      if (options.signal?.aborted) throw new CancelledError();
      if (params.prompt === 'fail' && step === this.failAt) throw new Error(`out of ideas at step ${step}`);
      options.onProgress?.({ step, steps: params.steps, preview: { width: 2, height: 1, rgb: new Uint8Array([step, 0, 0, 0, step, 0]) } });
    }
    const rgb = new Uint8Array(params.width * params.height * 3).fill(params.seed % 256);
    return { width: params.width, height: params.height, rgb, timings: { encodeMs: 0, denoiseMs: performance.now() - t0, decodeMs: 0 } };
  }

  async dispose(): Promise<void> {}
}

const executorOf = (gen: ImageGenerator): JobExecutor => ({ run: (_id, params, opts) => gen.generate(params, opts) });

const params = (over: Partial<GenerateParams> = {}): GenerateParams => ({
  prompt: 'dots',
  negativePrompt: '',
  width: 4,
  height: 4,
  steps: 3,
  cfg: 1,
  seed: 1,
  model: '/models/test',
  ...over,
});

function harness(stepMs = 5, keepFinished?: number) {
  const gen = new StepGenerator(stepMs);
  const queue = new EngineQueue(executorOf(gen), keepFinished);
  const events: JobEvent[] = [];
  queue.on((e) => events.push(e));
  const waitFor = (id: string, types: JobEvent['type'][]): Promise<JobEvent> =>
    new Promise((resolve) => {
      const hit = events.find((e) => e.job.id === id && types.includes(e.type));
      if (hit) return resolve(hit);
      const off = queue.on((e) => {
        if (e.job.id === id && types.includes(e.type)) {
          off();
          resolve(e);
        }
      });
    });
  const trace = (id: string) =>
    events.filter((e) => e.job.id === id).map((e) => (e.type === 'progress' ? `progress ${e.progress.step}` : e.type));
  return { gen, queue, events, waitFor, trace };
}

describe('EngineQueue', () => {
  it('runs jobs one at a time in FIFO order with queued, started, progress per step and done, in that order', async () => {
    const { queue, events, trace, gen } = harness();
    const ids = ['a', 'b', 'c'].map((prompt, i) => queue.enqueue(params({ prompt, seed: i })));
    expect(new Set(ids).size).toBe(3);
    expect(queue.list().map((j) => j.state)).toEqual(['queued', 'queued', 'queued']);
    await queue.idle();
    expect(gen.calls).toEqual(['a', 'b', 'c']);
    for (const id of ids) expect(trace(id)).toEqual(['queued', 'started', 'progress 1', 'progress 2', 'progress 3', 'done']);
    // One at a time: every start comes after the previous job's end.
    const at = (id: string, type: JobEvent['type']) => events.findIndex((e) => e.job.id === id && e.type === type);
    expect(at(ids[1] as string, 'started')).toBeGreaterThan(at(ids[0] as string, 'done'));
    expect(at(ids[2] as string, 'started')).toBeGreaterThan(at(ids[1] as string, 'done'));
    let running = 0;
    for (const e of events) {
      if (e.type === 'started') running++;
      if (e.type === 'done') running--;
      expect(running).toBeLessThanOrEqual(1);
    }
    const done = events.find((e) => e.job.id === ids[2] && e.type === 'done');
    expect(done?.type === 'done' && [done.image.width, done.image.rgb.length, done.image.rgb[0]]).toEqual([4, 48, 2]);
    const progress = events.find((e) => e.type === 'progress');
    expect(progress?.type === 'progress' && progress.progress.preview?.rgb.length).toBe(6);
    expect(queue.list().map((j) => [j.state, j.step, j.steps])).toEqual([
      ['done', 3, 3],
      ['done', 3, 3],
      ['done', 3, 3],
    ]);
  });

  it('events carry snapshots, not the live job', async () => {
    const { queue, events } = harness();
    const id = queue.enqueue(params());
    await queue.idle();
    const states = events.filter((e) => e.job.id === id).map((e) => e.job.state);
    expect(states).toEqual(['queued', 'running', 'running', 'running', 'running', 'done']);
  });

  it('removes a cancelled queued job at once: it never starts, and the rest keep their order', async () => {
    const { queue, trace, gen } = harness();
    const a = queue.enqueue(params({ prompt: 'a' }));
    const b = queue.enqueue(params({ prompt: 'b' }));
    const c = queue.enqueue(params({ prompt: 'c' }));
    expect(queue.cancel(b)).toBe(true);
    // At once: synchronously, before anything else runs.
    expect(queue.get(b)?.state).toBe('cancelled');
    expect(trace(b)).toEqual(['queued', 'cancelled']);
    expect(queue.cancel(b)).toBe(false);
    await queue.idle();
    expect(gen.calls).toEqual(['a', 'c']);
    expect(trace(a).at(-1)).toBe('done');
    expect(trace(b)).toEqual(['queued', 'cancelled']);
    expect(trace(c).at(-1)).toBe('done');
  });

  it('stops a running job within one step, reports it as cancelled (not failed) and starts the next', async () => {
    const stepMs = 40;
    const { queue, events, waitFor, trace } = harness(stepMs);
    const long = queue.enqueue(params({ prompt: 'long', steps: 100 }));
    const next = queue.enqueue(params({ prompt: 'next', steps: 2 }));
    await new Promise<void>((resolve) => {
      const off = queue.on((e) => {
        if (e.job.id === long && e.type === 'progress' && e.progress.step === 2) {
          off();
          resolve();
        }
      });
    });
    const t0 = performance.now();
    expect(queue.cancel(long)).toBe(true);
    const seen = events.length;
    const end = await waitFor(long, ['cancelled', 'failed', 'done']);
    const took = performance.now() - t0;
    expect(end.type).toBe('cancelled');
    expect(end.job.state).toBe('cancelled');
    expect(end.job.error).toBeUndefined();
    // Within a step: no progress after the cancel (below); the time bound leaves room for a loaded machine.
    expect(took).toBeLessThan(stepMs * 2 + 400);
    expect(events.slice(seen).filter((e) => e.job.id === long && e.type === 'progress')).toEqual([]);
    expect((await waitFor(next, ['done', 'failed', 'cancelled'])).type).toBe('done');
    expect(trace(next)).toEqual(['queued', 'started', 'progress 1', 'progress 2', 'done']);
    expect(queue.cancel(long)).toBe(false);
    expect(queue.cancel(next)).toBe(false);
    expect(queue.cancel('job-nope')).toBe(false);
  });

  it('reports a failed job with its message and runs the job after it', async () => {
    const { queue, waitFor, trace } = harness();
    const bad = queue.enqueue(params({ prompt: 'fail' }));
    const good = queue.enqueue(params({ prompt: 'good' }));
    const fb = await waitFor(bad, ['failed', 'done', 'cancelled']);
    expect(fb.type).toBe('failed');
    expect(fb.type === 'failed' && fb.message).toBe('out of ideas at step 1');
    expect(queue.get(bad)).toMatchObject({ state: 'failed', error: 'out of ideas at step 1' });
    expect(trace(bad)).toEqual(['queued', 'started', 'failed']);
    expect((await waitFor(good, ['done', 'failed'])).type).toBe('done');
  });

  it('keeps going after an executor that throws a non-Error or resolves after its signal aborted', async () => {
    let calls = 0;
    const queue = new EngineQueue({
      run: async (_id, _params, { signal }) => {
        calls++;
        if (calls === 1) throw 'a string';
        if (calls === 2) {
          // Ignores the abort and finishes anyway: still reported as cancelled.
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          return { width: 1, height: 1, rgb: new Uint8Array(3), timings: { encodeMs: 0, denoiseMs: 0, decodeMs: 0 } };
        }
        return { width: 1, height: 1, rgb: new Uint8Array(3), timings: { encodeMs: 0, denoiseMs: 0, decodeMs: 0 } };
      },
    });
    const events: JobEvent[] = [];
    queue.on((e) => events.push(e));
    const a = queue.enqueue(params());
    const b = queue.enqueue(params());
    const c = queue.enqueue(params());
    await new Promise<void>((resolve) => {
      const off = queue.on((e) => {
        if (e.job.id === b && e.type === 'started') {
          off();
          resolve();
        }
      });
    });
    queue.cancel(b);
    await queue.idle();
    const last = (id: string) => events.filter((e) => e.job.id === id).at(-1);
    expect(last(a)).toMatchObject({ type: 'failed', message: 'a string' });
    expect(last(b)?.type).toBe('cancelled');
    expect(last(c)?.type).toBe('done');
  });

  it('reorders queued jobs; the running job and unknown ids are left alone', async () => {
    const { queue, gen } = harness(10);
    const a = queue.enqueue(params({ prompt: 'a' }));
    const b = queue.enqueue(params({ prompt: 'b' }));
    const c = queue.enqueue(params({ prompt: 'c' }));
    const d = queue.enqueue(params({ prompt: 'd' }));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(queue.get(a)?.state).toBe('running');
    expect(queue.reorder(a, 0)).toBe(false);
    expect(queue.reorder('job-nope', 0)).toBe(false);
    expect(queue.reorder(d, 0)).toBe(true);
    expect(queue.reorder(b, 99)).toBe(true);
    await queue.idle();
    expect(gen.calls).toEqual(['a', 'd', 'c', 'b']);
    void c;
  });

  it('a listener that throws breaks neither the queue nor the other listeners', async () => {
    const { queue, trace } = harness();
    queue.on(() => {
      throw new Error('bad listener');
    });
    const id = queue.enqueue(params());
    await queue.idle();
    expect(trace(id).at(-1)).toBe('done');
  });

  it('forgets the oldest finished jobs beyond its limit, never a queued or running one', async () => {
    const { queue } = harness(1, 2);
    const ids = Array.from({ length: 5 }, (_, i) => queue.enqueue(params({ seed: i, steps: 1 })));
    await queue.idle();
    expect(queue.list().map((j) => j.id)).toEqual(ids.slice(3));
    const again = queue.enqueue(params({ steps: 1 }));
    expect(queue.list().map((j) => j.id)).toEqual([...ids.slice(3), again]);
    await queue.idle();
    expect(queue.list().map((j) => j.id)).toEqual([ids[4], again]);
  });

  it('idle() resolves at once when nothing is queued and after the last job otherwise', async () => {
    const { queue, trace } = harness();
    await queue.idle();
    const id = queue.enqueue(params());
    await queue.idle();
    expect(trace(id).at(-1)).toBe('done');
  });
});

const ROOT = join(import.meta.dirname, '../..');
const WORKER = join(ROOT, 'out/main/engine-worker.js');
const BIN = join(ROOT, 'bin/poster.mjs');

describe('the built engine process and CLI on a tiny model', () => {
  const work = mkdtempSync(join(tmpdir(), 'runtime-'));
  const model = join(work, 'tiny');
  let executor: ProcessExecutor;

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error('build first (npx electron-vite build): out/main/engine-worker.js is missing');
    await makeTinyQwenImage(model);
    executor = new ProcessExecutor({ workerPath: WORKER, threads: 1, cacheDir: join(work, 'cache') });
  }, 60_000);

  afterAll(async () => {
    await executor?.terminate();
  });

  it('a late event from a dead engine process does not fail the job running in its replacement', async () => {
    const queue = new EngineQueue(executor);
    const events: JobEvent[] = [];
    queue.on((e) => events.push(e));
    const small = params({ model, width: 64, height: 64, steps: 3, cfg: 2 });
    const victim = queue.enqueue({ ...small, steps: 60, width: 128, height: 128 });
    const next = queue.enqueue(small);
    let old: ChildProcess | undefined;
    await new Promise<void>((resolve) => {
      const off = queue.on((e) => {
        if (e.job.id === victim && e.type === 'progress') {
          off();
          old = (executor as unknown as { engine: { child: ChildProcess } }).engine.child;
          executor.kill();
          resolve();
        }
      });
    });
    // The next job is sent to a fresh process; then the dead one reports one more error.
    await new Promise<void>((resolve) => {
      const off = queue.on((e) => {
        if (e.job.id === next && e.type === 'started') {
          off();
          resolve();
        }
      });
    });
    old?.emit('error', new Error('late error from the old process'));
    await queue.idle();
    const last = (id: string) => events.filter((e) => e.job.id === id).at(-1);
    expect(last(victim)).toMatchObject({ type: 'failed', message: expect.stringMatching(/stopped unexpectedly/) });
    expect(last(next)?.type).toBe('done');
    const image = last(next);
    expect(image?.type === 'done' && image.image.rgb.length).toBe(64 * 64 * 3);
    expect(image?.type === 'done' && image.image.rgb).toBeInstanceOf(Uint8Array);
  }, 90_000);

  it('the CLI writes the engine version with the settings into the PNG', async () => {
    const out = join(work, 'v.png');
    const r = await promisify(execFile)(
      process.execPath,
      [
        BIN,
        'generate',
        '--prompt',
        'dots',
        '--size',
        '64x64',
        '--steps',
        '2',
        '--seed',
        '3',
        '--model',
        model,
        '--threads',
        '1',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stdout).toMatch(/Wrote .*v\.png .* Seed 3\./);
    expect(readPngText(readFileSync(out))).toMatchObject({ engine: ENGINE_VERSION, seed: '3', steps: '2', size: '64x64', model: 'tiny' });
  }, 60_000);

  it('without --model and without a bundled model, says so and exits with 2', async () => {
    // A copy of the built CLI laid out like an installed app without its models folder.
    const app = join(work, 'no-model-app');
    cpSync(join(ROOT, 'out'), join(app, 'out'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'junction');
    const r = await promisify(execFile)(
      process.execPath,
      [join(app, 'out/main/poster.js'), 'generate', '--prompt', 'x', '--out', join(work, 'none.png')],
      {
        encoding: 'utf8',
        cwd: work,
        env: { ...process.env, POSTER_MODEL: '' },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/No bundled model found at native-models\/default.*pass --model DIR/);
    expect(existsSync(join(work, 'none.png'))).toBe(false);
  }, 60_000);
});

describe('engine API with a model folder path (dispatch, real engine process)', () => {
  const work = mkdtempSync(join(tmpdir(), 'runtime-api-'));
  const model = join(work, 'tiny');
  let backend: Awaited<ReturnType<typeof createBackend>>;
  const jobEvents: { state: string; id: string; error?: string }[] = [];

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error('build first (npx electron-vite build): out/main/engine-worker.js is missing');
    await makeTinyQwenImage(model);
    backend = await createBackend({
      dataDir: join(work, 'data'),
      projectsDir: join(work, 'projects'),
      shell: { transport: 'web' },
      bundledModel: null,
      emit: (event, payload) => {
        if (event !== 'engine.job') return;
        const { job } = payload as ApiEvents['engine.job'];
        jobEvents.push({ state: job.state, id: job.id, error: job.error });
      },
      log: () => {},
    });
  }, 60_000);

  afterAll(async () => {
    await backend?.engine.close();
  });

  it('generates from an absolute model folder that was never imported', async () => {
    const res = await backend.dispatch('engine.generate', { prompt: 'dots', width: 64, height: 64, steps: 2, cfg: 1, seed: 4, model });
    expect(res.ok, JSON.stringify(res)).toBe(true);
    const { jobId } = (res as { value: { jobId: string } }).value;
    // The done event follows the queue's own by the time it takes to store the PNG.
    await backend.engine.queue.idle();
    await expect.poll(() => jobEvents.filter((e) => e.id === jobId).at(-1)?.state).toMatch(/done|failed|cancelled/);
    const end = jobEvents.filter((e) => e.id === jobId).at(-1);
    expect(end?.state, end?.error).toBe('done');
    expect(jobEvents.filter((e) => e.id === jobId).map((e) => e.state)[0]).toBe('queued');
  }, 60_000);

  it('refuses relative paths, missing folders and files as the model', async () => {
    const base = { prompt: 'x', width: 64, height: 64, steps: 1, cfg: 1, seed: 0 };
    expect(await backend.dispatch('engine.generate', { ...base, model: 'models/x' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/expected a model id or the absolute path/) },
    });
    expect(await backend.dispatch('engine.generate', { ...base, model: join(work, 'nowhere') })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(await backend.dispatch('engine.generate', { ...base, model: join(model, 'model_index.json') })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(await backend.dispatch('engine.generate', { ...base, width: 2064, model })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
  });

  it('verifies a model folder by path, and wants exactly one of id and path', async () => {
    expect(await backend.dispatch('engine.verifyModel', { path: model, level: 'fast' })).toEqual({ ok: true, value: { ok: true } });
    expect(await backend.dispatch('engine.verifyModel', { path: join(work, 'nowhere') })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(await backend.dispatch('engine.verifyModel', {})).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await backend.dispatch('engine.verifyModel', { id: 'default', path: model })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/either id .* or path/) },
    });
  });
});

// Run from a copy laid out like the installed app (<app>/out, <app>/package.json, <app>/node_modules),
// away from the source tree, so the worker must be found next to the built bundle and nowhere else.
describe('the built app back end (out/main/serve.js) finds and runs the engine process', () => {
  const work = mkdtempSync(join(tmpdir(), 'runtime-serve-'));
  const model = join(work, 'tiny');
  const token = 'runtime-test-token';
  let server: ChildProcess | undefined;
  let base = '';

  async function call(method: string, args: unknown): Promise<{ ok: boolean; value?: unknown; error?: { message: string } }> {
    const res = await fetch(`${base}/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ method, args }),
    });
    return (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
  }

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'out/main/serve.js')))
      throw new Error('build first (npx electron-vite build): out/main/serve.js is missing');
    const app = join(work, 'app');
    cpSync(join(ROOT, 'out'), join(app, 'out'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'junction');
    const serve = join(app, 'out/main/serve.js');
    await makeTinyQwenImage(model);
    const child = spawn(
      process.execPath,
      [serve, '--port', '0', '--data-dir', join(work, 'data'), '--projects-dir', join(work, 'projects')],
      {
        env: { ...process.env, POSTER_TOKEN: token, POSTER_MODEL: model },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    server = child;
    let out = '';
    base = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (d) => {
        out += d;
        const m = out.match(/(http:\/\/127\.0\.0\.1:\d+)/);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
  }, 60_000);

  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('lists the bundled model and generates with it', async () => {
    const models = await call('engine.models', {});
    expect(models).toMatchObject({ ok: true, value: [{ id: 'default', path: model, source: 'bundled' }] });
    const started = await call('engine.generate', { prompt: 'dots', width: 64, height: 64, steps: 2, cfg: 1, seed: 9, model: 'default' });
    expect(started.ok, JSON.stringify(started)).toBe(true);
    const { jobId } = started.value as { jobId: string };
    let job: { state: string; error?: string } | undefined;
    await expect
      .poll(
        async () => {
          const jobs = (await call('engine.jobs', {})).value as { id: string; state: string; error?: string }[];
          job = jobs.find((j) => j.id === jobId);
          return job?.state;
        },
        { timeout: 40_000, interval: 200 },
      )
      .toMatch(/done|failed|cancelled/);
    expect(job?.state, job?.error).toBe('done');
  }, 60_000);
});
