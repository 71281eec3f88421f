// PNG and JPEG export: pixel size and DPI written into the file, strip rendering for pages
// too big for one bitmap, and the same picture as the PDF of the same page.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageFor } from '../../core/document/factory';
import { main } from '../../electron/cli/poster';
import { renderRaster } from '../../electron/export/raster';
import { docWith, testImage } from '../helpers/fixtures';
import { bundledRegistry } from '../helpers/fonts';
import { mismatchRatio, readPng } from '../helpers/png';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'poster-raster-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pngInfo = (file: string) => {
  const b = readFileSync(file);
  const physAt = b.indexOf('pHYs');
  return {
    width: b.readUInt32BE(16),
    height: b.readUInt32BE(20),
    ppmX: b.readUInt32BE(physAt + 4),
    ppmY: b.readUInt32BE(physAt + 8),
    unit: b[physAt + 12],
  };
};

describe('PNG and JPEG export', () => {
  it('writes an A2 page at 300 dpi with the right pixel size and DPI', async () => {
    const out = path.join(dir, 'a2.png');
    expect(await main(['render', 'event-poster', '--out', out, '--dpi', '300'], () => {})).toBe(0);
    // 420 × 594 mm plus 3 mm bleed each side, at 300 dpi.
    expect(pngInfo(out)).toEqual({ width: 5031, height: 7087, ppmX: 11811, ppmY: 11811, unit: 1 });
    const img = readPng(readFileSync(out));
    expect(img.pixel(2500, 7000)).toEqual([0x10, 0x18, 0x28]); // the dark page near the bottom
  }, 60_000);

  it('matches the PDF of the same page', async () => {
    const pdf = path.join(dir, 'sale.pdf');
    const png = path.join(dir, 'sale.png');
    await main(['render', 'shop-sale', '--out', pdf], () => {});
    await main(['render', 'shop-sale', '--out', png, '--dpi', '30'], () => {});
    execFileSync('pdftoppm', ['-r', '30', '-png', pdf, path.join(dir, 'sale-pdf')]);
    const a = readPng(readFileSync(png));
    const b = readPng(readFileSync(path.join(dir, 'sale-pdf-1.png')));
    expect([a.width, a.height]).toEqual([b.width, b.height]);
    // Anti-aliasing and hinting differ at edges; compare within one pixel.
    expect(mismatchRatio(a, b, 60)).toBeLessThan(0.002);
  }, 60_000);

  it('renders in strips that join without seams', async () => {
    const doc = docWith([]);
    const registry = await bundledRegistry();
    const src = { registry, fontBytes: () => new Uint8Array(), asset: () => undefined };
    const whole = path.join(dir, 'whole.png');
    const strips = path.join(dir, 'strips.png');
    const progress: number[] = [];
    await renderRaster(doc, src, whole, { dpi: 20, format: 'png' });
    await renderRaster(doc, src, strips, { dpi: 20, format: 'png', stripRows: 7, onProgress: (d) => progress.push(d) });
    expect(progress.length).toBeGreaterThan(20);
    expect(readFileSync(strips).equals(readFileSync(whole))).toBe(true);
  });

  it('writes JPEG with its DPI', async () => {
    const out = path.join(dir, 'sign.jpg');
    await main(['render', 'wayfinding-sign', '--out', out, '--dpi', '150'], () => {});
    const b = readFileSync(out);
    expect(b.toString('latin1', 6, 10)).toBe('JFIF');
    expect([b[13], b.readUInt16BE(14), b.readUInt16BE(16)]).toEqual([1, 150, 150]);
  });

  it('leaves no partial file when a page cannot be drawn', async () => {
    const img = testImage(10, 10, 'gone.png');
    const base = docWith([]);
    const page = base.pages[0]!;
    const doc = { ...base, assets: { [img.asset.sha256]: img.asset }, pages: [{ ...page, elements: [createImageFor(page, img.asset)] }] };
    const registry = await bundledRegistry();
    const out = path.join(dir, 'broken.png');
    await expect(
      renderRaster(doc, { registry, fontBytes: () => new Uint8Array(), asset: () => undefined }, out, { dpi: 20, format: 'png' }),
    ).rejects.toThrow(/missing/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('broken'))).toEqual([]);
  });
});
