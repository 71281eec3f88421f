// CMYK PDF export aimed at PDF/X-4, checked with poppler and pdf-lib: only CMYK (and gray soft
// mask) images, every colour operator CMYK, the OutputIntent with the profile embedded, the X-4
// metadata, a render that still looks like the RGB export, and clear errors for bad profiles.
// A JPEG photo goes in as a CMYK JPEG (DCTDecode), PNG images as Flate; both renderers (poppler,
// MuPDF) must show the JPEG page like the same page with the photo as a lossless PNG twin.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, type PDFRawStream, PDFRef } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageFor } from '../../core/document/factory';
import type { PosterDocument } from '../../core/document/schema';
import { main } from '../../electron/cli/poster';
import { writeProjectFile } from '../../electron/store/project-file';
import { docWith, rect, sha256, testImage, text } from '../helpers/fixtures';
import { encodePng, readPng } from '../helpers/png';

const PROFILE = path.resolve('resources/icc/PosterStudio-CoatedFOGRA39L.icc');
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

let dir: string;
let project: string;
let rgbPdf: string;
let cmykPdf: string;
const logs: string[] = [];

/** A PNG with a real alpha channel: a blue disc fading out to transparent. */
function alphaPng(size: number): Uint8Array {
  const px = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const d = Math.hypot(x - size / 2, y - size / 2) / (size / 2);
      px.set([30, 90, 200, Math.max(0, Math.min(255, Math.round((1 - d) * 400)))], i);
    }
  return encodePng(size, size, px);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'poster-cmyk-'));
  const photo = testImage(640, 480, 'photo.png', 3);
  const discBytes = alphaPng(200);
  const disc = {
    bytes: discBytes,
    asset: {
      sha256: sha256(discBytes),
      mime: 'image/png' as const,
      width: 200,
      height: 200,
      byteLength: discBytes.length,
      name: 'disc.png',
    },
  };
  const base = docWith([]);
  const page = base.pages[0]!;
  const photoEl = { ...createImageFor(page, photo.asset, undefined, 'el:photo'), x: 20, y: 20, width: 160, height: 120 };
  const discEl = { ...createImageFor(page, disc.asset, undefined, 'el:disc'), x: 60, y: 200, width: 80, height: 80 };
  const doc: PosterDocument = {
    ...base,
    title: 'CMYK test 印刷',
    assets: { [photo.asset.sha256]: photo.asset, [disc.asset.sha256]: disc.asset },
    pages: [
      {
        ...page,
        background: '#f4efe6',
        elements: [
          rect('el:red', 0, 150, 210, 40, { fill: '#b3161b', stroke: '#1d4e89', strokeWidth: 2 } as never),
          photoEl,
          discEl,
          rect('el:black', 20, 240, 30, 30, { fill: '#000000' } as never),
          text('el:text', 20, 60, 170, 30, '印刷 CMYK'),
        ],
      },
    ],
  };
  project = path.join(dir, 'cmyk.poster');
  const bytes = new Map([
    [photo.asset.sha256, photo.bytes],
    [disc.asset.sha256, disc.bytes],
  ]);
  await writeProjectFile(project, doc, (sha) => ({ mime: 'image/png', bytes: bytes.get(sha)! }));
  rgbPdf = path.join(dir, 'rgb.pdf');
  cmykPdf = path.join(dir, 'cmyk.pdf');
  expect(await main(['render', project, '--out', rgbPdf, '--no-generate'], () => {})).toBe(0);
  expect(await main(['render', project, '--out', cmykPdf, '--cmyk', '--no-generate'], (s) => logs.push(s))).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CMYK PDF export', () => {
  it('leaves no RGB image: every image is 8-bit CMYK at native size, alpha kept as a gray soft mask', () => {
    const rows = run('pdfimages', ['-list', cmykPdf]).trim().split('\n').slice(2);
    const cols = rows.map((r) => r.trim().split(/\s+/));
    // page num type width height color comp bpc ...
    const images = cols.filter((c) => c[2] === 'image');
    const masks = cols.filter((c) => c[2] === 'smask');
    expect(images.map((c) => [c[3], c[4], c[5], c[6], c[7]])).toEqual(
      expect.arrayContaining([
        ['640', '480', 'cmyk', '4', '8'],
        ['200', '200', 'cmyk', '4', '8'],
      ]),
    );
    expect(images).toHaveLength(2);
    expect(masks.map((c) => [c[3], c[4], c[5]])).toEqual([['200', '200', 'gray']]);
    expect(cols.every((c) => c[5] === 'cmyk' || c[5] === 'gray')).toBe(true);
    // PNG sources stay lossless (Flate: pdfimages says "image"), never DCT.
    expect(images.map((c) => c[8])).toEqual(['image', 'image']);
    // The RGB export of the same project does have RGB images, so the check above means something.
    expect(run('pdfimages', ['-list', rgbPdf])).toMatch(/\brgb\b/);
  });

  it('paints every fill, stroke and text colour with CMYK operators', async () => {
    const pdf = await PDFDocument.load(readFileSync(cmykPdf));
    const contents = pdf.getPage(0).node.lookup(PDFName.of('Contents')) as PDFRawStream;
    const ops = new TextDecoder().decode(decodePDFRawStream(contents).decode());
    expect(ops).not.toMatch(/\s(rg|RG|g|G|sc|scn)\n/);
    expect(ops).not.toMatch(/\b(rg|RG)\b/);
    // Background, red band, black square, the text's colour: all "c m y k k"; the stroke "K".
    expect((ops.match(/(?:[\d.]+ ){4}k\n/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(ops).toMatch(/(?:[\d.]+ ){4}K /);
    expect(ops).toMatch(/Tf <[0-9a-f]{4}> Tj/);
  });

  it('has an OutputIntent GTS_PDFX with the bundled profile as DestOutputProfile (ICCBased, N 4)', async () => {
    const pdf = await PDFDocument.load(readFileSync(cmykPdf));
    const intents = pdf.catalog.lookup(PDFName.of('OutputIntents'), PDFArray);
    expect(intents.size()).toBe(1);
    const intent = intents.lookup(0, PDFDict);
    expect(intent.get(PDFName.of('S'))).toBe(PDFName.of('GTS_PDFX'));
    expect(intent.get(PDFName.of('OutputConditionIdentifier'))?.toString()).toBe('(FOGRA39)');
    expect(intent.get(PDFName.of('RegistryName'))?.toString()).toBe('(http://www.color.org)');
    expect(intent.get(PDFName.of('Info'))?.toString()).toMatch(/not the official FOGRA39 profile/);
    const ref = intent.get(PDFName.of('DestOutputProfile'));
    expect(ref).toBeInstanceOf(PDFRef);
    const stream = pdf.context.lookup(ref) as PDFRawStream;
    expect(stream.dict.get(PDFName.of('N'))?.toString()).toBe('4');
    expect(Buffer.from(decodePDFRawStream(stream).decode()).equals(readFileSync(PROFILE))).toBe(true);
  });

  it('carries the PDF/X-4 markers: 1.6 header, XMP GTS_PDFXVersion, Trapped False, ID, boxes', async () => {
    const bytes = readFileSync(cmykPdf);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.6');
    const text = bytes.toString('latin1');
    expect(text).toContain('<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>');
    expect(text).toContain('<pdf:Trapped>False</pdf:Trapped>');
    expect(text).toMatch(/\/ID \[ <[0-9A-Fa-f]{32}> <[0-9A-Fa-f]{32}> \]/);
    const pdf = await PDFDocument.load(bytes, { updateMetadata: false });
    const info = pdf.context.lookup(pdf.context.trailerInfo.Info, PDFDict);
    expect(info.get(PDFName.of('Trapped'))).toBe(PDFName.of('False'));
    expect((pdf.catalog.lookup(PDFName.of('Metadata')) as PDFRawStream).dict.get(PDFName.of('Subtype'))).toBe(PDFName.of('XML'));
    const boxes = run('pdfinfo', ['-box', cmykPdf]);
    expect(boxes).toMatch(/TrimBox:\s+[\d.]+/);
    expect(boxes).toMatch(/BleedBox:\s+[\d.]+/);
    expect(run('pdfinfo', ['-meta', cmykPdf])).toContain('PDF/X-4');
  });

  it('renders like the RGB export (poppler, 30 dpi): mean colour difference small', () => {
    run('pdftoppm', ['-r', '30', '-png', rgbPdf, path.join(dir, 'rgb')]);
    run('pdftoppm', ['-r', '30', '-png', cmykPdf, path.join(dir, 'cmyk')]);
    const a = readPng(readFileSync(path.join(dir, 'rgb-1.png')));
    const b = readPng(readFileSync(path.join(dir, 'cmyk-1.png')));
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    let sum = 0;
    let n = 0;
    for (let y = 0; y < a.height; y++)
      for (let x = 0; x < a.width; x++) {
        const p = a.pixel(x, y);
        const q = b.pixel(x, y);
        sum += (Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2])) / 3;
        n++;
      }
    const mean = sum / n;
    const red = b.pixel(Math.round(((3 + 100) / 25.4) * 30), Math.round(((3 + 170) / 25.4) * 30));
    console.log(`CMYK vs RGB render: mean |Δ| ${mean.toFixed(2)} of 255; red band renders as ${red.join(',')} (design #b3161b)`);
    expect(mean).toBeLessThan(25);
    // The red band stays clearly red. Measured 2026-11-28 (poppler 25): poppler does not use the
    // OutputIntent profile for DeviceCMYK (the same file with the OutputIntent removed renders
    // pixel-identically); its own CMYK->RGB formula gives 183,24,38 for the band, mean |Δ| 6.9.
    expect(red[0]).toBeGreaterThan(150);
    expect(red[1]).toBeLessThan(90);
    expect(red[2]).toBeLessThan(90);
  });

  it('reports the conversion in preflight and the summary, and says it is not validated X-4', () => {
    const all = logs.join('\n');
    expect(all).toMatch(
      /info {4}2 RGB images and \d+ RGB colours converted to CMYK with Poster Studio Coated \(FOGRA39L data, 300% TAC\) \(bundled\)/,
    );
    expect(all).toMatch(/Wrote .*cmyk\.pdf .*CMYK with .*perceptual intent, aimed at PDF\/X-4, not checked with a PDF\/X validator/);
  });
});

describe('CMYK options', () => {
  it('warns when a converted colour exceeds the press ink limit', async () => {
    const out: string[] = [];
    const file = path.join(dir, 'limit.pdf');
    expect(await main(['render', project, '--out', file, '--cmyk', '--ink-limit', '240', '--no-generate'], (s) => out.push(s))).toBe(0);
    // Black (#000000) converts to about 300 % with the bundled profile.
    expect(out.join('\n')).toMatch(/warning .*#000000 converts to \d{3}% total ink, over the 240% limit/);
    expect(out.join('\n')).not.toMatch(/#f4efe6 converts/);
  });

  it('uses a relative colorimetric intent when asked, giving different separations', async () => {
    const file = path.join(dir, 'relative.pdf');
    expect(await main(['render', project, '--out', file, '--intent', 'relative', '--no-generate'], () => {})).toBe(0);
    expect(readFileSync(file).equals(readFileSync(cmykPdf))).toBe(false);
    expect(run('pdfimages', ['-list', file])).not.toMatch(/\brgb\b/);
  });

  it('accepts a user CMYK profile and names it in the OutputIntent', async () => {
    const mine = path.join(dir, 'mine.icc');
    writeFileSync(mine, readFileSync(PROFILE));
    const file = path.join(dir, 'mine.pdf');
    const out: string[] = [];
    expect(await main(['render', project, '--out', file, '--icc', mine, '--no-generate'], (s) => out.push(s))).toBe(0);
    expect(out.join('\n')).toMatch(/converted to CMYK with .*\(mine\.icc\)/);
    const pdf = await PDFDocument.load(readFileSync(file));
    const intent = pdf.catalog.lookup(PDFName.of('OutputIntents'), PDFArray).lookup(0, PDFDict);
    expect(intent.get(PDFName.of('OutputConditionIdentifier'))?.toString()).toBe('(Custom)');
  });

  for (const [label, make, message] of [
    ['an RGB profile', () => readFileSync('/usr/share/color/icc/sRGB.icc'), /srgb\.icc: ".*" is a RGB profile .*needs a CMYK output/i],
    ['a truncated profile', () => readFileSync(PROFILE).subarray(0, 40_000), /truncated/],
    ['a file that is not a profile', () => Buffer.from('hello'.repeat(100)), /not an ICC profile/],
  ] as const) {
    it(`refuses ${label} with a clear error and writes nothing`, async () => {
      const icc = path.join(dir, label === 'an RGB profile' ? 'srgb.icc' : `${label.replace(/\W+/g, '-')}.icc`);
      writeFileSync(icc, make());
      const file = path.join(dir, `bad-${label.replace(/\W+/g, '-')}.pdf`);
      await expect(main(['render', project, '--out', file, '--cmyk', '--icc', icc, '--no-generate'], () => {})).rejects.toThrow(message);
      expect(existsSync(file)).toBe(false);
    });
  }

  it('refuses a missing profile file and CMYK for raster output', async () => {
    const file = path.join(dir, 'none.pdf');
    await expect(main(['render', project, '--out', file, '--icc', path.join(dir, 'nope.icc'), '--no-generate'], () => {})).rejects.toThrow(
      /Cannot read the ICC profile .*nope\.icc: ENOENT/,
    );
    expect(existsSync(file)).toBe(false);
    await expect(main(['render', project, '--out', path.join(dir, 'x.png'), '--cmyk'], () => {})).rejects.toThrow(/PDF output only/);
    await expect(main(['render', project, '--out', file, '--intent', 'saturation'], () => {})).rejects.toThrow(/perceptual or relative/);
  });
});

/** pdfimages -list rows as [type, width, height, color, comp, bpc, enc]. */
function imageRows(file: string): string[][] {
  return run('pdfimages', ['-list', file])
    .trim()
    .split('\n')
    .slice(2)
    .map((r) => r.trim().split(/\s+/))
    .map((c) => [c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!]);
}

/** Mean |Δ| over the RGB channels of two same-sized renders, 0..255. */
function meanDiff(a: ReturnType<typeof readPng>, b: ReturnType<typeof readPng>): number {
  expect([b.width, b.height]).toEqual([a.width, a.height]);
  let sum = 0;
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++) {
      const p = a.pixel(x, y);
      const q = b.pixel(x, y);
      sum += (Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2])) / 3;
    }
  return sum / (a.width * a.height);
}

describe('CMYK PDF with a JPEG photo', () => {
  const pdfs: Record<'jpeg' | 'png', string> = { jpeg: '', png: '' };

  beforeAll(async () => {
    // A photo-like picture (gradients, a soft disc, grain, a hard edge) at an odd size, saved as
    // JPEG; its decoded pixels saved again as PNG give a lossless twin of exactly the same picture.
    const [w, h] = [403, 301];
    const c = createCanvas(w, h);
    const g = c.getContext('2d');
    const sky = g.createLinearGradient(0, 0, 0, h);
    sky.addColorStop(0, '#2a5d9f');
    sky.addColorStop(1, '#f2c38b');
    g.fillStyle = sky;
    g.fillRect(0, 0, w, h);
    const sun = g.createRadialGradient(280, 90, 5, 280, 90, 90);
    sun.addColorStop(0, 'rgba(255,240,200,1)');
    sun.addColorStop(1, 'rgba(255,240,200,0)');
    g.fillStyle = sun;
    g.fillRect(0, 0, w, h);
    g.fillStyle = '#1f3b1a';
    g.fillRect(0, 220, w, h - 220);
    const img = g.getImageData(0, 0, w, h);
    let s = 12345;
    for (let i = 0; i < w * h; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const n = ((s >>> 24) % 13) - 6;
      for (let k = 0; k < 3; k++) img.data[i * 4 + k] = Math.max(0, Math.min(255, (img.data[i * 4 + k] as number) + n));
    }
    g.putImageData(img, 0, 0);
    const jpg = new Uint8Array(await c.encode('jpeg', 92));
    const decoded = await loadImage(Buffer.from(jpg));
    const c2 = createCanvas(w, h);
    c2.getContext('2d').drawImage(decoded, 0, 0);
    const twin = encodePng(w, h, new Uint8Array(c2.getContext('2d').getImageData(0, 0, w, h).data));
    const graphic = testImage(120, 90, 'graphic.png', 5);
    for (const kind of ['jpeg', 'png'] as const) {
      const bytes = kind === 'jpeg' ? jpg : twin;
      const mime = kind === 'jpeg' ? ('image/jpeg' as const) : ('image/png' as const);
      const asset = {
        sha256: sha256(bytes),
        mime,
        width: w,
        height: h,
        byteLength: bytes.length,
        name: `photo.${kind === 'jpeg' ? 'jpg' : 'png'}`,
      };
      const base = docWith([]);
      const page = base.pages[0]!;
      const doc: PosterDocument = {
        ...base,
        assets: { [asset.sha256]: asset, [graphic.asset.sha256]: graphic.asset },
        pages: [
          {
            ...page,
            background: '#ffffff',
            elements: [
              { ...createImageFor(page, asset, undefined, 'el:photo'), x: 0, y: 0, width: 210, height: 157 },
              { ...createImageFor(page, graphic.asset, undefined, 'el:graphic'), x: 20, y: 180, width: 120, height: 90 },
            ],
          },
        ],
      };
      const file = path.join(dir, `photo-${kind}.poster`);
      const stored = new Map([
        [asset.sha256, { mime, bytes }],
        [graphic.asset.sha256, { mime: 'image/png' as const, bytes: graphic.bytes }],
      ]);
      await writeProjectFile(file, doc, (sha) => stored.get(sha)!);
      pdfs[kind] = path.join(dir, `photo-${kind}.pdf`);
      expect(await main(['render', file, '--out', pdfs[kind], '--cmyk', '--no-generate'], () => {})).toBe(0);
    }
  }, 120_000);

  it('writes the JPEG photo as a DCT CMYK image and the PNG graphic as Flate; no RGB image remains', () => {
    const rows = imageRows(pdfs.jpeg);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['image', '403', '301', 'cmyk', '4', '8', 'jpeg'],
        ['image', '120', '90', 'cmyk', '4', '8', 'image'],
      ]),
    );
    expect(rows).toHaveLength(2);
    // The lossless twin: the same photo from a PNG stays Flate.
    expect(imageRows(pdfs.png).map((r) => r[6])).toEqual(['image', 'image']);
    for (const f of [pdfs.jpeg, pdfs.png]) expect(run('pdfimages', ['-list', f])).not.toMatch(/\brgb\b/);
    // The photo's stream (pdfimages' size column) is much smaller as a CMYK JPEG than as Flate CMYK.
    const photoSize = (f: string) => {
      const row = run('pdfimages', ['-list', f])
        .split('\n')
        .find((r) => /\s403\s+301\s/.test(r))!;
      const size = row.trim().split(/\s+/)[14]!; // page num type w h color comp bpc enc interp obj gen x-ppi y-ppi size
      return Number.parseFloat(size) * (size.endsWith('K') ? 1024 : size.endsWith('M') ? 1048576 : 1);
    };
    console.log(`403x301 photo stream: CMYK JPEG ${photoSize(pdfs.jpeg)} bytes, Flate ${photoSize(pdfs.png)} bytes`);
    expect(photoSize(pdfs.jpeg)).toBeLessThan(photoSize(pdfs.png) * 0.6);
  });

  it('renders like the Flate twin in poppler and MuPDF (the /Decode inversion is right)', () => {
    const render = (tool: 'poppler' | 'mupdf', f: string, out: string) => {
      if (tool === 'poppler') run('pdftoppm', ['-r', '40', '-png', '-singlefile', f, out]);
      else run('mutool', ['draw', '-q', '-r', '40', '-c', 'rgb', '-o', `${out}.png`, f, '1']);
      return readPng(readFileSync(`${out}.png`));
    };
    const results: string[] = [];
    for (const tool of ['poppler', 'mupdf'] as const) {
      const a = render(tool, pdfs.jpeg, path.join(dir, `${tool}-jpeg`));
      const b = render(tool, pdfs.png, path.join(dir, `${tool}-png`));
      const mean = meanDiff(a, b);
      // The sky's top-left corner: blue in both, so the ink is not inverted.
      const sky = a.pixel(5, 5);
      results.push(`${tool}: mean |Δ| ${mean.toFixed(2)}, sky ${sky.join(',')}`);
      expect(mean).toBeLessThan(3);
      expect(sky[2]).toBeGreaterThan(sky[0] + 40);
    }
    console.log(`CMYK JPEG vs Flate render, 40 dpi: ${results.join('; ')}`);
  });
});
