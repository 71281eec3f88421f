// The engine's job queue running the real pipeline in the real engine process (the built
// out/main/engine-worker.js) on a tiny model: progress with previews, cancel of a queued and of
// a running job, a job after a failed one, a job after the worker died, determinism.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessExecutor } from '../../electron/engine/runtime/host';
import { EngineQueue, type JobEvent } from '../../electron/engine/runtime/queue';
import type { GeneratedImage, GenerateParams } from '../../electron/engine/types';
import { makeTinyQwenImage } from './tiny';

const workerPath = join(import.meta.dirname, '../../out/main/engine-worker.js');
const work = mkdtempSync(join(tmpdir(), 'queue-'));
const model = join(work, 'tiny');
let executor: ProcessExecutor;
let queue: EngineQueue;
const events: JobEvent[] = [];

const params = (over: Partial<GenerateParams> = {}): GenerateParams => ({
  prompt: 'red dots',
  negativePrompt: '',
  width: 64,
  height: 64,
  steps: 4,
  cfg: 3,
  seed: 7,
  model,
  ...over,
});

function waitFor(id: string, types: JobEvent['type'][]): Promise<JobEvent> {
  return new Promise((resolve) => {
    const hit = events.find((e) => e.job.id === id && types.includes(e.type));
    if (hit) return resolve(hit);
    const off = queue.on((e) => {
      if (e.job.id === id && types.includes(e.type)) {
        off();
        resolve(e);
      }
    });
  });
}

beforeAll(async () => {
  if (!existsSync(workerPath)) throw new Error('build first: out/main/engine-worker.js is missing');
  await makeTinyQwenImage(model);
  executor = new ProcessExecutor({ workerPath, threads: 1, cacheDir: join(work, 'cache') });
  queue = new EngineQueue(executor);
  queue.on((e) => events.push(e));
}, 60_000);

afterAll(async () => {
  await executor.terminate();
});

describe('engine queue in the engine process', () => {
  it('runs a job with a progress event and a preview per step, and the result is deterministic', async () => {
    const a = queue.enqueue(params());
    const b = queue.enqueue(params());
    const c = queue.enqueue(params({ seed: 8 }));
    const [ea, eb, ec] = await Promise.all([
      waitFor(a, ['done', 'failed']),
      waitFor(b, ['done', 'failed']),
      waitFor(c, ['done', 'failed']),
    ]);
    expect([ea.type, eb.type, ec.type]).toEqual(['done', 'done', 'done']);
    const progress = events.filter((e) => e.job.id === a && e.type === 'progress');
    expect(progress.map((e) => (e.type === 'progress' ? e.progress.step : 0))).toEqual([1, 2, 3, 4]);
    const p = progress[0];
    expect(p?.type === 'progress' && p.progress.preview?.width).toBe(8);
    const img = (e: JobEvent) => (e.type === 'done' ? e.image : undefined) as GeneratedImage;
    expect(img(ea).rgb.length).toBe(64 * 64 * 3);
    expect(Buffer.from(img(ea).rgb).equals(Buffer.from(img(eb).rgb))).toBe(true);
    expect(Buffer.from(img(ea).rgb).equals(Buffer.from(img(ec).rgb))).toBe(false);
    // FIFO: each job started after the previous one finished.
    const starts = [a, b, c].map((id) => events.findIndex((e) => e.job.id === id && e.type === 'started'));
    const ends = [a, b].map((id) => events.findIndex((e) => e.job.id === id && e.type === 'done'));
    expect(starts[1]).toBeGreaterThan(ends[0] as number);
    expect(starts[2]).toBeGreaterThan(ends[1] as number);
  }, 60_000);

  it('cancels a queued job at once and a running job within one step', async () => {
    const running = queue.enqueue(params({ steps: 60, width: 128, height: 128 }));
    const queued = queue.enqueue(params());
    expect(queue.cancel(queued)).toBe(true);
    expect(queue.get(queued)?.state).toBe('cancelled');
    await new Promise<void>((resolve) => {
      const off = queue.on((e) => {
        if (e.job.id === running && e.type === 'progress' && e.progress.step >= 2) {
          off();
          queue.cancel(running);
          resolve();
        }
      });
    });
    const cancelledAt = events.length;
    const end = await waitFor(running, ['cancelled', 'done', 'failed']);
    expect(end.type).toBe('cancelled');
    const later = events.slice(cancelledAt).filter((e) => e.job.id === running && e.type === 'progress');
    expect(later.length).toBeLessThanOrEqual(1);
    expect(events.some((e) => e.job.id === queued && e.type === 'started')).toBe(false);
  }, 60_000);

  it('reports a failed job in words and runs the next one', async () => {
    const bad = queue.enqueue(params({ model: join(work, 'no-such-model') }));
    const good = queue.enqueue(params());
    const fb = await waitFor(bad, ['failed', 'done']);
    expect(fb.type).toBe('failed');
    expect(fb.type === 'failed' && fb.message).toMatch(/no-such-model does not exist/);
    expect((await waitFor(good, ['done', 'failed'])).type).toBe('done');
  }, 60_000);

  it('survives the worker dying mid-job: that job fails, the next one runs in a fresh worker', async () => {
    const victim = queue.enqueue(params({ steps: 60, width: 128, height: 128 }));
    await new Promise<void>((resolve) => {
      const off = queue.on((e) => {
        if (e.job.id === victim && e.type === 'progress') {
          off();
          executor.kill();
          resolve();
        }
      });
    });
    const fv = await waitFor(victim, ['failed', 'done', 'cancelled']);
    expect(fv.type).toBe('failed');
    expect(fv.type === 'failed' && fv.message).toMatch(/stopped unexpectedly/);
    const next = queue.enqueue(params());
    expect((await waitFor(next, ['done', 'failed'])).type).toBe('done');
  }, 60_000);
});
