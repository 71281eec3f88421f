// Font faces on HarfBuzz (harfbuzzjs, WebAssembly): the same shaping code and font bytes in
// Node and in the browser, so both lay text out identically.
import * as hb from 'harfbuzzjs';

export interface FontMeta {
  id: string;
  family: string;
  weight: number;
  italic: boolean;
  /** Which characters the face is meant for when a text names a Latin and a CJK family. */
  script: 'latin' | 'cjk';
}

export interface ShapedGlyph {
  id: number;
  cluster: number;
  xAdvance: number;
  yAdvance: number;
  xOffset: number;
  yOffset: number;
}

export class FontError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FontError';
  }
}

const MAGIC: Record<string, string> = {
  '00010000': 'TrueType',
  '4f54544f': 'OpenType (CFF)',
  '74727565': 'TrueType (Apple)',
  '74746366': 'TrueType collection',
};

/** Checks a font file's signature; returns its kind or throws a FontError a user understands. */
export function sniffFont(bytes: Uint8Array): string {
  if (bytes.length < 12) throw new FontError('The font file is empty or truncated.');
  const tag = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
  const kind = MAGIC[tag];
  if (kind) return kind;
  if (tag === '774f4646' || tag === '774f4632') {
    throw new FontError('WOFF/WOFF2 web fonts cannot be embedded in print files; use the TTF or OTF version of the font.');
  }
  throw new FontError('This is not a TrueType or OpenType font file.');
}

function memo<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

export class FontFace {
  readonly upem: number;
  readonly ascender: number;
  readonly descender: number;
  private readonly font: hb.Font;
  private readonly face: hb.Face;
  private readonly unicodes: Set<number>;
  private readonly paths = new Map<number, string>();
  private readonly hAdvances = new Map<number, number>();

  constructor(
    readonly meta: FontMeta,
    bytes: Uint8Array,
    index = 0,
  ) {
    sniffFont(bytes);
    this.face = new hb.Face(new hb.Blob(bytes), index);
    this.unicodes = new Set(this.face.collectUnicodes());
    if (this.unicodes.size === 0 || !this.face.referenceTable('head')) {
      throw new FontError(`${meta.family}: the font could not be read (no character map or header); the file may be damaged.`);
    }
    this.font = new hb.Font(this.face);
    this.upem = this.face.upem;
    const ext = this.font.hExtents();
    this.ascender = ext.ascender;
    this.descender = ext.descender;
  }

  has(cp: number): boolean {
    return this.unicodes.has(cp);
  }

  /** Shapes `text` (kerning and the font's default features on). Values are font units. */
  shape(text: string, direction: 'ltr' | 'ttb', features = ''): ShapedGlyph[] {
    const buf = new hb.Buffer();
    buf.addText(text);
    buf.guessSegmentProperties();
    buf.setDirection(direction === 'ttb' ? hb.Direction.TTB : hb.Direction.LTR);
    buf.setClusterLevel(hb.ClusterLevel.MONOTONE_CHARACTERS);
    const feats = features ? features.split(',').map((f) => hb.Feature.fromString(f)) : undefined;
    hb.shape(this.font, buf, feats as hb.Feature[] | undefined);
    return buf.getGlyphInfosAndPositions().map((g) => ({
      id: g.codepoint,
      cluster: g.cluster,
      xAdvance: g.xAdvance ?? 0,
      yAdvance: g.yAdvance ?? 0,
      xOffset: g.xOffset ?? 0,
      yOffset: g.yOffset ?? 0,
    }));
  }

  private readonly shaped = new Map<string, ShapedGlyph[]>();

  /** shape() with a cache: layout shapes words and single Han characters, which repeat a lot. */
  shapeCached(text: string, direction: 'ltr' | 'ttb'): ShapedGlyph[] {
    if (this.shaped.size > 50_000) this.shaped.clear();
    return memo(this.shaped, direction + text, () => this.shape(text, direction));
  }

  glyphAdvance(id: number): number {
    return memo(this.hAdvances, id, () => this.font.glyphHAdvance(id));
  }

  /** The glyph outline as an SVG path in font units, y up. */
  glyphPath(id: number): string {
    return memo(this.paths, id, () => this.font.glyphToPath(id));
  }

  /** Glyph for a code point, for a hyphen added at a break. */
  glyphFor(cp: number): number | undefined {
    return this.font.glyph(cp);
  }
}

/** The faces available to layout, found by family, weight and the characters they cover. */
export class FontRegistry {
  private readonly faces = new Map<string, FontFace>();

  add(meta: FontMeta, bytes: Uint8Array): FontFace {
    const face = new FontFace(meta, bytes);
    this.faces.set(meta.id, face);
    return face;
  }

  get(id: string): FontFace | undefined {
    return this.faces.get(id);
  }

  list(): FontFace[] {
    return [...this.faces.values()];
  }

  /** The closest face of `family` to `weight`; faces of the same script stand in when absent. */
  pick(family: string, weight: number, script: 'latin' | 'cjk'): FontFace | undefined {
    const all = this.list();
    const byFamily = all.filter((f) => f.meta.family === family && !f.meta.italic);
    const pool = byFamily.length ? byFamily : all.filter((f) => f.meta.script === script && !f.meta.italic);
    return pool.sort((a, b) => Math.abs(a.meta.weight - weight) - Math.abs(b.meta.weight - weight))[0];
  }
}
