// The text check of generated images (issue 8): images whose text is known because our
// typesetter rendered it. A correct image scores 100%; an image with one character changed
// scores less and the diff points at that character; the API serves the check for an asset.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createText } from '../../core/document/factory';
import { diffChars } from '../../core/text-diff';
import { createBackend } from '../../electron/api/backend';
import { main } from '../../electron/cli/poster';
import { checkPaintedText } from '../../electron/engine/text-check/index';
import { docWith } from '../helpers/fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'text-check-'));

/** A small page with one line of text, rendered by the typesetter to PNG at 96 dpi. */
async function renderLine(text: string): Promise<Uint8Array> {
  const el = createText({ x: 10, y: 10, width: 180, height: 30 }, text);
  el.style = { ...el.style, fontSize: 24 };
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
