// The project's generation history (document format 3): old files open with an empty history,
// a damaged entry is refused with the field named and the file left alone, add/remove are undo
// steps, and saving keeps the images of the history even when no element shows them.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineJob, EngineJobEvent, PosterApi } from '../../core/api/contract';
import { applyCommand, CommandError } from '../../core/document/commands';
import { createDocument } from '../../core/document/factory';
import { History } from '../../core/document/history';
import { DOCUMENT_VERSION, type GenerationEntry, GenerationEntrySchema, type PosterDocument } from '../../core/document/schema';
import { parseDocument } from '../../core/document/validate';
import {
  type AssetBytes,
  decodeProject,
  encodeProject,
  ProjectFileError,
  readProjectFile,
  writeProjectFile,
} from '../../electron/store/project-file';
import { GenerationRecorder } from '../../renderer/src/state/generation-recorder';
import { docWithImages, makeTempDir, rejects, removeDir, testImage } from '../helpers/fixtures';

const placed = testImage(12, 8, 'placed.png', 1);
const historyOnly = testImage(6, 6, 'history-only.png', 2);
const dropped = testImage(5, 5, 'dropped.png', 3);
const store = new Map<string, AssetBytes>(
  [placed, historyOnly, dropped].map((i) => [i.asset.sha256, { mime: 'image/png', bytes: i.bytes }]),
);
const getAsset = (sha: string) => store.get(sha);

function entry(id: `gen:${string}`, asset: string, extra: Partial<GenerationEntry> = {}): GenerationEntry {
  return {
    id,
    asset,
    prompt: '红色渐变背景 red gradient',
    negativePrompt: 'blurry',
    seed: 4_294_967_295,
    model: { id: 'bundled-tiny', name: 'Tiny Qwen-Image' },
    steps: 8,
    cfg: 4.5,
    width: 1024,
    height: 768,
    createdAt: '2026-11-28T10:00:00.000Z',
    durationMs: 5123.5,
    ...extra,
  };
}

/** One placed image (also in the history), one image only in the history, one listed by nobody. */
function docWithHistory(): PosterDocument {
  const doc = docWithImages(placed, historyOnly);
  return {
    ...doc,
    assets: { ...doc.assets, [dropped.asset.sha256]: dropped.asset },
    generations: [
      entry('gen:a1', placed.asset.sha256),
      entry('gen:b2', historyOnly.asset.sha256, { textToPaint: '春季特卖', parent: 'gen:a1', seed: 0 }),
    ],
  };
}

function rawV2(): Record<string, unknown> {
  const doc = JSON.parse(JSON.stringify(docWithImages(placed))) as Record<string, unknown>;
  delete doc.generations;
  return { ...doc, version: 2 };
}

describe('document format 3: generation history', () => {
  it('a new document is version 3 with an empty history', () => {
    expect(DOCUMENT_VERSION).toBe(3);
    const doc = createDocument();
    expect(doc.version).toBe(3);
    expect(doc.generations).toEqual([]);
  });

  it('a version 2 document opens as version 3 with an empty history and everything else unchanged', () => {
    const v2 = rawV2();
    const before = structuredClone(v2);
    const doc = parseDocument(v2);
    expect(doc.version).toBe(3);
    expect(doc.generations).toEqual([]);
    expect({ ...doc, version: 2, generations: undefined }).toEqual({ ...before, generations: undefined });
    expect(v2).toEqual(before); // the input is not mutated
  });

  it('a version 3 document with history entries round trips through JSON exactly', () => {
    const doc = docWithHistory();
    expect(parseDocument(JSON.parse(JSON.stringify(doc)))).toEqual(doc);
  });

  const corrupt: [string, (d: PosterDocument & Record<string, unknown>) => void, string, RegExp][] = [
    ['a missing history', (d) => delete (d as Record<string, unknown>).generations, 'generations', /expected array/],
    ['a negative seed', (d) => (d.generations[0]!.seed = -1), 'generations[0].seed', />=0|too small/i],
    ['a fractional seed', (d) => (d.generations[1]!.seed = 1.5), 'generations[1].seed', /int/i],
    ['a bad asset hash', (d) => (d.generations[0]!.asset = 'xyz'), 'generations[0].asset', /sha256/],
    [
      'an asset the document does not list',
      (d) => (d.generations[1]!.asset = 'e'.repeat(64)),
      'generations[1].asset',
      /asset the document does not list/,
    ],
    ['a duplicate entry id', (d) => (d.generations[1]!.id = 'gen:a1'), 'generations[1].id', /duplicate id gen:a1/],
    ['a bad entry id', (d) => ((d.generations[0] as Record<string, unknown>).id = 'el:a1'), 'generations[0].id', /generation id/],
    ['a bad time', (d) => (d.generations[0]!.createdAt = 'yesterday'), 'generations[0].createdAt', /datetime|date/i],
    ['a zero width', (d) => (d.generations[0]!.width = 0), 'generations[0].width', /too small|>=1/i],
    [
      'a model without id',
      (d) => ((d.generations[0]!.model as Record<string, unknown>).id = undefined),
      'generations[0].model.id',
      /string/,
    ],
    ['an unknown key', (d) => ((d.generations[0] as Record<string, unknown>).secret = 1), 'generations[0]', /secret/],
    ['an entry that is not an object', (d) => ((d.generations as unknown[])[1] = 'oops'), 'generations[1]', /object/],
  ];
  for (const [what, breakIt, at, message] of corrupt) {
    it(`refuses ${what}, naming ${at}`, () => {
      const raw = JSON.parse(JSON.stringify(docWithHistory()));
      breakIt(raw);
      const err = rejects(raw);
      expect(err.kind).toBe('invalid');
      expect(err.path).toBe(at);
      expect(err.message).toMatch(message);
      expect(err.message.startsWith(`Invalid document: ${at}`)).toBe(true);
    });
  }
});

describe('history commands', () => {
  const base = () => {
    const doc = docWithHistory();
    return { ...doc, generations: [doc.generations[0]!] };
  };

  it('adding an entry is one undo step; redo brings it back', () => {
    const doc = base();
    const h = new History();
    const added = h.execute(doc, { type: 'addGenerations', entries: [entry('gen:c3', historyOnly.asset.sha256)] }, { label: 'Add' });
    expect(added.generations.map((g) => g.id)).toEqual(['gen:a1', 'gen:c3']);
    expect(h.dirty).toBe(true);
    const undone = h.undo(added);
    expect(undone).toEqual(doc);
    expect(h.redo(undone)).toEqual(added);
  });

  it('removing entries puts each back at its old place on undo', () => {
    const doc = {
      ...base(),
      generations: ['gen:a1', 'gen:b2', 'gen:c3', 'gen:d4'].map((id) => entry(id as `gen:${string}`, placed.asset.sha256)),
    };
    const snapshot = structuredClone(doc);
    const { doc: next, inverse } = applyCommand(doc, { type: 'removeGenerations', ids: ['gen:d4', 'gen:b2'] });
    expect(next.generations.map((g) => g.id)).toEqual(['gen:a1', 'gen:c3']);
    expect(doc).toEqual(snapshot);
    expect(applyCommand(next, inverse).doc).toEqual(snapshot);
  });

  it('a generation lands as one batch (image, history entry, element) and one undo removes all three', () => {
    const doc = createDocument();
    const h = new History();
    const el = { ...docWithImages(historyOnly).pages[0]!.elements[0]!, id: 'el:new' as const };
    const next = h.execute(
      doc,
      {
        type: 'batch',
        commands: [
          { type: 'addAssets', assets: [historyOnly.asset] },
          { type: 'addGenerations', entries: [entry('gen:n1', historyOnly.asset.sha256)] },
          { type: 'addElements', pageId: doc.pages[0]!.id, elements: [el] },
        ],
      },
      { label: 'Generate image' },
    );
    expect(parseDocument(JSON.parse(JSON.stringify(next)))).toEqual(next);
    expect(h.undo(next)).toEqual(doc);
  });

  it('refuses an invalid entry, a duplicate id, an unknown image or an unknown id, leaving the document alone', () => {
    const doc = base();
    const snapshot = structuredClone(doc);
    expect(() => applyCommand(doc, { type: 'addGenerations', entries: [entry('gen:x', placed.asset.sha256, { steps: 0 })] })).toThrow(
      /Invalid history entry: steps/,
    );
    expect(() => applyCommand(doc, { type: 'addGenerations', entries: [entry('gen:a1', placed.asset.sha256)] })).toThrow(/already exists/);
    expect(() => applyCommand(doc, { type: 'addGenerations', entries: [entry('gen:x', 'f'.repeat(64))] })).toThrow(
      /image the document does not list/,
    );
    expect(() => applyCommand(doc, { type: 'removeGenerations', ids: ['gen:nope'] })).toThrow(CommandError);
    expect(doc).toEqual(snapshot);
  });
});

describe('saving keeps history images', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('poster-history-');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('writes the images of the history even when no element shows them, and drops images nobody uses', async () => {
    const doc = docWithHistory();
    const file = path.join(dir, 'h.poster');
    await writeProjectFile(file, doc, getAsset);
    const back = await readProjectFile(file);
    expect(back.document.generations).toEqual(doc.generations);
    expect([...back.assets.keys()].sort()).toEqual([placed.asset.sha256, historyOnly.asset.sha256].sort());
    expect(Object.keys(back.document.assets).sort()).toEqual([placed.asset.sha256, historyOnly.asset.sha256].sort());
    expect(Buffer.from(back.assets.get(historyOnly.asset.sha256)!.bytes).equals(Buffer.from(historyOnly.bytes))).toBe(true);
  });

  it('after the history entry is deleted, its unplaced image is no longer saved', () => {
    const doc = docWithHistory();
    const { doc: trimmed } = applyCommand(doc, { type: 'removeGenerations', ids: ['gen:b2'] });
    const back = decodeProject(encodeProject(trimmed, getAsset));
    expect([...back.assets.keys()]).toEqual([placed.asset.sha256]);
    expect(back.document.generations.map((g) => g.id)).toEqual(['gen:a1']);
  });

  it('refuses to save when a history image is missing from the session, leaving the old file as it was', async () => {
    const file = path.join(dir, 'keep.poster');
    await writeProjectFile(file, docWithImages(placed), getAsset);
    const before = await fsp.readFile(file);
    const doc = docWithHistory();
    const partial = (sha: string) => (sha === historyOnly.asset.sha256 ? undefined : getAsset(sha));
    await expect(writeProjectFile(file, doc, partial)).rejects.toThrow(/missing from this session; nothing was written/);
    expect((await fsp.readFile(file)).equals(before)).toBe(true);
  });

  it('a file whose history lists an image it does not contain is refused', () => {
    const doc = docWithHistory();
    const bytes = zipSync({
      'document.json': new TextEncoder().encode(JSON.stringify(doc)),
      [`assets/${placed.asset.sha256}.png`]: placed.bytes,
    });
    expect(() => decodeProject(bytes)).toThrow(/missing image/);
  });

  it('a v3 file with a damaged history entry is refused with the field named, and the file is not changed', async () => {
    const raw = JSON.parse(JSON.stringify(docWithHistory()));
    raw.generations[1].cfg = 'high';
    const file = path.join(dir, 'damaged.poster');
    const bytes = zipSync({
      'document.json': new TextEncoder().encode(JSON.stringify(raw)),
      [`assets/${placed.asset.sha256}.png`]: placed.bytes,
      [`assets/${historyOnly.asset.sha256}.png`]: historyOnly.bytes,
    });
    await fsp.writeFile(file, bytes);
    const err = await readProjectFile(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProjectFileError);
    expect((err as ProjectFileError).kind).toBe('invalid-file');
    expect((err as Error).message).toMatch(/generations\[1\]\.cfg/);
    expect((await fsp.readFile(file)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('a v2 project file opens with an empty history and saves as version 3', async () => {
    const file = path.join(dir, 'old.poster');
    await fsp.writeFile(
      file,
      zipSync({
        'document.json': new TextEncoder().encode(JSON.stringify(rawV2())),
        [`assets/${placed.asset.sha256}.png`]: placed.bytes,
      }),
    );
    const opened = await readProjectFile(file);
    expect(opened.document.version).toBe(3);
    expect(opened.document.generations).toEqual([]);
    const out = path.join(dir, 'new.poster');
    await writeProjectFile(out, opened.document, (sha) => opened.assets.get(sha));
    const saved = JSON.parse(new TextDecoder().decode(unzipSync(await fsp.readFile(out))['document.json']));
    expect(saved.version).toBe(3);
    expect(saved.generations).toEqual([]);
  });
});

describe('recording finished jobs', () => {
  const job = (state: EngineJob['state'], step = 0): EngineJob => ({
    id: 'job-1',
    state,
    step,
    steps: 12,
    prompt: '金色圆点 gold dots',
    negativePrompt: 'text',
    width: 512,
    height: 768,
    cfg: 5,
    seed: 42,
    model: 'bundled-tiny',
  });

  function recorder() {
    let clock = 0;
    let emit: (e: EngineJobEvent) => void = () => {};
    const api = {
      on(_: string, listener: (e: EngineJobEvent) => void) {
        emit = listener;
        return () => {};
      },
    } as unknown as PosterApi;
    const rec = new GenerationRecorder(api, () => clock);
    const at = (t: number, e: EngineJobEvent) => {
      clock = t;
      emit(e);
    };
    return { rec, at };
  }

  it('times a job from its first running step (queue time left out) and keeps its settings', () => {
    const { rec, at } = recorder();
    at(100, { job: job('queued') });
    at(1_000, { job: job('running', 1) });
    at(2_000, { job: job('running', 2) });
    at(4_500, { job: job('done', 12), image: { sha256: placed.asset.sha256, width: 12, height: 8 } });
    const entry = rec.entryFor({ job: job('done', 12) }, placed.asset, 'Tiny Qwen-Image');
    expect(GenerationEntrySchema.parse(entry)).toEqual(entry);
    expect(entry).toMatchObject({
      asset: placed.asset.sha256,
      prompt: '金色圆点 gold dots',
      negativePrompt: 'text',
      seed: 42,
      steps: 12,
      cfg: 5,
      width: 12,
      height: 8,
      model: { id: 'bundled-tiny', name: 'Tiny Qwen-Image' },
      durationMs: 3_500,
      createdAt: new Date(4_500).toISOString(),
    });
    expect(entry.id).toMatch(/^gen:[0-9a-f]+$/);
    expect(rec.entryFor({ job: job('done', 12) }, placed.asset, 'x').id).not.toBe(entry.id);
  });

  it("hands an entry's settings to whoever fills the form", () => {
    const { rec } = recorder();
    const got: unknown[] = [];
    const off = rec.onApplySettings((s) => got.push(s));
    rec.applySettings(entry('gen:a1', placed.asset.sha256));
    off();
    rec.applySettings(entry('gen:b2', placed.asset.sha256));
    expect(got).toEqual([{ prompt: '红色渐变背景 red gradient', negativePrompt: 'blurry', steps: 8, cfg: 4.5, seed: 4_294_967_295 }]);
  });
});
