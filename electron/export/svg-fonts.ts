// Web fonts for SVG export: each face a document uses is cut down (fontkit 2, which keeps CJK
// outlines intact; TrueType or CFF outlines, collections included) to the glyphs the text
// draws, given the character map, names and tables a browser needs, and named with a subset
// tag (ABCDEF+Name) so it can never be confused with a font installed on the viewer's machine.
// Faces fontkit cannot subset (CFF2 variable fonts) are drawn as outlines (see embeddable()).
import { createHash } from 'node:crypto';
import * as fontkit from 'fontkit';
import { padCffReals } from './cff-reals';
import { ExportError } from './pdf';
import { buildCmap, buildName, buildPost, patchOs2, readTables, type Tables, writeSfnt } from './sfnt';

export interface WebFont {
  /** The CSS family name, `ABCDEF+PostScriptName`. */
  family: string;
  bytes: Uint8Array;
  mime: 'font/ttf' | 'font/otf';
  /** Glyphs in the subset, .notdef included. */
  glyphCount: number;
}

interface FontkitSubset {
  glyphs: number[];
  includeGlyph(g: number): number;
  encode(): Uint8Array;
}

type FontkitFont = fontkit.Font & { fonts?: fontkit.Font[] };
/** fontkit's glyph metrics (left side bearing included), not in its published types. */
type MetricGlyph = fontkit.Glyph & { _getMetrics(): { leftBearing: number } };

export class SvgFontSet {
  /** Font id → original glyph id → the code point that glyph is drawn for. */
  private readonly used = new Map<string, Map<number, number>>();
  private readonly kinds = new Map<string, boolean>();

  constructor(
    private readonly fontBytes: (fontId: string) => Uint8Array,
    private readonly label: (fontId: string) => string,
  ) {}

  /** Whether a face can be embedded as a web font (TrueType or CFF outlines); throws when unreadable. */
  embeddable(fontId: string): boolean {
    let ok = this.kinds.get(fontId);
    if (ok === undefined) {
      try {
        const { tables } = readTables(this.fontBytes(fontId) ?? new Uint8Array());
        ok = tables.has('glyf') || tables.has('CFF ');
      } catch (e) {
        throw this.unreadable(fontId, e as Error);
      }
      this.kinds.set(fontId, ok);
    }
    return ok;
  }

  private unreadable(fontId: string, e: Error): ExportError {
    return new ExportError(
      `The font ${this.label(fontId)} could not be read to embed it in the SVG (${e.message}). Replace the font, or export with text as outlines.`,
    );
  }

  use(fontId: string, glyph: number, codePoint: number): void {
    let m = this.used.get(fontId);
    if (!m) {
      m = new Map();
      this.used.set(fontId, m);
    }
    m.set(glyph, codePoint);
  }

  /** One subset web font per face used. */
  build(): Map<string, WebFont> {
    const out = new Map<string, WebFont>();
    for (const [id, glyphs] of [...this.used].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      try {
        out.set(id, subsetWebFont(this.fontBytes(id), glyphs));
      } catch (e) {
        throw this.unreadable(id, e as Error);
      }
    }
    return out;
  }
}

function subsetTag(name: string, glyphs: number[]): string {
  const h = createHash('sha256')
    .update(`svg:${name}:${glyphs.join(',')}`)
    .digest();
  return Array.from(h.subarray(0, 6), (b) => String.fromCharCode(65 + (b % 26))).join('');
}

function subsetWebFont(bytes: Uint8Array, glyphs: Map<number, number>): WebFont {
  if (!bytes || bytes.length === 0) throw new Error('the font file is empty');
  const parsed = fontkit.create(Buffer.from(bytes)) as FontkitFont;
  const font = (parsed.fonts ? parsed.fonts[0] : parsed) as FontkitFont;
  if (!font || typeof font.createSubset !== 'function') throw new Error('not a font fontkit can subset');
  const { tables: original } = readTables(bytes, 0);
  const subset = font.createSubset() as unknown as FontkitSubset;
  const cmap = new Map<number, number>();
  const order = [...glyphs.keys()].sort((a, b) => a - b);
  for (const g of order) cmap.set(glyphs.get(g) as number, subset.includeGlyph(g));
  const encoded = subset.encode();
  const cff = original.has('CFF ');
  if (!cff && !original.has('glyf')) throw new Error('only TrueType or CFF outlines can be embedded');
  const tables: Tables = cff ? cffTables(font, original, subset, encoded) : new Map(readTables(encoded).tables);

  const ps = (font.postscriptName || 'Font').replace(/[^A-Za-z0-9-]/g, '');
  const family = `${subsetTag(ps, order)}+${ps}`;
  const names = new Map<number, string>([
    [1, family],
    [2, 'Regular'],
    [3, family],
    [4, family],
    [6, family.replace('+', '-')],
  ]);
  // Keep the copyright and licence notices the font's licence (OFL) asks to travel with it.
  const copyright = (font as unknown as { copyright?: string }).copyright;
  if (copyright) names.set(0, copyright);
  const license = font.getName?.('license', 'en');
  if (license) names.set(13, license);
  tables.set('cmap', buildCmap(cmap));
  tables.set('name', buildName(names));
  tables.set('post', buildPost(original.get('post')));
  const os2 = original.get('OS/2');
  if (!os2) throw new Error('the font has no OS/2 table');
  tables.set('OS/2', patchOs2(os2, [...cmap.keys()]));
  return {
    family,
    bytes: writeSfnt(cff ? 0x4f54544f : 0x00010000, tables),
    mime: cff ? 'font/otf' : 'font/ttf',
    glyphCount: subset.glyphs.length,
  };
}

/** fontkit's CFF subset is a bare CFF table; wrap it with metrics for the subset's glyphs. */
function cffTables(font: FontkitFont, original: Tables, subset: FontkitSubset, encoded: Uint8Array): Tables {
  const head = original.get('head');
  const hhea = original.get('hhea');
  if (!head || !hhea || hhea.length < 36) throw new Error('the font has no head or hhea table');
  const n = subset.glyphs.length;
  const hmtx = new Uint8Array(4 * n);
  const hv = new DataView(hmtx.buffer);
  for (const [i, g] of subset.glyphs.entries()) {
    const glyph = font.getGlyph(g) as MetricGlyph;
    hv.setUint16(4 * i, Math.round(glyph.advanceWidth));
    hv.setInt16(4 * i + 2, Math.round(glyph._getMetrics().leftBearing));
  }
  const newHhea = new Uint8Array(hhea);
  new DataView(newHhea.buffer).setUint16(34, n);
  // maxp version 0.5, the CFF form: just the glyph count.
  const maxp = new Uint8Array(6);
  new DataView(maxp.buffer).setUint32(0, 0x00005000);
  new DataView(maxp.buffer).setUint16(4, n);
  return new Map([
    ['CFF ', padCffReals(encoded)],
    ['head', new Uint8Array(head)],
    ['hhea', newHhea],
    ['hmtx', hmtx],
    ['maxp', maxp],
  ]);
}
