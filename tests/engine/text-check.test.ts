// The text check of generated images (issue 8): images whose text is known because our
// typesetter rendered it. A correct image scores 100%; an image with one character changed
// scores less and the diff points at that character; the engine process (where the app runs
// OCR) gives the same answer as reading in this process; the API serves the check for an asset;
// the boxes OCR reports put vector text back where the typeset text was.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createText } from '../../core/document/factory';
import { diffChars } from '../../core/text-diff';
import { paintedTextPlace, vectorTextElements } from '../../core/text-replace';
import { createBackend } from '../../electron/api/backend';
import { main } from '../../electron/cli/poster';
import { ProcessExecutor } from '../../electron/engine/runtime/host';
import { checkPaintedText } from '../../electron/engine/text-check/index';
import { docWith } from '../helpers/fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'text-check-'));

const workerPath = path.join(import.meta.dirname, '../../out/main/engine-worker.js');

/** A small page with one line of text, rendered by the typesetter to PNG at 96 dpi. */
async function renderLine(text: string, fontSize = 24): Promise<Uint8Array> {
  const el = createText({ x: 10, y: 10, width: 180, height: 30 }, text);
  el.style = { ...el.style, fontSize };
  const doc = docWith([el]);
  doc.pages[0] = { ...doc.pages[0]!, width: 200, height: 50, background: '#ffffff' };
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const out = file.replace(/\.json$/, '.png');
  expect(await main(['render', file, '--out', out, '--dpi', '96'], () => {})).toBe(0);
  return readFileSync(out);
}

describe('text check', () => {
  it('reads a correct image as 100% and finds the one changed character in an altered one', async () => {
    const asked = '春节快乐 Happy New Year';
    const good = await checkPaintedText(await renderLine(asked), asked);
    expect(good.accuracy).toBe(1);
    expect(good.diff).toEqual([{ op: 'same', text: '春节快乐HappyNewYear' }]);
    const bad = await checkPaintedText(await renderLine('春节快东 Happy New Year'), asked);
    expect(bad.accuracy).toBeLessThan(1);
    expect(bad.accuracy).toBeGreaterThan(0.9);
    expect(bad.diff).toContainEqual({ op: 'wrong', text: '乐', read: '东' });
  }, 60_000);

  it('reads the same in the engine process as in this one', async () => {
    if (!existsSync(workerPath)) throw new Error('build first (npx electron-vite build): out/main/engine-worker.js is missing');
    const asked = '春节快乐 Happy New Year';
    const good = await renderLine(asked);
    const bad = await renderLine('春节快东 Happy New Year');
    const executor = new ProcessExecutor({ workerPath, threads: 1, cacheDir: path.join(dir, 'cache') });
    try {
      const [remoteGood, remoteBad] = await Promise.all([executor.textCheck(good, asked), executor.textCheck(bad, asked)]);
      expect(remoteGood.accuracy).toBe(1);
      expect(remoteBad.diff).toContainEqual({ op: 'wrong', text: '乐', read: '东' });
      expect(remoteGood).toEqual(await checkPaintedText(good, asked));
      expect(remoteBad).toEqual(await checkPaintedText(bad, asked));
      // An image that is no image fails in words, and the engine process lives on.
      await expect(executor.textCheck(new Uint8Array([1, 2, 3]), asked)).rejects.toThrow(/text check failed/);
      expect((await executor.textCheck(good, asked)).accuracy).toBe(1);
    } finally {
      await executor.terminate();
    }
  }, 90_000);

  it('finds where the text is and how big, from the OCR boxes', async () => {
    // The page is 200 x 50 mm with 3 mm bleed, rendered with its bleed, and the line is set from
    // (10, 10) mm; an image element showing the render over page and bleed must map the boxes
    // back to those page coordinates.
    for (const size of [18, 24, 36]) {
      const png = await renderLine('出口 EXIT 春节快乐', size);
      const check = await checkPaintedText(png, '出口 EXIT 春节快乐');
      expect(check.accuracy).toBe(1);
      const px = { w: Buffer.from(png).readUInt32BE(16), h: Buffer.from(png).readUInt32BE(20) };
      const place = paintedTextPlace(check.lines, { x: -3, y: -3, width: 206, height: 56 }, px.w, px.h);
      expect(place.found).toBe(true);
      expect(place.fontSize / size).toBeGreaterThan(0.85);
      expect(place.fontSize / size).toBeLessThan(1.15);
      expect(place.x).toBeGreaterThan(8);
      expect(place.x).toBeLessThan(12);
      expect(place.y).toBeGreaterThan(9);
      expect(place.y).toBeLessThan(10 + ((size * 25.4) / 72) * 0.5);
      // The line is about as wide as the typeset text: 4 CJK ems plus "EXIT" and two spaces.
      expect(place.width).toBeGreaterThan((((size * 25.4) / 72) * 6) / 1.2);
      // The replacement: a cover exactly over the place, then the exact text at that size on top.
      const [cover, text] = vectorTextElements('出口 EXIT 春节快乐', place, { cover: '#ffffff', color: '#1a1a1a' });
      expect(cover).toMatchObject({ type: 'shape', fill: '#ffffff', x: place.x, y: place.y, width: place.width, height: place.height });
      expect(text).toMatchObject({ type: 'text', runs: [{ text: '出口 EXIT 春节快乐' }], x: place.x, y: place.y });
      expect(text?.type === 'text' && text.style.fontSize).toBeCloseTo(place.fontSize, 0);
      expect(text?.type === 'text' && text.style.cjkFamily).toBe('Noto Sans SC');
    }
  }, 60_000);

  it('puts the vector text in a band across the middle of the image when OCR found nothing', () => {
    const image = { x: 20, y: 30, width: 100, height: 200 };
    const place = paintedTextPlace([], image, 512, 1024);
    expect(place).toMatchObject({ found: false, x: 30, width: 80, height: 20, y: 30 + 90 });
    // A degenerate box (a point) counts as nothing found.
    expect(
      paintedTextPlace(
        [
          {
            text: 'x',
            score: 0.9,
            box: [
              [5, 5],
              [5, 5],
              [5, 5],
              [5, 5],
            ],
          },
        ],
        image,
        512,
        1024,
      ).found,
    ).toBe(false);
  });

  it('diffs missing, extra and wrong characters', () => {
    expect(diffChars('出口EXIT', '出EXITS')).toEqual([
      { op: 'same', text: '出' },
      { op: 'missing', text: '口' },
      { op: 'same', text: 'EXIT' },
      { op: 'extra', text: 'S' },
    ]);
  });

  it('is served by the API for an image in the asset store, and refuses unknown images', async () => {
    const backend = await createBackend({
      dataDir: path.join(dir, 'data'),
      projectsDir: path.join(dir, 'projects'),
      shell: { transport: 'web' },
      log: () => {},
    });
    const png = await renderLine('出口 EXIT');
    const put = await backend.dispatch('assets.put', { name: 'sign.png', bytes: png });
    if (!put.ok) throw new Error(put.error.message);
    const sha256 = (put.value as { sha256: string }).sha256;
    const r = await backend.dispatch('engine.textCheck', { sha256, expected: '出口 EXIT' });
    expect(r).toMatchObject({ ok: true, value: { accuracy: 1 } });
    expect(await backend.dispatch('engine.textCheck', { sha256: '0'.repeat(64), expected: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(await backend.dispatch('engine.textCheck', { sha256, expected: '  ' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    await backend.engine.close();
  }, 60_000);
});
