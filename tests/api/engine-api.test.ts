// The engine through the app's typed API in web mode, as the UI uses it: list models, start a
// job, watch step previews arrive over the event WebSocket, fetch the finished PNG from the
// asset store; hostile or wrong arguments are refused before anything runs.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeMessage, encodeMessage } from '../../core/api/codec';
import type { ApiResponse, EngineJobEvent } from '../../core/api/contract';
import { readImageInfo } from '../../core/image-info';
import { type Backend, createBackend } from '../../electron/api/backend';
import { startWebServer, type WebServer } from '../../electron/server/web-server';
import { makeTinyQwenImage } from '../engine/tiny';
import { makeTempDir, removeDir } from '../helpers/fixtures';

// biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
type Res = ApiResponse<any>;

let root: string;
let server: WebServer;
let backend: Backend;
let ws: WebSocket;
const events: EngineJobEvent[] = [];

async function call(method: string, args: unknown): Promise<Res> {
  const res = await fetch(`${server.url}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: encodeMessage({ method, args }),
  });
  return decodeMessage(await res.text()) as Res;
}

function ok(res: Res) {
  if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`);
  return res.value;
}

function until(pred: (e: EngineJobEvent) => boolean): Promise<EngineJobEvent> {
  return new Promise((resolve) => {
    const hit = events.find(pred);
    if (hit) return resolve(hit);
    const onMsg = (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data)) as { event: string; payload: EngineJobEvent };
      if (m.event === 'engine.job' && pred(m.payload)) {
        ws.off('message', onMsg);
        resolve(m.payload);
      }
    };
    ws.on('message', onMsg);
  });
}

const job = { prompt: '红色背景 red dots', negativePrompt: '', width: 64, height: 64, steps: 3, cfg: 3, seed: 5, model: 'default' };

beforeAll(async () => {
  root = await makeTempDir('poster-engine-api-');
  const model = path.join(root, 'tiny');
  await makeTinyQwenImage(model);
  let srv: WebServer | undefined;
  backend = await createBackend({
    dataDir: path.join(root, 'data'),
    projectsDir: path.join(root, 'projects'),
    shell: { transport: 'web' },
    bundledModel: model,
    emit: (event, payload) => srv?.emit(event, payload),
    log: () => {},
  });
  srv = await startWebServer({ dispatch: backend.dispatch, staticDir: root });
  server = srv;
  ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`);
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { event: string; payload: EngineJobEvent };
    if (m.event === 'engine.job') events.push(m.payload);
  });
  await new Promise((resolve) => ws.once('open', resolve));
}, 60_000);

afterAll(async () => {
  ws?.close();
  await backend?.engine.close();
  await server?.close();
  await removeDir(root);
});

describe('engine API (web mode)', () => {
  it('lists the bundled model', async () => {
    const models = ok(await call('engine.models', {}));
    expect(models).toEqual([expect.objectContaining({ id: 'default', source: 'bundled', path: path.join(root, 'tiny') })]);
  });

  it("shows the offloading plan a job would run under the engine's RAM budget", async () => {
    const { seed: _seed, model, ...rest } = job;
    const shape = { ...rest, id: model };
    const plan = ok(await call('engine.plan', shape));
    expect(plan.fits).toBe(true);
    expect(plan.text).toMatch(/^Plan for .* at 64x64, 3 steps, CFG 3, weights stored as fp32\./);
    expect(plan.text).toMatch(/^Plan: runs on the CPU, 3 steps × 2 passes \(CFG\), prefetch on\./m);
    expect(plan.text).toMatch(/denoise {3}blocks 0-1 .* RAM-resident/);
    expect(plan.ramBudgetBytes).toBe(backend.engine.ramBudgetBytes);
    expect(plan.peakRamBytes).toBeGreaterThan(0);
    expect(plan.peakRamBytes).toBeLessThanOrEqual(plan.ramBudgetBytes);
    expect(plan.minRamBytes).toBeLessThanOrEqual(plan.peakRamBytes);
    expect(plan.diskBytesPerStep).toBe(0);
    const bad = await call('engine.plan', { ...shape, width: 100 });
    expect(bad.ok).toBe(false);
  });

  it('generates with step previews over the event socket and puts the PNG in the asset store', async () => {
    const { jobId } = ok(await call('engine.generate', job));
    const done = await until((e) => e.job.id === jobId && ['done', 'failed'].includes(e.job.state));
    expect(done.job.state, done.job.error).toBe('done');
    const previews = events.filter((e) => e.job.id === jobId && e.preview);
    expect(previews.map((e) => e.job.step)).toEqual([1, 2, 3]);
    expect(previews[0]?.preview).toMatch(/^data:image\/png;base64,/);
    const dataUrl = previews[0]?.preview ?? '';
    const png = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
    expect(readImageInfo(png)).toMatchObject({ width: 8, height: 8 });
    const image = done.image as { sha256: string; width: number; height: number };
    expect(image).toMatchObject({ width: 64, height: 64 });
    const asset = ok(await call('assets.get', { sha256: image.sha256 }));
    expect(asset.mime).toBe('image/png');
    expect(readImageInfo(asset.bytes)).toMatchObject({ width: 64, height: 64 });
    const jobs = ok(await call('engine.jobs', {}));
    expect(jobs).toContainEqual(expect.objectContaining({ id: jobId, state: 'done', prompt: job.prompt, seed: 5, model: 'default' }));
  }, 60_000);

  it('cancels a queued job', async () => {
    const first = ok(await call('engine.generate', { ...job, steps: 30, width: 128, height: 128 }));
    const second = ok(await call('engine.generate', job));
    expect(ok(await call('engine.cancel', { jobId: second.jobId }))).toEqual({ cancelled: true });
    expect(ok(await call('engine.cancel', { jobId: first.jobId }))).toEqual({ cancelled: true });
    const end = await until((e) => e.job.id === first.jobId && ['cancelled', 'done', 'failed'].includes(e.job.state));
    expect(end.job.state).toBe('cancelled');
    expect(events.some((e) => e.job.id === second.jobId && e.job.state === 'running')).toBe(false);
  }, 60_000);

  it.each([
    [{ ...job, width: 100 }, /width: must be a multiple of 16/],
    [{ ...job, steps: 0 }, /steps/],
    [{ ...job, cfg: 50 }, /cfg/],
    [{ ...job, seed: -1 }, /seed/],
    [{ ...job, prompt: '   ' }, /describe the image/],
    [{ ...job, model: '../../etc' }, /expected a model id/],
    [{ ...job, extra: 1 }, /extra/],
  ])('refuses a bad generate request: %j', async (args, message) => {
    const res = await call('engine.generate', args);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.code).toBe('bad-request');
      expect(res.error.message).toMatch(message);
    }
  });

  it('refuses unknown models, bad job ids and relative import paths', async () => {
    const unknown = await call('engine.generate', { ...job, model: 'nope' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await call('engine.cancel', { jobId: 'rm -rf' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await call('engine.importModel', { path: 'models/x' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const missing = await call('engine.importModel', { path: path.join(root, 'nowhere') });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('imports and verifies a user model folder', async () => {
    const other = path.join(root, 'other');
    await makeTinyQwenImage(other, { seed: 9 });
    const m = ok(await call('engine.importModel', { path: other }));
    expect(m).toMatchObject({ source: 'user', path: other });
    expect(ok(await call('engine.verifyModel', { id: m.id, level: 'full' }))).toEqual({ ok: true });
    expect(ok(await call('engine.models', {})).map((x: { id: string }) => x.id)).toContain(m.id);
  });
});
