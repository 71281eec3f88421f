// Embedding the typesetter's fonts in PDF: each face is subset to the glyphs a document uses
// (fontkit 2, which keeps CJK outlines intact) and embedded as a CID-keyed Type 0 font with
// Identity-H encoding, per-glyph widths and a ToUnicode map, so the text stays searchable and
// copyable. Names carry the subset tag (ABCDEF+Name) print workflows expect.
//
// The outlines decide the font program's slot. TrueType (glyf) subsets are TrueType files:
// a CIDFontType2 with /FontFile2 and an identity CIDToGIDMap. CFF-flavoured OpenType (.otf,
// CFF collections such as Noto Sans CJK's .ttc) subsets come out of fontkit as a bare CFF
// table, always CID-keyed (ROS Adobe-Identity-0, charset CID n = glyph n): a CIDFontType0
// with /FontFile3 /Subtype /CIDFontType0C, where the CID selects the glyph through that
// charset, so it takes no CIDToGIDMap. fontkit writes CFF real numbers unpadded; padCffReals
// makes them what the CFF spec (and strict parsers) expect.
import { createHash } from 'node:crypto';
import * as fontkit from 'fontkit';
import { type PDFDocument, type PDFRef, PDFString } from 'pdf-lib';
import { padCffReals } from './cff-reals';
import { ExportError } from './pdf';
import { readTables } from './sfnt';

interface Used {
  bytes: Uint8Array;
  /** Original glyph id → text it stands for (first one seen). */
  glyphs: Map<number, string>;
}

export interface EmbeddedFont {
  ref: PDFRef;
  /** Original glyph id → glyph id in the subset (the CID written in content streams). */
  cid: Map<number, number>;
  unitsPerEm: number;
}

export class PdfFontSet {
  private readonly used = new Map<string, Used>();

  use(fontId: string, bytes: Uint8Array, glyph: number, text: string): void {
    let u = this.used.get(fontId);
    if (!u) {
      u = { bytes, glyphs: new Map() };
      this.used.set(fontId, u);
    }
    if (!u.glyphs.has(glyph) || !u.glyphs.get(glyph)) u.glyphs.set(glyph, text);
  }

  /** Embeds every face used; `label` names a face in errors (its family, as the user knows it). */
  embedAll(pdf: PDFDocument, label: (fontId: string) => string = (id) => id): Map<string, EmbeddedFont> {
    const out = new Map<string, EmbeddedFont>();
    for (const [id, u] of this.used) {
      try {
        out.set(id, embedFont(pdf, u, outlinesOf(u.bytes)));
      } catch (e) {
        throw new ExportError(
          `The font ${label(id)} could not be embedded in the PDF (${(e as Error).message}). Replace the font, or export with text as outlines.`,
        );
      }
    }
    return out;
  }
}

function subsetTag(glyphs: number[], name: string): string {
  const h = createHash('sha256')
    .update(`${name}:${glyphs.join(',')}`)
    .digest();
  return Array.from(h.subarray(0, 6), (b) => String.fromCharCode(65 + (b % 26))).join('');
}

function toUnicodeCMap(map: Map<number, string>): string {
  const hex4 = (n: number) => n.toString(16).padStart(4, '0').toUpperCase();
  const utf16 = (s: string) =>
    Array.from(s)
      .map((ch) => {
        const cp = ch.codePointAt(0) as number;
        if (cp <= 0xffff) return hex4(cp);
        const v = cp - 0x10000;
        return hex4(0xd800 + (v >> 10)) + hex4(0xdc00 + (v & 0x3ff));
      })
      .join('');
  const entries = [...map].filter(([, s]) => s.length > 0);
  const chunks: string[] = [];
  for (let i = 0; i < entries.length; i += 100) {
    const part = entries.slice(i, i + 100);
    chunks.push(`${part.length} beginbfchar\n${part.map(([cid, s]) => `<${hex4(cid)}> <${utf16(s)}>`).join('\n')}\nendbfchar`);
  }
  return [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
    ...chunks,
    'endcmap',
    'CMapName currentdict /CMap defineresource pop',
    'end',
    'end',
  ].join('\n');
}

type Outlines = 'truetype' | 'cff';

/** Which outlines the face holds (face 0 of a collection, the face the typesetter shapes with). */
function outlinesOf(bytes: Uint8Array): Outlines {
  if (!bytes || bytes.length === 0) throw new Error('the font file is empty');
  const { tables } = readTables(bytes, 0);
  if (tables.has('glyf')) return 'truetype';
  if (tables.has('CFF ')) return 'cff';
  if (tables.has('CFF2')) throw new Error('variable CFF2 outlines cannot be subset');
  throw new Error('it has neither TrueType nor CFF outlines');
}

function embedFont(pdf: PDFDocument, u: Used, outlines: Outlines): EmbeddedFont {
  const parsed = fontkit.create(Buffer.from(u.bytes)) as fontkit.Font & { fonts?: fontkit.Font[] };
  const font = (parsed.fonts ? parsed.fonts[0] : parsed) as fontkit.Font;
  // fontkit's subsets (TTF and CFF alike): includeGlyph returns the glyph's id in the subset.
  const subset = font.createSubset() as unknown as { includeGlyph(g: number): number; encode(): Uint8Array };
  const cid = new Map<number, number>();
  cid.set(0, subset.includeGlyph(0));
  const original = [...u.glyphs.keys()].sort((a, b) => a - b);
  for (const g of original) cid.set(g, subset.includeGlyph(g));
  const cff = outlines === 'cff';
  const bytes = cff ? padCffReals(subset.encode()) : subset.encode();
  const scale = 1000 / font.unitsPerEm;
  const name = `${subsetTag(original, font.postscriptName)}+${font.postscriptName.replace(/[^A-Za-z0-9-]/g, '')}`;
  const ctx = pdf.context;
  const fontFile = cff ? ctx.flateStream(bytes, { Subtype: 'CIDFontType0C' }) : ctx.flateStream(bytes, { Length1: bytes.length });
  const bbox = font.bbox;
  const descriptor = ctx.obj({
    Type: 'FontDescriptor',
    FontName: name,
    Flags: 4,
    FontBBox: [bbox.minX * scale, bbox.minY * scale, bbox.maxX * scale, bbox.maxY * scale].map(Math.round),
    ItalicAngle: font.italicAngle,
    Ascent: Math.round(font.ascent * scale),
    Descent: Math.round(font.descent * scale),
    CapHeight: Math.round((font.capHeight || font.ascent) * scale),
    StemV: 80,
    [cff ? 'FontFile3' : 'FontFile2']: ctx.register(fontFile),
  });
  const widths: (number | number[])[] = [];
  for (const [g, c] of [...cid].sort((a, b) => a[1] - b[1])) widths.push(c, [Math.round(font.getGlyph(g).advanceWidth * scale)]);
  const cidFont = ctx.obj({
    Type: 'Font',
    Subtype: cff ? 'CIDFontType0' : 'CIDFontType2',
    BaseFont: name,
    // For CFF this matches the subset's own ROS, which fontkit always writes as Adobe-Identity-0.
    CIDSystemInfo: ctx.obj({ Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 }),
    FontDescriptor: ctx.register(descriptor),
    W: widths,
    ...(cff ? {} : { CIDToGIDMap: 'Identity' }),
  });
  const toUnicode = ctx.flateStream(
    new TextEncoder().encode(toUnicodeCMap(new Map([...u.glyphs].map(([g, s]) => [cid.get(g) as number, s])))),
  );
  const type0 = ctx.obj({
    Type: 'Font',
    Subtype: 'Type0',
    // A Type 0 font over a CIDFontType0 is named CIDFont name, hyphen, CMap name (PDF 32000 9.7.6.1).
    BaseFont: cff ? `${name}-Identity-H` : name,
    Encoding: 'Identity-H',
    DescendantFonts: [ctx.register(cidFont)],
    ToUnicode: ctx.register(toUnicode),
  });
  return { ref: ctx.register(type0), cid, unitsPerEm: font.unitsPerEm };
}
