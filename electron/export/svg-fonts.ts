// Web fonts for SVG export: each face a document uses is cut down (fontkit 2, which keeps CJK
// outlines intact; collections included) to the glyphs the text draws, given the character
// map, names and tables a browser needs, and named with a subset tag (ABCDEF+Name) so it can
// never be confused with a font installed on the viewer's machine.
// TrueType outlines only: fontkit's CFF subsets are rejected by Chromium's font sanitiser
// (OTS: "Failed to parse Top DICT Data"), so text in CFF-flavoured faces (.otf, most .ttc) is
// drawn as outlines by the SVG writer (see embeddable()).
import { createHash } from 'node:crypto';
import * as fontkit from 'fontkit';
import { ExportError } from './pdf';
import { buildCmap, buildName, buildPost, patchOs2, readTables, type Tables, writeSfnt } from './sfnt';

export interface WebFont {
  /** The CSS family name, `ABCDEF+PostScriptName`. */
  family: string;
  bytes: Uint8Array;
  mime: 'font/ttf';
  /** Glyphs in the subset, .notdef included. */
  glyphCount: number;
}

interface FontkitSubset {
  glyphs: number[];
  includeGlyph(g: number): number;
  encode(): Uint8Array;
}

type FontkitFont = fontkit.Font & { fonts?: fontkit.Font[] };

export class SvgFontSet {
  /** Font id → original glyph id → the code point that glyph is drawn for. */
  private readonly used = new Map<string, Map<number, number>>();
  private readonly kinds = new Map<string, boolean>();

  constructor(
    private readonly fontBytes: (fontId: string) => Uint8Array,
    private readonly label: (fontId: string) => string,
  ) {}

  /** Whether a face can be embedded as a web font (TrueType outlines); throws when unreadable. */
  embeddable(fontId: string): boolean {
    let ok = this.kinds.get(fontId);
    if (ok === undefined) {
      try {
        ok = readTables(this.fontBytes(fontId) ?? new Uint8Array()).tables.has('glyf');
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
  if (!original.has('glyf')) throw new Error('only TrueType outlines can be embedded');
  const tables: Tables = new Map(readTables(encoded).tables);

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
    bytes: writeSfnt(0x00010000, tables),
    mime: 'font/ttf',
    glyphCount: subset.glyphs.length,
  };
}
