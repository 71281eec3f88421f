// Embedding the typesetter's fonts in PDF: each face is subset to the glyphs a document uses
// (fontkit 2, which keeps CJK outlines intact) and embedded as a CID-keyed Type 0 font with
// Identity-H encoding, per-glyph widths and a ToUnicode map, so the text stays searchable and
// copyable. Names carry the subset tag (ABCDEF+Name) print workflows expect.
import { createHash } from 'node:crypto';
import * as fontkit from 'fontkit';
import { type PDFDocument, type PDFRef, PDFString } from 'pdf-lib';

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

  embedAll(pdf: PDFDocument): Map<string, EmbeddedFont> {
    const out = new Map<string, EmbeddedFont>();
    for (const [id, u] of this.used) out.set(id, embedFont(pdf, u));
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

function embedFont(pdf: PDFDocument, u: Used): EmbeddedFont {
  const parsed = fontkit.create(Buffer.from(u.bytes)) as fontkit.Font & { fonts?: fontkit.Font[] };
  const font = (parsed.fonts ? parsed.fonts[0] : parsed) as fontkit.Font;
  // fontkit's TTF subset: includeGlyph returns the glyph's id in the subset.
  const subset = font.createSubset() as unknown as { includeGlyph(g: number): number; encode(): Uint8Array };
  const cid = new Map<number, number>();
  cid.set(0, subset.includeGlyph(0));
  const original = [...u.glyphs.keys()].sort((a, b) => a - b);
  for (const g of original) cid.set(g, subset.includeGlyph(g));
  const bytes = subset.encode();
  const scale = 1000 / font.unitsPerEm;
  const name = `${subsetTag(original, font.postscriptName)}+${font.postscriptName.replace(/[^A-Za-z0-9-]/g, '')}`;
  const ctx = pdf.context;
  const fontFile = ctx.flateStream(bytes, { Length1: bytes.length });
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
    FontFile2: ctx.register(fontFile),
  });
  const widths: (number | number[])[] = [];
  for (const [g, c] of [...cid].sort((a, b) => a[1] - b[1])) widths.push(c, [Math.round(font.getGlyph(g).advanceWidth * scale)]);
  const cidFont = ctx.obj({
    Type: 'Font',
    Subtype: 'CIDFontType2',
    BaseFont: name,
    CIDSystemInfo: ctx.obj({ Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 }),
    FontDescriptor: ctx.register(descriptor),
    W: widths,
    CIDToGIDMap: 'Identity',
  });
  const toUnicode = ctx.flateStream(
    new TextEncoder().encode(toUnicodeCMap(new Map([...u.glyphs].map(([g, s]) => [cid.get(g) as number, s])))),
  );
  const type0 = ctx.obj({
    Type: 'Font',
    Subtype: 'Type0',
    BaseFont: name,
    Encoding: 'Identity-H',
    DescendantFonts: [ctx.register(cidFont)],
    ToUnicode: ctx.register(toUnicode),
  });
  return { ref: ctx.register(type0), cid, unitsPerEm: font.unitsPerEm };
}
