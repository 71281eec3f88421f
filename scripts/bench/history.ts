import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { createDocument } from '../../core/document/factory';
import { History } from '../../core/document/history';
import { type Asset, type GenerationEntry, MAX_GENERATIONS, type PosterDocument } from '../../core/document/schema';
import { parseDocument } from '../../core/document/validate';
import { newGenerationId } from '../../core/ids';
import { type AssetBytes, decodeProject, encodeProject } from '../../electron/store/project-file';
import { testImage } from '../../tests/helpers/fixtures';
import { writeBenchResult } from './results';

const _root = path.resolve(import.meta.dirname, '../..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const r2 = (x: number) => Math.round(x * 100) / 100;

function time(runs: number, fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

function entry(asset: Asset, i: number): GenerationEntry {
  return {
    id: newGenerationId(),
    asset: asset.sha256,
    prompt: `红色渐变背景，金色圆点 red gradient with gold dots, variant ${i}`,
    negativePrompt: 'blurry, text',
    seed: (i * 2654435761) >>> 0,
    model: { id: 'bundled', name: 'Poster backgrounds (bundled)' },
    steps: 20,
    cfg: 4,
    width: 1024,
    height: 768,
    createdAt: new Date(1_780_000_000_000 + i * 60_000).toISOString(),
    durationMs: 4000 + i,
  };
}

/** A document whose history has `count` entries over `images` distinct images. */
function docWithHistory(count: number, images: { asset: Asset }[]): PosterDocument {
  const doc = createDocument('History bench');
  return {
    ...doc,
    assets: Object.fromEntries(images.map((img) => [img.asset.sha256, img.asset])),
    generations: Array.from({ length: count }, (_, i) => entry((images[i % images.length] as { asset: Asset }).asset, i)),
  };
}

it('generation history benchmark', () => {
  const images = Array.from({ length: 250 }, (_, i) => testImage(256, 192, `gen-${i}.png`, i));

  // Opening: JSON.parse + migration + schema validation of the largest history allowed.
  const full = docWithHistory(MAX_GENERATIONS, images.slice(0, 50));
  const json = JSON.stringify(full);
  const parse = time(7, () => parseDocument(JSON.parse(json)));

  // Recording a finished job into a 1,000-entry history, as the Generate panel does.
  const big = docWithHistory(1000, images.slice(0, 50));
  const fresh = images[249] as { asset: Asset };
  const record = time(21, () => {
    const h = new History();
    h.execute(
      big,
      {
        type: 'batch',
        commands: [
          { type: 'addAssets', assets: [fresh.asset] },
          { type: 'addGenerations', entries: [entry(fresh.asset, 1000)] },
        ],
      },
      { label: 'Generate image' },
    );
  });

  // Saving and reopening a project whose 250 history images are on no page.
  const saved = docWithHistory(250, images);
  const store = new Map<string, AssetBytes>(images.map((img) => [img.asset.sha256, { mime: 'image/png', bytes: img.bytes }]));
  let bytes: Uint8Array = new Uint8Array();
  const encode = time(5, () => {
    bytes = encodeProject(saved, (sha) => store.get(sha));
  });
  const decode = time(5, () => {
    const back = decodeProject(bytes);
    if (back.assets.size !== 250 || back.document.generations.length !== 250) throw new Error('history lost on save');
  });

  const result = {
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version },
    documentJsonBytes: json.length,
    parse10000EntriesMs: r2(median(parse)),
    recordOneInto1000Ms: r2(median(record)),
    save250HistoryImagesMs: r2(median(encode)),
    open250HistoryImagesMs: r2(median(decode)),
    projectBytes: bytes.length,
  };
  writeBenchResult('history', result, { quiet: true });
  console.log(result);
});
