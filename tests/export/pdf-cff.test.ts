// PDF export with a user's CFF-flavoured OpenType fonts (Debian's Noto Sans CJK collection,
// CID-keyed, and URW's C059 .otf, name-keyed; added through the font library as a user would): the subset goes in the CFF slot
// (/FontFile3 /CIDFontType0C under a CIDFontType0), not the TrueType one; poppler and MuPDF
// read it without complaint, the text extracts exactly, both draw what the PNG export draws
// and MuPDF draws exactly the typesetter's outlines. The bundled TrueType faces in the same
// file keep their TrueType embedding; a face with no outlines to embed is named in the error.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { type PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, type PDFRef } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createText } from '../../core/document/factory';
import type { PosterDocument, TextElement } from '../../core/document/schema';
import { padCffReals } from '../../electron/export/cff-reals';
import { type PdfSources, renderPdf } from '../../electron/export/pdf';
import { renderRaster } from '../../electron/export/raster';
import { FontLibrary } from '../../electron/store/font-library';
import { docWith } from '../helpers/fixtures';
import { mismatchRatio, readPng } from '../helpers/png';

const TTC = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
const OTF = '/usr/share/fonts/opentype/urw-base35/C059-Roman.otf';
const CFF_LINE = '春节快乐，万事如意 Happy Spring 2026';
const OTF_LINE = 'Roman Type 1984, Ærø';
const TTF_LINE = '新年好 TrueType';
const DPI = 200;

let dir: string;
let pdfFile: string;
let pdfBytes: Uint8Array;
let src: PdfSources;
let doc: PosterDocument;
let cffFamily: string;

function textEl(id: string, y: number, content: string, style: Partial<TextElement['style']>): TextElement {
  const t = createText({ x: 8, y, width: 170, height: 16 }, content, id as TextElement['id']);
  return { ...t, style: { ...t.style, fontSize: 20, color: '#1a1a1a', ...style } };
}

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return { out: r.stdout, err: r.stderr };
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'poster-pdf-cff-'));
  const library = new FontLibrary(path.join(dir, 'user-fonts'));
  const info = await library.add('NotoSansCJK-Regular.ttc', new Uint8Array(readFileSync(TTC)));
  cffFamily = info.family;
  const otf = await library.add('C059-Roman.otf', new Uint8Array(readFileSync(OTF)));
  const registry = await library.registry();
  const bytes = new Map<string, Uint8Array>();
  for (const f of await library.list()) bytes.set(f.id, await library.read(f.id));
  src = { registry, fontBytes: (id) => bytes.get(id) as Uint8Array, asset: () => undefined };
  const base = docWith([
    textEl('el:cff', 4, CFF_LINE, { cjkFamily: cffFamily, latinFamily: cffFamily }),
    textEl('el:otf', 24, OTF_LINE, { latinFamily: otf.family }),
    textEl('el:ttf', 44, TTF_LINE, { cjkFamily: 'Noto Sans SC', latinFamily: 'Inter' }),
  ]);
  // 7.5 × 2.5 inches: whole pixels at any DPI the renderers are asked for.
  doc = { ...base, pages: [{ ...base.pages[0]!, width: 190.5, height: 63.5, bleed: 0, background: '#ffffff' }] };
  pdfBytes = await renderPdf(doc, src);
  pdfFile = path.join(dir, 'cff.pdf');
  writeFileSync(pdfFile, pdfBytes);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The Type 0 fonts of the file with their descendant and font descriptor, by BaseFont. */
async function fontObjects(bytes = pdfBytes) {
  const pdf = await PDFDocument.load(bytes);
  const ctx = pdf.context;
  const out = new Map<string, { type0: PDFDict; cid: PDFDict; descriptor: PDFDict }>();
  for (const [, obj] of ctx.enumerateIndirectObjects()) {
    if (!(obj instanceof PDFDict) || obj.get(PDFName.of('Subtype'))?.toString() !== '/Type0') continue;
    const cid = ctx.lookup((obj.get(PDFName.of('DescendantFonts')) as PDFArray).get(0) as PDFRef, PDFDict);
    const descriptor = ctx.lookup(cid.get(PDFName.of('FontDescriptor')) as PDFRef, PDFDict);
    out.set(obj.get(PDFName.of('BaseFont'))!.toString().slice(1), { type0: obj, cid, descriptor });
  }
  return { ctx, fonts: out };
}

type Img = ReturnType<typeof readPng>;

const isCff = (name: string) => /NotoSansCJK|C059/.test(name);

/** A bare CFF's glyph count (CharStrings INDEX) and how many glyphs its charset names. */
function cffGlyphs(b: Uint8Array): { charStrings: number; charset: number } {
  const index = (pos: number) => {
    const count = (b[pos]! << 8) | b[pos + 1]!;
    if (count === 0) return { count, items: [] as [number, number][], end: pos + 2 };
    const size = b[pos + 2]!;
    const off = (k: number) => {
      let v = 0;
      for (let i = 0; i < size; i++) v = v * 256 + b[pos + 3 + k * size + i]!;
      return v;
    };
    const base = pos + 2 + (count + 1) * size;
    const items: [number, number][] = [];
    for (let k = 0; k < count; k++) items.push([base + off(k), base + off(k + 1)]);
    return { count, items, end: base + off(count) };
  };
  const names = index(b[2]!);
  const [start, end] = index(names.end).items[0]!;
  // Top DICT: integer operands are enough for charset (15) and CharStrings (17).
  const ops = new Map<number, number[]>();
  let operands: number[] = [];
  for (let i = start; i < end; ) {
    const v = b[i]!;
    if (v <= 21) {
      ops.set(v === 12 ? 1200 + b[i + 1]! : v, operands);
      operands = [];
      i += v === 12 ? 2 : 1;
    } else if (v === 28) {
      operands.push(((b[i + 1]! << 24) | (b[i + 2]! << 16)) >> 16);
      i += 3;
    } else if (v === 29) {
      operands.push((b[i + 1]! << 24) | (b[i + 2]! << 16) | (b[i + 3]! << 8) | b[i + 4]!);
      i += 5;
    } else if (v === 30) {
      while ((b[i]! & 0x0f) !== 0x0f && b[i]! >> 4 !== 0x0f) i++;
      i++;
      operands.push(Number.NaN);
    } else if (v <= 246) {
      operands.push(v - 139);
      i++;
    } else if (v <= 250) {
      operands.push((v - 247) * 256 + b[i + 1]! + 108);
      i += 2;
    } else {
      operands.push(-(v - 251) * 256 - b[i + 1]! - 108);
      i += 2;
    }
  }
  const charStrings = index(ops.get(17)![0]!).count;
  let pos = ops.get(15)![0]!;
  const format = b[pos++]!;
  let named = 0;
  if (format === 0) named = charStrings - 1;
  else {
    // Formats 1 and 2: ranges (first SID/CID, nLeft) until every glyph but .notdef is named.
    while (named < charStrings - 1) {
      const nLeft = format === 1 ? b[pos + 2]! : (b[pos + 2]! << 8) | b[pos + 3]!;
      named += nLeft + 1;
      pos += format === 1 ? 3 : 4;
    }
  }
  return { charStrings, charset: named + 1 };
}

/**
 * Blocks of `size` × `size` pixels whose mean grey differs by more than `tol`, as a share of the
 * blocks with ink in either image. Block means even out anti-aliasing and hinting at glyph
 * edges; a missing, moved or wrong glyph still changes whole blocks.
 */
function blockMismatch(a: Img, b: Img, size: number, tol: number): number {
  const grey = (img: Img, x: number, y: number) => {
    const [r, g, bl] = img.pixel(x, y);
    return (r + g + bl) / 3;
  };
  let inked = 0;
  let differ = 0;
  for (let by = 0; by + size <= a.height; by += size) {
    for (let bx = 0; bx + size <= a.width; bx += size) {
      let sa = 0;
      let sb = 0;
      for (let y = by; y < by + size; y++) {
        for (let x = bx; x < bx + size; x++) {
          sa += grey(a, x, y);
          sb += grey(b, x, y);
        }
      }
      const ma = sa / (size * size);
      const mb = sb / (size * size);
      if (ma < 250 || mb < 250) inked++;
      if (Math.abs(ma - mb) > tol) differ++;
    }
  }
  return differ / Math.max(inked, 1);
}

describe('PDF export with a CFF (OpenType .otf/.ttc) font', () => {
  it('lists the CFF face as an embedded subset of type CID Type 0C, the TrueType faces as CID TrueType', () => {
    const { out, err } = run('pdffonts', [pdfFile]);
    // Poppler notices a font program in the wrong slot ("Mismatch between font type and
    // embedded font file") even where it then guesses right.
    expect(err).toBe('');
    const rows = out.trim().split('\n').slice(2);
    const cff = rows.filter(isCff);
    expect(cff).toHaveLength(2);
    expect(cff[0]).toMatch(/^[A-Z]{6}\+NotoSansCJKjp-Regular-Identity-H\s+CID Type 0C\s+Identity-H\s+yes\s+yes\s+yes/);
    expect(cff[1]).toMatch(/^[A-Z]{6}\+C059-Roman-Identity-H\s+CID Type 0C\s+Identity-H\s+yes\s+yes\s+yes/);
    const ttf = rows.filter((r) => !isCff(r));
    expect(ttf.length).toBeGreaterThanOrEqual(2);
    for (const r of ttf) expect(r).toMatch(/^[A-Z]{6}\+\S+\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/);
  });

  it('puts the CFF subset in /FontFile3 /CIDFontType0C under a CIDFontType0, and TrueType in /FontFile2', async () => {
    const { ctx, fonts } = await fontObjects();
    const cffs = [...fonts.keys()].filter(isCff);
    expect(cffs).toHaveLength(2);
    for (const cffName of cffs) {
      const line = cffName.includes('C059') ? OTF_LINE : CFF_LINE;
      const cff = fonts.get(cffName)!;
      expect(cff.cid.get(PDFName.of('Subtype'))?.toString(), cffName).toBe('/CIDFontType0');
      // A Type 0 font over a CIDFontType0 is named CIDFont name, hyphen, CMap name.
      expect(cffName).toBe(`${cff.cid.get(PDFName.of('BaseFont'))!.toString().slice(1)}-Identity-H`);
      // CIDToGIDMap belongs to CIDFontType2 only; here the CFF's charset maps CIDs to glyphs.
      expect(cff.cid.get(PDFName.of('CIDToGIDMap'))).toBeUndefined();
      expect(cff.descriptor.get(PDFName.of('FontFile2'))).toBeUndefined();
      const file = ctx.lookup(cff.descriptor.get(PDFName.of('FontFile3')) as PDFRef) as PDFRawStream;
      expect(file).toBeInstanceOf(PDFRawStream);
      expect(file.dict.get(PDFName.of('Subtype'))?.toString()).toBe('/CIDFontType0C');
      const program = new Uint8Array(inflateSync(file.getContents()));
      // A bare CFF table (major version 1), subset (the collection is 19 MB).
      expect([program[0], program[1]]).toEqual([1, 0]);
      expect(program.length).toBeLessThan(200_000);
      // One glyph per distinct character (the space too) and .notdef, each named by the charset.
      const glyphs = new Set([...line]).size + 1;
      expect(cffGlyphs(program), cffName).toEqual({ charStrings: glyphs, charset: glyphs });
      // Its DICT real numbers end with the 0xF pad nibble the CFF spec asks for (fontkit writes 0).
      expect(Buffer.from(padCffReals(program)).equals(Buffer.from(program)), cffName).toBe(true);
    }

    const ttfs = [...fonts.entries()].filter(([n]) => !isCff(n));
    expect(ttfs.length).toBeGreaterThanOrEqual(2);
    for (const [name, f] of ttfs) {
      expect(f.cid.get(PDFName.of('Subtype'))?.toString()).toBe('/CIDFontType2');
      expect(f.cid.get(PDFName.of('CIDToGIDMap'))?.toString()).toBe('/Identity');
      expect(f.descriptor.get(PDFName.of('FontFile3'))).toBeUndefined();
      const ttf = ctx.lookup(f.descriptor.get(PDFName.of('FontFile2')) as PDFRef) as PDFRawStream;
      expect(ttf).toBeInstanceOf(PDFRawStream);
      // A TrueType file: sfnt version 1.0, or 'true' as fontkit writes it.
      expect([0x00010000, 0x74727565], name).toContain(inflateSync(ttf.getContents()).readUInt32BE(0));
    }
  });

  it('gives back the exact Chinese and English text', () => {
    const lines = run('pdftotext', ['-enc', 'UTF-8', pdfFile, '-'])
      .out.split('\n')
      .map((l) => l.trim())
      .filter((l) => l && l !== '\f');
    expect(lines).toEqual([CFF_LINE, OTF_LINE, TTF_LINE]);
  });

  it('passes qpdf --check and MuPDF reads the fonts', () => {
    expect(run('qpdf', ['--check', pdfFile]).out).toContain('No syntax or stream encoding errors found');
    const info = run('mutool', ['info', '-F', pdfFile]).out;
    expect(info).toMatch(/Type0 '[A-Z]{6}\+NotoSansCJKjp-Regular-Identity-H' Identity-H/);
    expect(info).toMatch(/Type0 '[A-Z]{6}\+C059-Roman-Identity-H' Identity-H/);
  });

  it('draws in poppler and MuPDF what the PNG export draws, and in MuPDF exactly the outlines', async () => {
    const png = path.join(dir, 'ref.png');
    await renderRaster(doc, src, png, { dpi: DPI, format: 'png' });
    const ref = readPng(readFileSync(png));
    const white = { ...ref, pixel: () => [255, 255, 255] as [number, number, number] };
    // The text covers enough of the page that a missing or misplaced line would show.
    const ink = mismatchRatio(ref, white, 60);
    expect(ink).toBeGreaterThan(0.02);

    const poppler = (pdf: string, name: string) => {
      expect(run('pdftoppm', ['-r', String(DPI), '-png', '-singlefile', pdf, path.join(dir, name)]).err).toBe('');
      return readPng(readFileSync(path.join(dir, `${name}.png`)));
    };
    const mupdf = (pdf: string, name: string) => {
      execFileSync('mutool', ['draw', '-q', '-r', String(DPI), '-o', path.join(dir, `${name}.png`), pdf], { stdio: 'ignore' });
      return readPng(readFileSync(path.join(dir, `${name}.png`)));
    };
    for (const [who, img] of [
      ['poppler', poppler(pdfFile, 'poppler')],
      ['mupdf', mupdf(pdfFile, 'mupdf')],
    ] as const) {
      expect([img.width, img.height], who).toEqual([ref.width, ref.height]);
      // Another rasteriser: anti-aliasing and hinting differ at glyph edges, so compare within
      // one pixel, and allow a small share of the text's pixels (a lost line would be a third).
      expect(mismatchRatio(img, ref, 60) / ink, who).toBeLessThan(0.12);
      expect(mismatchRatio(ref, img, 60) / ink, who).toBeLessThan(0.12);
    }

    // Glyph for glyph: the same page with its text as outlines (the typesetter's own glyph
    // paths) drawn by the same renderer, against the same page with one character changed
    // ("春" set as "夏"), which is what one wrong glyph costs. MuPDF fills text and paths alike;
    // poppler's FreeType text and its path filler differ at every edge, so it sits this out.
    const els = doc.pages[0]!.elements as TextElement[];
    const oneOff = {
      ...doc,
      pages: [
        {
          ...doc.pages[0]!,
          elements: els.map((e, i) => (i === 0 ? { ...e, runs: e.runs.map((r) => ({ ...r, text: r.text.replace('春', '夏') })) } : e)),
        },
      ],
    };
    const outlinedPdf = path.join(dir, 'outlined.pdf');
    writeFileSync(outlinedPdf, await renderPdf(doc, src, { outlineText: true }));
    const wrongPdf = path.join(dir, 'wrong.pdf');
    writeFileSync(wrongPdf, await renderPdf(oneOff, src, { outlineText: true }));
    // The two CFF lines: the upper two thirds of the page (MuPDF places the TrueType line's
    // glyphs a fraction of a pixel off its outlines at this position, which is no CFF matter).
    const cffLines = (im: Img) => ({ ...im, height: Math.floor((im.height * 2) / 3) });
    const outlined = cffLines(mupdf(outlinedPdf, 'mupdf-outlined'));
    const oneGlyph = blockMismatch(cffLines(mupdf(wrongPdf, 'mupdf-wrong')), outlined, 8, 24);
    const same = blockMismatch(cffLines(mupdf(pdfFile, 'mupdf')), outlined, 8, 24);
    expect(oneGlyph).toBeGreaterThan(0.02);
    expect(same).toBeLessThan(oneGlyph / 5);
  }, 60_000);

  it('embeds a valid CFF subset when the face draws nothing but .notdef', async () => {
    // A private-use character no face has: the typesetter draws the CFF face's .notdef box.
    const base = docWith([textEl('el:none', 8, '\u{F0001}', { cjkFamily: cffFamily, latinFamily: cffFamily })]);
    const lone = { ...base, pages: [{ ...base.pages[0]!, width: 50.8, height: 25.4, bleed: 0, background: '#ffffff' }] };
    const file = path.join(dir, 'notdef.pdf');
    writeFileSync(file, await renderPdf(lone, src));
    const { out, err } = run('pdffonts', [file]);
    expect(err).toBe('');
    expect(out).toMatch(/[A-Z]{6}\+NotoSansCJKjp-Regular-Identity-H\s+CID Type 0C\s+Identity-H\s+yes\s+yes/);
    // Nothing but .notdef in the subset.
    const { ctx, fonts } = await fontObjects(new Uint8Array(readFileSync(file)));
    const [font] = [...fonts.values()];
    const program = ctx.lookup(font!.descriptor.get(PDFName.of('FontFile3')) as PDFRef) as PDFRawStream;
    expect(cffGlyphs(new Uint8Array(inflateSync(program.getContents())))).toEqual({ charStrings: 1, charset: 1 });
    expect(run('pdftoppm', ['-r', '50', '-png', '-singlefile', file, path.join(dir, 'notdef')]).err).toBe('');
    const mu = spawnSync('mutool', ['draw', '-r', '50', '-o', path.join(dir, 'notdef-mu.png'), file], { encoding: 'utf8' });
    expect(mu.stderr.replace(/warning: ICC support is not available\n/, '').replace(/page .*\n/, '')).toBe('');
  });

  it('names the face when its outlines cannot be embedded (CFF2), and outlined text still exports', async () => {
    const bytes = new Uint8Array(readFileSync(TTC));
    // Face 0's table directory: retag its CFF table as CFF2, the variable form fontkit cannot subset.
    const dirAt = Buffer.from(bytes.buffer).readUInt32BE(12);
    const count = Buffer.from(bytes.buffer).readUInt16BE(dirAt + 4);
    for (let i = 0; i < count; i++) {
      const rec = dirAt + 12 + 16 * i;
      if (Buffer.from(bytes.subarray(rec, rec + 4)).toString('latin1') === 'CFF ') bytes.set([0x43, 0x46, 0x46, 0x32], rec);
    }
    const broken: PdfSources = { ...src, fontBytes: (id) => (id.startsWith('user-') ? bytes : src.fontBytes(id)) };
    await expect(renderPdf(doc, broken)).rejects.toThrow(
      new RegExp(`font "${cffFamily}" \\(400\\) could not be embedded in the PDF \\(variable CFF2 outlines cannot be subset\\)`),
    );
    const outlined = path.join(dir, 'outlined.pdf');
    writeFileSync(outlined, await renderPdf(doc, broken, { outlineText: true }));
    expect(run('pdffonts', [outlined]).out.trim().split('\n')).toHaveLength(2);
  });
});
