// The queue and model-manager side of the engine API, through the back end's dispatch (the
// entry both transports call): reordering waiting jobs changes the order they run in, deleting
// removes only what an import registered, and the offloading plan follows the saved budgets.
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse, EngineJob, EngineJobEvent, EngineModelProgress } from '../../core/api/contract';
import { type Backend, createBackend } from '../../electron/api/backend';
import { makeTinyQwenImage } from '../engine/tiny';
import { makeTempDir, removeDir } from '../helpers/fixtures';

// biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
type Res = ApiResponse<any>;

let root: string;
let backend: Backend;
const events: EngineJobEvent[] = [];
const progress: EngineModelProgress[] = [];

const call = (method: string, args: unknown): Promise<Res> => backend.dispatch(method, args);
function ok(res: Res) {
  if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`);
  return res.value;
}
function until(pred: (e: EngineJobEvent) => boolean, ms = 60_000): Promise<EngineJobEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such job event in time')), ms);
    const tick = setInterval(() => {
      const hit = events.find(pred);
      if (hit) {
        clearInterval(tick);
        clearTimeout(timer);
        resolve(hit);
      }
    }, 20);
  });
}

const job = { prompt: 'gold dots 金色圆点', negativePrompt: '', width: 64, height: 64, steps: 2, cfg: 1, seed: 1, model: 'default' };

async function start(dataDir: string): Promise<Backend> {
  return createBackend({
    dataDir,
    projectsDir: path.join(root, 'projects'),
    shell: { transport: 'web' },
    bundledModel: path.join(root, 'tiny'),
    log: () => {},
    emit: (event, payload) => {
      if (event === 'engine.job') events.push(payload as EngineJobEvent);
      if (event === 'engine.modelProgress') progress.push(payload as EngineModelProgress);
    },
  });
}

beforeAll(async () => {
  root = await makeTempDir('poster-engine-admin-');
  await makeTinyQwenImage(path.join(root, 'tiny'));
  backend = await start(path.join(root, 'data'));
}, 60_000);

afterAll(async () => {
  await backend?.engine.close();
  await removeDir(root);
});

describe('engine.reorder', () => {
  it('moves a waiting job forward and the queue runs in the new order', async () => {
    const a = ok(await call('engine.generate', { ...job, steps: 100, width: 128, height: 128 })).jobId as string;
    const b = ok(await call('engine.generate', { ...job, seed: 2 })).jobId as string;
    const c = ok(await call('engine.generate', { ...job, seed: 3 })).jobId as string;
    await until((e) => e.job.id === a && e.job.state === 'running');
    expect(ok(await call('engine.reorder', { id: c, index: 0 }))).toEqual({ queued: [c, b] });
    expect(ok(await call('engine.cancel', { jobId: a }))).toEqual({ cancelled: true });
    await until((e) => e.job.id === b && e.job.state === 'done');
    const jobs = ok(await call('engine.jobs', {})) as EngineJob[];
    const byId = new Map(jobs.map((j) => [j.id, j]));
    expect(byId.get(a)?.state).toBe('cancelled');
    expect(byId.get(c)?.state).toBe('done');
    // C started (and finished) before B, though B was queued first.
    expect(byId.get(c)?.startedAt).toBeLessThan(byId.get(b)?.startedAt as number);
    const started = events.filter((e) => e.job.state === 'running' && [b, c].includes(e.job.id)).map((e) => e.job.id);
    expect(started.indexOf(c)).toBeLessThan(started.indexOf(b));
  }, 90_000);

  it('refuses unknown, running or finished jobs and indexes past the end of the queue', async () => {
    const a = ok(await call('engine.generate', { ...job, steps: 100, width: 128, height: 128 })).jobId as string;
    const b = ok(await call('engine.generate', { ...job, seed: 4 })).jobId as string;
    await until((e) => e.job.id === a && e.job.state === 'running');
    const cases: [unknown, string, RegExp][] = [
      [{ id: 'job-nope-1', index: 0 }, 'not-found', /No job job-nope-1/],
      [{ id: a, index: 0 }, 'not-found', /is running; only queued jobs can be moved/],
      [{ id: b, index: 1 }, 'bad-request', /past the end of the queue \(1 job waiting\)/],
      [{ id: b, index: -1 }, 'bad-request', /index/],
      [{ id: b, index: 0.5 }, 'bad-request', /index/],
      [{ id: '../etc', index: 0 }, 'bad-request', /expected a job id/],
      [{ id: b }, 'bad-request', /index/],
    ];
    for (const [args, code, message] of cases) {
      const res = await call('engine.reorder', args);
      expect(res, JSON.stringify(args)).toMatchObject({ ok: false, error: { code } });
      if (!res.ok) expect(res.error.message).toMatch(message);
    }
    // Nothing moved: B is still the one waiting.
    expect(ok(await call('engine.reorder', { id: b, index: 0 }))).toEqual({ queued: [b] });
    ok(await call('engine.cancel', { jobId: b }));
    ok(await call('engine.cancel', { jobId: a }));
    await until((e) => e.job.id === a && e.job.state === 'cancelled');
    const done = await call('engine.reorder', { id: b, index: 0 });
    expect(done).toMatchObject({ ok: false, error: { code: 'not-found', message: expect.stringMatching(/is cancelled/) } });
  }, 90_000);
});

describe('engine.deleteModel', () => {
  it('refuses the bundled model and unknown ids, and leaves the bundled files', async () => {
    const bundled = await call('engine.deleteModel', { id: 'default' });
    expect(bundled).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(/bundled model/) } });
    expect(existsSync(path.join(root, 'tiny', 'transformer', 'diffusion_pytorch_model.safetensors'))).toBe(true);
    expect(await call('engine.deleteModel', { id: 'user-7-nothing' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await call('engine.deleteModel', { id: '../../tiny' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('imports a model folder with progress, then deletes its files but keeps what else the user put there', async () => {
    const dir = path.join(root, 'copy');
    await makeTinyQwenImage(dir, { seed: 4 });
    const notes = path.join(dir, 'my-notes.txt');
    await writeFile(notes, 'keep me');
    progress.length = 0;
    const m = ok(await call('engine.importModel', { path: dir }));
    expect(m).toMatchObject({ source: 'user', path: dir, verified: 'full', precision: 'fp32' });
    expect(progress.length).toBeGreaterThan(0);
    const last = progress[progress.length - 1] as EngineModelProgress;
    expect(last).toMatchObject({ path: dir, action: 'import' });
    expect(last.done).toBe(last.total);
    expect(m.bytes).toBe(last.total);

    const res = ok(await call('engine.deleteModel', { id: m.id }));
    expect(res.removedFiles).toBeGreaterThan(5);
    expect(existsSync(path.join(dir, 'model.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'transformer', 'diffusion_pytorch_model.safetensors'))).toBe(false);
    expect(existsSync(path.join(dir, 'transformer'))).toBe(false);
    expect(await readdir(dir)).toContain('my-notes.txt');
    const ids = (ok(await call('engine.models', {})) as { id: string }[]).map((x) => x.id);
    expect(ids).toEqual(['default']);
    expect(await call('engine.deleteModel', { id: m.id })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  }, 60_000);

  it('refuses to delete a model while a job uses it', async () => {
    const dir = path.join(root, 'busy');
    await makeTinyQwenImage(dir, { seed: 5 });
    const m = ok(await call('engine.importModel', { path: dir }));
    const { jobId } = ok(await call('engine.generate', { ...job, model: m.id, steps: 100, width: 128, height: 128 }));
    const busy = await call('engine.deleteModel', { id: m.id });
    expect(busy).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(/1 job uses this model/) } });
    expect(existsSync(path.join(dir, 'model.json'))).toBe(true);
    ok(await call('engine.cancel', { jobId }));
    await until((e) => e.job.id === jobId && e.job.state === 'cancelled');
    expect(ok(await call('engine.deleteModel', { id: m.id })).removedFiles).toBeGreaterThan(5);
    expect(existsSync(path.join(dir, 'model.json'))).toBe(false);
  }, 60_000);
});

describe('engine.plan and budgets', () => {
  it('plans the bundled model under the measured RAM, then under a saved budget that survives a restart', async () => {
    const measured = ok(await call('engine.plan', { id: 'default' }));
    expect(measured.fits).toBe(true);
    expect(measured.ram.source).toMatch(/free RAM/);
    expect(measured.text).toMatch(/^Plan for .* at 1024x1024, 20 steps, CFG 4, weights stored as fp32\./);
    expect(measured.text).toMatch(/Memory:\n\s+RAM\s+peak/);

    expect(ok(await call('engine.settings', {}))).toEqual({ ramBudgetBytes: null, gpuBudgetBytes: null });
    const set = ok(await call('engine.setSettings', { ramBudgetBytes: 3 * 2 ** 30, gpuBudgetBytes: null }));
    expect(set).toEqual({ ramBudgetBytes: 3 * 2 ** 30, gpuBudgetBytes: null });
    const planned = ok(await call('engine.plan', { id: 'default', width: 512, height: 256, steps: 8, cfg: 1 }));
    expect(planned.text).toMatch(/at 512x256, 8 steps, CFG 1/);
    expect(planned.text).toContain('RAM budget: 3.00 GiB (setting).');
    expect(planned.text).toMatch(/RAM\s+peak .* of 3\.00 GiB/);

    const again = await start(path.join(root, 'data'));
    try {
      expect(ok(await again.dispatch('engine.settings', {}))).toEqual({ ramBudgetBytes: 3 * 2 ** 30, gpuBudgetBytes: null });
    } finally {
      await again.engine.close();
    }
  });

  it('refuses budgets too small to mean anything, unknown models and bad sizes', async () => {
    const small = await call('engine.setSettings', { ramBudgetBytes: 1000, gpuBudgetBytes: null });
    expect(small).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(/below 64 MiB/) } });
    expect(await call('engine.setSettings', { ramBudgetBytes: null })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await call('engine.plan', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await call('engine.plan', { id: 'default', width: 100 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    // The refused change left the saved budget alone.
    expect(ok(await call('engine.settings', {})).ramBudgetBytes).toBe(3 * 2 ** 30);
  });
});
