// PDF export and the `poster` command, checked with poppler's tools as a print shop would:
// fonts embedded and subset, page boxes, searchable text, colours where the design puts them,
// images at native resolution, and no partial file when an export fails.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageFor } from '../../core/document/factory';
import { mmToPt } from '../../core/units';
import { main } from '../../electron/cli/poster';
import { ExportError, renderPdf } from '../../electron/export/pdf';
import { writeProjectFile } from '../../electron/store/project-file';
import { docWith, testImage } from '../helpers/fixtures';
import { bundledRegistry } from '../helpers/fonts';
import { mismatchRatio, readPng } from '../helpers/png';

let dir: string;
const logs: string[] = [];
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'poster-pdf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

describe('poster render (bundled template to PDF)', () => {
  let pdf: string;
  beforeAll(async () => {
    pdf = path.join(dir, 'spring.pdf');
    expect(await main(['render', 'spring-festival', '--out', pdf, '--crop-marks'], (s) => logs.push(s))).toBe(0);
  }, 60_000);

  it('embeds every font as a subset', () => {
    const rows = run('pdffonts', [pdf]).trim().split('\n').slice(2);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      expect(row).toMatch(/^[A-Z]{6}\+\S+\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/);
    }
    expect(rows.some((r) => r.includes('NotoSerifSC-Bold'))).toBe(true);
    expect(rows.some((r) => r.includes('Inter-Regular'))).toBe(true);
  });

  it('sets TrimBox and BleedBox from the page size and bleed, with a slug for crop marks', () => {
    const info = run('pdfinfo', ['-box', pdf]);
    const box = (name: string) =>
      (new RegExp(`${name}:\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)`).exec(info) ?? []).slice(1).map(Number);
    const slug = 10;
    const bleed = 3;
    const close = (a: number[], b: number[]) => {
      expect(a).toHaveLength(4);
      for (const [i, v] of a.entries()) expect(v).toBeCloseTo(b[i]!, 1);
    };
    close(box('TrimBox'), [mmToPt(slug + bleed), mmToPt(slug + bleed), mmToPt(slug + bleed + 297), mmToPt(slug + bleed + 420)]);
    close(box('BleedBox'), [mmToPt(slug), mmToPt(slug), mmToPt(slug + 2 * bleed + 297), mmToPt(slug + 2 * bleed + 420)]);
    close(box('MediaBox'), [0, 0, mmToPt(2 * slug + 2 * bleed + 297), mmToPt(2 * slug + 2 * bleed + 420)]);
  });

  it('keeps the text searchable in both languages', () => {
    const text = run('pdftotext', [pdf, '-']).replace(/\s+/g, '');
    for (const s of ['新春快乐', 'HappySpringFestival', '万事如意', '南京路']) expect(text).toContain(s);
  });

  it('draws the design: red page into the bleed, gold sun, crop marks outside the bleed', () => {
    run('pdftoppm', ['-r', '30', '-png', pdf, path.join(dir, 'page')]);
    const img = readPng(readFileSync(path.join(dir, 'page-1.png')));
    const px = (mmX: number, mmY: number) => img.pixel(Math.round((mmX / 25.4) * 30), Math.round((mmY / 25.4) * 30));
    const near = (a: number[], b: number[], tol = 30) => b.every((v, i) => Math.abs(a[i]! - v) <= tol);
    const o = 13; // slug + bleed, mm
    expect(near(px(o + 20, o + 200), [0xb3, 0x16, 0x1b])).toBe(true); // background
    expect(near(px(o - 1.5, o + 200), [0xb3, 0x16, 0x1b])).toBe(true); // inside the bleed
    expect(near(px(o + 148.5, o + 200), [0xf2, 0xc1, 0x4e], 40)).toBe(true); // the sun's lower part
    expect(near(px(5, 5), [255, 255, 255])).toBe(true); // slug stays white
  });

  it('reports what it wrote', () => {
    expect(logs.join('\n')).toMatch(/Wrote .*spring\.pdf .*trim 297 × 420 mm, bleed 3 mm, crop marks/);
    // The bundled template passes preflight cleanly.
    expect(logs).toContain('Preflight: 0 errors, 0 warnings');
  });
});

describe('text as outlines', () => {
  it('embeds no fonts, and the outlines draw the same page as the font version', async () => {
    const withFonts = path.join(dir, 'fonts.pdf');
    const outlined = path.join(dir, 'outlined.pdf');
    await main(['render', 'spring-festival', '--out', withFonts], () => {});
    await main(['render', 'spring-festival', '--out', outlined, '--outline-text'], () => {});
    expect(run('pdffonts', [outlined]).trim().split('\n').slice(2)).toEqual([]);
    expect(run('pdftotext', [outlined, '-']).trim()).toBe('');
    run('pdftoppm', ['-r', '40', '-png', withFonts, path.join(dir, 'a')]);
    run('pdftoppm', ['-r', '40', '-png', outlined, path.join(dir, 'b')]);
    const a = readPng(readFileSync(path.join(dir, 'a-1.png')));
    const b = readPng(readFileSync(path.join(dir, 'b-1.png')));
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    // Anti-aliasing and hinting differ at edges; compare within one pixel.
    expect(mismatchRatio(a, b, 80)).toBeLessThan(0.0005);
  }, 60_000);
});

describe('images and failures', () => {
  it('places images at their native resolution', async () => {
    const img = testImage(640, 480, 'photo.png');
    const base = docWith([]);
    const page = base.pages[0]!;
    const doc = { ...base, assets: { [img.asset.sha256]: img.asset }, pages: [{ ...page, elements: [createImageFor(page, img.asset)] }] };
    const file = path.join(dir, 'photo.poster');
    await writeProjectFile(file, doc, () => ({ mime: 'image/png', bytes: img.bytes }));
    const out = path.join(dir, 'photo.pdf');
    expect(await main(['render', file, '--out', out], () => {})).toBe(0);
    const list = run('pdfimages', ['-list', out]).trim().split('\n').slice(2);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^\s*1\s+0\s+image\s+640\s+480\s/);
  });

  it('refuses an image PDF cannot hold and leaves no file behind', async () => {
    const webp = testImage(10, 10, 'x.webp');
    const asset = { ...webp.asset, mime: 'image/webp' as const };
    const base = docWith([]);
    const page = base.pages[0]!;
    const doc = { ...base, assets: { [asset.sha256]: asset }, pages: [{ ...page, elements: [createImageFor(page, asset)] }] };
    const registry = await bundledRegistry();
    await expect(
      renderPdf(doc, { registry, fontBytes: () => new Uint8Array(), asset: () => ({ mime: 'image/webp', bytes: webp.bytes }) }),
    ).rejects.toThrow(ExportError);
    await expect(
      renderPdf(doc, { registry, fontBytes: () => new Uint8Array(), asset: () => ({ mime: 'image/webp', bytes: webp.bytes }) }),
    ).rejects.toThrow(/WebP/);
    const file = path.join(dir, 'webp.poster');
    await writeProjectFile(file, doc, () => ({ mime: 'image/webp', bytes: webp.bytes }));
    const out = path.join(dir, 'webp.pdf');
    await expect(main(['render', file, '--out', out], () => {})).rejects.toThrow(/WebP/);
    expect(existsSync(out)).toBe(false);
  });

  it('explains bad arguments', async () => {
    await expect(main(['render', 'no-such-template', '--out', path.join(dir, 'x.pdf')], () => {})).rejects.toThrow(
      /No project or template/,
    );
    await expect(main(['render', 'spring-festival', '--out', path.join(dir, 'x.tiff')], () => {})).rejects.toThrow(
      /--out FILE\.pdf\|\.png\|\.jpg\|\.svg is required/,
    );
    await expect(main(['frobnicate'], () => {})).rejects.toThrow(/Usage/);
  });
});
