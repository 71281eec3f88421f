// CMYK export benchmark (npm run bench): an A2 poster with two 300-DPI photos (each filling half
// the page, 4961 × 3508 px) and 20 text blocks, exported as RGB PDF and as CMYK PDF with the
// bundled profile in the same run; plus the colour engine alone (33³ lookup build, pixels per
// second). Times, peak RSS and file sizes go to bench/results/cmyk.json.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { CmykTransform, Rgb8ToCmyk } from '../../core/color/icc';
import { createDocument, createImageFor, createText } from '../../core/document/factory';
import type { Asset, Element, PosterDocument } from '../../core/document/schema';
import { loadCmykSetup } from '../../electron/export/cmyk';
import { renderPdf } from '../../electron/export/pdf';
import { FontLibrary } from '../../electron/store/font-library';
import { sha256 } from '../../tests/helpers/fixtures';
import { encodePng } from '../../tests/helpers/png';
import { writeBenchResult } from './results';

const root = path.resolve(import.meta.dirname, '../..');
const r2 = (x: number) => Math.round(x * 100) / 100;

/** A photo-like test image: smooth colour fields with fine detail, so neither PNG nor the LUT has it easy. */
function photo(width: number, height: number, seed: number): Uint8Array {
  const px = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const n = (((x * 73856093) ^ (y * 19349663) ^ seed) >>> 0) % 23;
      px[i] = (128 + 100 * Math.sin(x / 300 + seed) + n) & 255;
      px[i + 1] = (128 + 100 * Math.sin(y / 220 + seed * 2) + n) & 255;
      px[i + 2] = (128 + 100 * Math.cos((x + y) / 410) + n) & 255;
      px[i + 3] = 255;
    }
  return encodePng(width, height, px);
}

it('CMYK export benchmark', { timeout: 1_800_000 }, async () => {
  const tStart = performance.now();
  const phase = (s: string) => console.log(`[${((performance.now() - tStart) / 1000).toFixed(1)} s] ${s}`);
  const base = createDocument('A2 CMYK benchmark');
  const page = { ...base.pages[0]!, width: 420, height: 594 };
  const assets: Record<string, Asset> = {};
  const bytes = new Map<string, Uint8Array>();
  const elements: Element[] = [];
  for (const [k, top] of [0, 297].entries()) {
    const png = photo(4961, 3508, k + 1);
    const asset: Asset = {
      sha256: sha256(png),
      mime: 'image/png',
      width: 4961,
      height: 3508,
      byteLength: png.length,
      name: `photo${k}.png`,
    };
    assets[asset.sha256] = asset;
    bytes.set(asset.sha256, png);
    elements.push({ ...createImageFor(page, asset, undefined, `el:p${k}`), x: 0, y: top, width: 420, height: 297 });
  }
  for (let i = 0; i < 20; i++)
    elements.push(
      createText(
        { x: 20 + (i % 2) * 200, y: 20 + Math.floor(i / 2) * 56, width: 180, height: 40 },
        `第${i + 1}段 春节快乐 Block ${i + 1}`,
        `el:t${i}`,
      ),
    );
  const doc: PosterDocument = { ...base, assets, pages: [{ ...page, elements }] };
  phase('test images encoded');
  const library = new FontLibrary(path.join(os.tmpdir(), 'poster-bench-no-user-fonts'));
  const registry = await library.registry();
  const fontBytes = new Map<string, Uint8Array>();
  for (const f of await library.list()) fontBytes.set(f.id, await library.read(f.id));
  const src = {
    registry,
    fontBytes: (id: string) => fontBytes.get(id) as Uint8Array,
    asset: (sha: string) => ({ mime: 'image/png', bytes: bytes.get(sha) as Uint8Array }),
  };

  const measure = async (label: string, fn: () => Promise<Uint8Array>) => {
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const t0 = performance.now();
    const out = await fn();
    const ms = performance.now() - t0;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    return {
      label,
      ms: Math.round(ms),
      bytes: out.length,
      peakRssMb: Math.round(peak / 2 ** 20),
      rssGrowthMb: Math.round((peak - rss0) / 2 ** 20),
    };
  };
  const setup = await loadCmykSetup(undefined);
  const rgbPdf = await measure('rgb-pdf', () => renderPdf(doc, src));
  phase(`RGB PDF ${rgbPdf.ms} ms`);
  const cmykPdf = await measure('cmyk-pdf', () => renderPdf(doc, src, { cmyk: setup.options }));

  phase(`CMYK PDF ${cmykPdf.ms} ms`);
  // The colour engine alone.
  const profile = readFileSync(path.join(root, 'resources/icc/PosterStudio-CoatedFOGRA39L.icc'));
  let t0 = performance.now();
  const t = new CmykTransform(new Uint8Array(profile));
  const lut = new Rgb8ToCmyk(t);
  const lutBuildMs = performance.now() - t0;
  const n = 4_000_000;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 2654435761) >>> 24;
  t0 = performance.now();
  lut.convertRgba(rgba, n);
  const mpxPerS = n / 1e6 / ((performance.now() - t0) / 1000);

  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
    // Shared machines skew every figure; the load says by how much.
    loadAverage1m: r2(os.loadavg()[0] ?? 0),
    page: 'A2 420 × 594 mm, two 4961 × 3508 px PNG photos (300 dpi at half-page size), 20 text blocks',
    rgbPdf,
    cmykPdf,
    cmykOverRgbTime: r2(cmykPdf.ms / rgbPdf.ms),
    cmykOverRgbSize: r2(cmykPdf.bytes / rgbPdf.bytes),
    engine: { lutBuildMs: Math.round(lutBuildMs), lutGrid: 33, megapixelsPerSecond: r2(mpxPerS) },
  };
  writeBenchResult('cmyk', result);
});
