// Region regeneration as the app and the command line ask for it, with the bundled model:
// engine.generate with a region of an asset (a rectangle or a mask image) gives a new PNG asset
// of the image's size that differs inside the mask and is identical outside it; bad regions are
// refused in words before any job starts; `poster generate --init --mask` does the same on files.
// Needs the built app (npx electron-vite build): the engine process and the CLI run from out/.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../core/api/contract';
import { createBackend } from '../../electron/api/backend';
import { encodePng, readPngText } from '../../electron/export/png-stream';
import { readPng } from '../helpers/png';

const ROOT = join(import.meta.dirname, '../..');
const WORKER = join(ROOT, 'out/main/engine-worker.js');
const BIN = join(ROOT, 'bin/poster.mjs');
const MODEL = join(ROOT, 'native-models/default');
const W = 160;
const H = 96;
const work = mkdtempSync(join(tmpdir(), 'region-api-'));

/** A blue picture with a white band across it: anything the model paints shows against it. */
function initImage(): Uint8Array {
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.set(y >= 40 && y < 56 ? [240, 240, 240] : [30, 60, 190], (y * W + x) * 3);
  return encodePng(rgb, W, H, {});
}

function maskPng(inside: (x: number, y: number) => boolean, w = W, h = H): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (inside(x, y)) rgb.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return encodePng(rgb, w, h, {});
}

/** Mean abs difference inside `where` and the largest difference outside it. */
function diff(a: Uint8Array, b: Uint8Array, where: (x: number, y: number) => boolean) {
  const pa = readPng(a);
  const pb = readPng(b);
  expect([pb.width, pb.height]).toEqual([pa.width, pa.height]);
  let inside = 0;
  let n = 0;
  let outsideMax = 0;
  for (let y = 0; y < pa.height; y++) {
    for (let x = 0; x < pa.width; x++) {
      const p = pa.pixel(x, y);
      const q = pb.pixel(x, y);
      const d = Math.max(...p.map((v, c) => Math.abs(v - (q[c] as number))));
      if (where(x, y)) {
        inside += p.reduce((s, v, c) => s + Math.abs(v - (q[c] as number)), 0) / 3;
        n++;
      } else outsideMax = Math.max(outsideMax, d);
    }
  }
  return { insideMean: inside / n, outsideMax };
}

const RECT = { x: 40, y: 24, width: 64, height: 48 };
const inRect = (x: number, y: number, m = 0) =>
  x >= RECT.x + m && x < RECT.x + RECT.width - m && y >= RECT.y + m && y < RECT.y + RECT.height - m;

describe('engine.generate with a region (dispatch, real engine process, bundled model)', () => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  const done = new Map<string, ApiEvents['engine.job']>();
  const base = { prompt: 'red plain background', negativePrompt: ' ', steps: 12, cfg: 4, seed: 7, model: 'default' };
  let image = '';

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error('build first (npx electron-vite build): out/main/engine-worker.js is missing');
    backend = await createBackend({
      dataDir: join(work, 'data'),
      projectsDir: join(work, 'projects'),
      shell: { transport: 'web' },
      bundledModel: MODEL,
      emit: (event, payload) => {
        const e = payload as ApiEvents['engine.job'];
        if (event === 'engine.job' && /done|failed|cancelled/.test(e.job.state)) done.set(e.job.id, e);
      },
      log: () => {},
    });
    const put = await backend.dispatch('assets.put', { name: 'photo.png', bytes: initImage() });
    image = (put as { value: { sha256: string } }).value.sha256;
  }, 60_000);

  afterAll(async () => {
    await backend?.engine.close();
  });

  async function finished(res: unknown): Promise<ApiEvents['engine.job']> {
    expect((res as { ok: boolean }).ok, JSON.stringify(res)).toBe(true);
    const { jobId } = (res as { value: { jobId: string } }).value;
    await expect.poll(() => done.get(jobId), { timeout: 60_000 }).toBeDefined();
    const e = done.get(jobId) as ApiEvents['engine.job'];
    expect(e.job.state, e.job.error).toBe('done');
    return e;
  }

  const bytesOf = async (sha: string): Promise<Uint8Array> =>
    ((await backend.dispatch('assets.get', { sha256: sha })) as { value: { bytes: Uint8Array } }).value.bytes;

  it('a rectangle: a new asset of the image size, changed inside, identical outside', async () => {
    const e = await finished(await backend.dispatch('engine.generate', { ...base, region: { image, mask: RECT } }));
    expect(e.image).toMatchObject({ width: W, height: H });
    expect(e.job).toMatchObject({ width: W, height: H, regionOf: image });
    const out = await bytesOf(e.image?.sha256 as string);
    expect(e.image?.sha256).not.toBe(image);
    const d = diff(await bytesOf(image), out, (x, y) => inRect(x, y));
    expect(d.outsideMax).toBe(0);
    expect(diff(await bytesOf(image), out, (x, y) => inRect(x, y, 4)).insideMean).toBeGreaterThan(30);
    expect(readPngText(out).region).toBe(`rect 40,24 64x48 of ${image}, strength 1`);
  }, 90_000);

  it('a mask image: only its white pixels change', async () => {
    const disc = (x: number, y: number) => (x - 110) ** 2 + (y - 48) ** 2 < 30 ** 2;
    const mask = ((await backend.dispatch('assets.put', { name: 'mask.png', bytes: maskPng(disc) })) as { value: { sha256: string } }).value
      .sha256;
    const e = await finished(await backend.dispatch('engine.generate', { ...base, region: { image, mask } }));
    const out = await bytesOf(e.image?.sha256 as string);
    const d = diff(await bytesOf(image), out, disc);
    expect(d.outsideMax).toBe(0);
    expect(d.insideMean).toBeGreaterThan(20);
  }, 90_000);

  it.each([
    [{ x: 120, y: 0, width: 64, height: 32 }, 'bad-request', /reaches outside the 160x96 image/],
    [{ x: 0, y: 0, width: 0, height: 10 }, 'bad-request', /the mask is empty/],
    [{ x: -1, y: 0, width: 10, height: 10 }, 'bad-request', /x must not be negative/],
  ])('refuses the rectangle %j in words', async (mask, code, message) => {
    const jobs = backend.engine.jobs().length;
    const res = await backend.dispatch('engine.generate', { ...base, region: { image, mask } });
    expect(res).toMatchObject({ ok: false, error: { code, message: expect.stringMatching(message) } });
    expect(backend.engine.jobs().length).toBe(jobs);
  });

  it('refuses an all-black mask image, one of another size, an unknown image and a size with a region', async () => {
    const put = async (bytes: Uint8Array) =>
      ((await backend.dispatch('assets.put', { name: 'm.png', bytes })) as { value: { sha256: string } }).value.sha256;
    const black = await put(maskPng(() => false));
    expect(await backend.dispatch('engine.generate', { ...base, region: { image, mask: black } })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/mask is empty/) },
    });
    const small = await put(maskPng(() => true, 32, 32));
    expect(await backend.dispatch('engine.generate', { ...base, region: { image, mask: small } })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/mask is 32x32 but the image is 160x96/) },
    });
    expect(await backend.dispatch('engine.generate', { ...base, region: { image: 'a'.repeat(64), mask: RECT } })).toMatchObject({
      ok: false,
      error: { code: 'not-found', message: expect.stringMatching(/No image aaaaaaaaaaaa/) },
    });
    expect(await backend.dispatch('engine.generate', { ...base, width: 160, height: 96, region: { image, mask: RECT } })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/leave width and height out/) },
    });
    expect(await backend.dispatch('engine.generate', { ...base })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/give width and height/) },
    });
  });
});

describe('poster generate --init --mask', () => {
  const run = promisify(execFile);
  const poster = async (args: string[]) => {
    try {
      const r = await run(process.execPath, [BIN, 'generate', ...args], { encoding: 'utf8' });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const input = join(work, 'in.png');
  const common = ['--prompt', 'gold plain background', '--steps', '12', '--seed', '3', '--model', MODEL, '--threads', '1'];

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'out/main/poster.js'))) throw new Error('build first (npx electron-vite build)');
    writeFileSync(input, initImage());
  });

  it('regenerates the rectangle and keeps the rest of the file', async () => {
    const out = join(work, 'out.png');
    const r = await poster(['--init', input, '--mask', '40,24,64,48', ...common, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Regenerating a region of in\.png 160x96/);
    const d = diff(readFileSync(input), readFileSync(out), (x, y) => inRect(x, y));
    expect(d.outsideMax).toBe(0);
    expect(diff(readFileSync(input), readFileSync(out), (x, y) => inRect(x, y, 4)).insideMean).toBeGreaterThan(30);
    expect(readPngText(readFileSync(out))).toMatchObject({ size: '160x96', region: 'rect 40,24 64x48 of in.png, strength 1' });
  }, 60_000);

  it.each([
    [['--mask', '150,0,20,20'], /reaches outside the 160x96 image/],
    [['--mask', '0,0,0,5'], /rectangle 0,0,0,5 is empty/],
    [['--mask', 'left half'], /--mask needs x,y,w,h/],
    [['--strength', '2', '--mask', '0,0,8,8'], /--strength needs a number above 0 and at most 1/],
    [['--size', '64x64', '--mask', '0,0,8,8'], /--size cannot be used with --init/],
  ])('refuses %j with exit code 2 and writes nothing', async (extra, message) => {
    const out = join(work, 'bad.png');
    const r = await poster(['--init', input, ...extra, ...common, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('--mask without --init is refused', async () => {
    const r = await poster(['--mask', '0,0,8,8', ...common, '--out', join(work, 'x.png')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--mask and --strength need --init/);
  });
});
