// The typesetting engine in the renderer: the same core/typeset layout over the same font
// bytes as the exporters, with faces fetched from the back end on first use.
import type { FontInfo, PosterApi } from '../../../core/api/contract';
import type { TextElement } from '../../../core/document/schema';
import { FontRegistry } from '../../../core/typeset/font';
import { layoutText } from '../../../core/typeset/layout';
import type { TextLayout } from '../../../core/typeset/types';
import { mmToPt, ptToMm } from '../../../core/units';

export class TextEngine {
  readonly registry = new FontRegistry();
  private fonts: FontInfo[] = [];
  private listing: Promise<void> | null = null;
  private readonly loading = new Map<string, Promise<void>>();
  private readonly layouts = new WeakMap<TextElement, TextLayout>();
  private readonly paths = new Map<string, Path2D>();
  /** Called when fonts arrive, so views can re-layout. */
  onFontsLoaded: () => void = () => {};
  onError: (message: string) => void = () => {};

  constructor(private readonly api: PosterApi) {}

  async families(): Promise<FontInfo[]> {
    await this.list();
    return this.fonts;
  }

  private list(): Promise<void> {
    this.listing ??= this.api.call('fonts.list', {}).then((f) => {
      this.fonts = f;
    });
    return this.listing;
  }

  refreshList(): Promise<void> {
    this.listing = null;
    return this.list();
  }

  /** Font ids a style needs: regular and bold of its Latin and CJK families. */
  private needed(el: TextElement): FontInfo[] {
    const families = new Set([el.style.latinFamily, el.style.cjkFamily]);
    const picked = this.fonts.filter((f) => families.has(f.family) && !f.italic);
    // Unknown families fall back to the first bundled face of each script.
    for (const script of ['latin', 'cjk'] as const) {
      const fam = script === 'latin' ? el.style.latinFamily : el.style.cjkFamily;
      if (!this.fonts.some((f) => f.family === fam)) picked.push(...this.fonts.filter((f) => f.script === script).slice(0, 2));
    }
    return picked;
  }

  /** True when every face the element needs is loaded; otherwise starts loading them. */
  ready(el: TextElement): boolean {
    if (!this.listing) {
      void this.list().then(
        () => this.onFontsLoaded(),
        (e) => this.onError(String(e.message ?? e)),
      );
      return false;
    }
    if (this.fonts.length === 0) return false;
    let ok = true;
    for (const f of this.needed(el)) {
      if (this.registry.get(f.id)) continue;
      ok = false;
      if (!this.loading.has(f.id)) {
        const p = this.api
          .call('fonts.get', { id: f.id })
          .then(({ bytes }) => {
            this.registry.add({ id: f.id, family: f.family, weight: f.weight, italic: f.italic, script: f.script }, bytes);
            this.onFontsLoaded();
          })
          .catch((e) => this.onError(`Font ${f.family}: ${e.message ?? e}`));
        this.loading.set(f.id, p);
      }
    }
    return ok;
  }

  /** Layout of a text element (cached per element object), or null while its fonts load. */
  layout(el: TextElement): TextLayout | null {
    const cached = this.layouts.get(el);
    if (cached) return cached;
    if (!this.ready(el)) return null;
    const l = layoutText(this.registry, {
      runs: el.runs,
      style: el.style,
      width: mmToPt(el.width),
      height: mmToPt(el.height),
      secondary: el.secondary,
    });
    this.layouts.set(el, l);
    return l;
  }

  /**
   * For a frame that follows its text (fit: grow), the patch plus the height the text needs;
   * other patches come back unchanged.
   */
  withGrownHeight(el: TextElement, patch: Record<string, unknown>): Record<string, unknown> {
    const next = { ...el, ...patch } as TextElement;
    if (next.style.fit !== 'grow' || next.style.vertical) return patch;
    const l = this.layout(next);
    return l ? { ...patch, height: Math.max(1, ptToMm(l.contentHeight)) } : patch;
  }

  glyphPath(fontId: string, glyph: number): Path2D | null {
    const key = `${fontId}:${glyph}`;
    let p = this.paths.get(key);
    if (!p) {
      const face = this.registry.get(fontId);
      if (!face) return null;
      p = new Path2D(face.glyphPath(glyph));
      this.paths.set(key, p);
    }
    return p;
  }

  upem(fontId: string): number {
    return this.registry.get(fontId)?.upem ?? 1000;
  }
}
