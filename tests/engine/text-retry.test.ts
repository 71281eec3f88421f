// "Retry with new seeds until the text matches" (issue 8), driven without the UI: the retry loop
// of core/text-retry over the real back end (bundled model, engine process, OCR in the engine
// process). The bundled model cannot paint legible text, so N = 2 tries both run and the best
// of them is reported; with images whose text is known (typeset), the loop stops at 100%.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineJobEvent, TextCheckResult } from '../../core/api/contract';
import { createText } from '../../core/document/factory';
import { promptWithText } from '../../core/paint-text';
import { type RetryAttempt, type RetryImage, retryUntilMatch } from '../../core/text-retry';
import { type Backend, createBackend } from '../../electron/api/backend';
import { parseGenerateArgs } from '../../electron/cli/generate';
import { main } from '../../electron/cli/poster';
import { readPngText } from '../../electron/export/png-stream';
import { docWith } from '../helpers/fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'text-retry-'));
let backend: Backend;
const listeners = new Set<(e: EngineJobEvent) => void>();

beforeAll(async () => {
  backend = await createBackend({
    dataDir: path.join(dir, 'data'),
    projectsDir: path.join(dir, 'projects'),
    shell: { transport: 'web' },
    log: () => {},
    emit: (event, payload) => {
      if (event === 'engine.job') for (const l of listeners) l(payload as EngineJobEvent);
    },
  });
}, 60_000);
afterAll(async () => {
  await backend?.engine.close();
});

async function call<T>(method: string, args: unknown): Promise<T> {
  const r = await backend.dispatch(method as never, args as never);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

/** Generates with the bundled model and resolves when the image is in the asset store. */
function generate(seed: number, paintText: string): Promise<RetryImage> {
  return new Promise((resolve, reject) => {
    let id: string | undefined;
    const seen: EngineJobEvent[] = [];
    const on = (e: EngineJobEvent): void => {
      if (id === undefined) seen.push(e);
      else if (e.job.id === id) {
        if (e.image) resolve(e.image);
        else if (e.job.state === 'failed' || e.job.state === 'cancelled') reject(new Error(e.job.error ?? e.job.state));
      }
    };
    listeners.add(on);
    call<{ jobId: string }>('engine.generate', {
      prompt: '红色背景海报',
      width: 128,
      height: 128,
      steps: 3,
      cfg: 1,
      seed,
      model: 'default',
      paintText,
    }).then(({ jobId }) => {
      id = jobId;
      for (const e of seen) on(e);
    }, reject);
  });
}

describe('retry until the painted text matches', () => {
  it('with the bundled model and N = 2: two tries with the given seeds, the best of them reported', async () => {
    const want = '春节快乐';
    const seeds = [101, 202, 303];
    const progress: [number, number, number][] = [];
    const result = await retryUntilMatch(
      {
        generate: (seed) => generate(seed, want),
        check: (image) => call<TextCheckResult>('engine.textCheck', { sha256: image.sha256, expected: want }),
        nextSeed: () => seeds.shift() as number,
      },
      { tries: 2, onAttempt: (a, n, best) => progress.push([n, a.seed, best.seed]) },
    );
    // The tiny model paints no legible Chinese, so neither try matches and both run.
    expect(result.matched).toBe(false);
    expect(result.attempts.map((a) => a.seed)).toEqual([101, 202]);
    expect(progress.map(([n, seed]) => [n, seed])).toEqual([
      [1, 101],
      [2, 202],
    ]);
    expect(seeds).toEqual([303]);
    const [a, b] = result.attempts as [RetryAttempt, RetryAttempt];
    expect(a.image.sha256).not.toBe(b.image.sha256);
    const best = b.check.accuracy > a.check.accuracy ? b : a;
    expect(result.best).toBe(best);
    for (const t of result.attempts) {
      expect(t.check.accuracy).toBeGreaterThanOrEqual(0);
      expect(t.check.accuracy).toBeLessThan(1);
      expect(t.check.diff.length).toBeGreaterThan(0);
    }
    // Each image says which text it was asked to paint, and the job's summary too.
    const { bytes } = await call<{ bytes: Uint8Array }>('assets.get', { sha256: best.image.sha256 });
    expect(readPngText(Buffer.from(bytes))).toMatchObject({ prompt: '红色背景海报', text_to_paint: want, seed: String(best.seed) });
    const jobs = await call<{ seed: number; paintText?: string }[]>('engine.jobs', {});
    expect(jobs.filter((j) => j.paintText === want).map((j) => j.seed)).toEqual(expect.arrayContaining([101, 202]));
  }, 240_000);

  it('stops at the first try that reads 100% (typeset images with known text)', async () => {
    const want = '出口 EXIT';
    const render = async (text: string): Promise<RetryImage> => {
      const el = createText({ x: 10, y: 10, width: 100, height: 20 }, text);
      el.style = { ...el.style, fontSize: 24 };
      const doc = docWith([el]);
      doc.pages[0] = { ...doc.pages[0]!, width: 120, height: 40, background: '#ffffff' };
      const file = path.join(dir, `${text.replace(/\W/g, '_')}-${Date.now()}.json`);
      writeFileSync(file, JSON.stringify(doc));
      const out = file.replace(/\.json$/, '.png');
      expect(await main(['render', file, '--out', out, '--dpi', '96'], () => {})).toBe(0);
      const put = await call<{ sha256: string; width: number; height: number }>('assets.put', { name: 'x.png', bytes: readFileSync(out) });
      return { sha256: put.sha256, width: put.width, height: put.height };
    };
    // Seed n "paints" the n-th of these: wrong, right, wrong.
    const painted = ['入口 EXIT', want, '出 EX'];
    let seed = 0;
    const result = await retryUntilMatch(
      {
        generate: (s) => render(painted[s - 1] as string),
        check: (image) => call<TextCheckResult>('engine.textCheck', { sha256: image.sha256, expected: want }),
        nextSeed: () => ++seed,
      },
      { tries: 4 },
    );
    expect(result.attempts.map((a) => a.seed)).toEqual([1, 2]);
    expect(result.matched).toBe(true);
    expect(result.best?.seed).toBe(2);
    expect(result.best?.check.accuracy).toBe(1);
    expect(result.attempts[0]?.check.accuracy).toBeLessThan(1);
    // A perfect first image means no try at all.
    const none = await retryUntilMatch(
      { generate: () => render(want), check: () => Promise.reject(new Error('unused')), nextSeed: () => 9 },
      {
        tries: 3,
        initial: result.best,
      },
    );
    expect(none.attempts).toEqual([]);
    expect(none.best).toBe(result.best);
    await expect(
      retryUntilMatch({ generate: () => render(want), check: () => Promise.reject(), nextSeed: () => 9 }, { tries: 0 }),
    ).rejects.toThrow(/from 1 to 20/);
  }, 120_000);

  it('quotes the text to paint into the prompt the way Qwen-Image expects', async () => {
    expect(promptWithText('red festive poster', '春节快乐')).toBe('red festive poster, with the text "春节快乐"');
    expect(promptWithText('红色海报，', ' 春节快乐 ')).toBe('红色海报, with the text "春节快乐"');
    expect(promptWithText('a sign that says "EXIT"', 'EXIT')).toBe('a sign that says "EXIT"');
    expect(promptWithText('a sign', 'say "hi"')).toBe('a sign, with the text “say "hi"”');
    expect(promptWithText('a sign', undefined)).toBe('a sign');
    expect(promptWithText('a sign', '  ')).toBe('a sign');
    // The command line takes it too (--text), with the same limit as the app.
    const args = ['--prompt', 'a sign', '--out', path.join(dir, 'x.png')];
    expect(parseGenerateArgs([...args, '--text', ' 出口 ']).params.paintText).toBe('出口');
    expect(parseGenerateArgs(args).params.paintText).toBeUndefined();
    expect(() => parseGenerateArgs([...args, '--text', '字'.repeat(201)])).toThrow(/at most 200 characters/);
    // So does the API, and a refused request queues nothing.
    const before = (await call<unknown[]>('engine.jobs', {})).length;
    const res = await backend.dispatch('engine.generate', {
      prompt: 'a sign',
      negativePrompt: '',
      width: 64,
      height: 64,
      steps: 1,
      cfg: 1,
      seed: 1,
      model: 'default',
      paintText: '字'.repeat(201),
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(/at most 200 characters/) } });
    expect(await call<unknown[]>('engine.jobs', {})).toHaveLength(before);
  });
});
