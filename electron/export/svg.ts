// SVG export for the web: the page with its bleed (viewBox in millimetres, origin at the trim's
// top-left, like the PDF's MediaBox), shapes and images as SVG elements, images embedded with
// their original bytes. Text is real <text>, each glyph placed where the typesetter put it, in
// subset web fonts embedded as data: URLs, so it stays selectable and searchable and looks the
// same without the fonts installed. A glyph no character maps to (a ligature, a contextual or
// vertical alternate), and text in a face that cannot be embedded (see svg-fonts.ts), is drawn
// as outlines with its text kept invisible beside it. With
// `outlineText` every glyph is an outline and no font is embedded.
import { flattenElements } from '../../core/document/flatten';
import type { PosterDocument, TextElement } from '../../core/document/schema';
import type { FontRegistry } from '../../core/typeset/font';
import type { GlyphRun, TextLayout } from '../../core/typeset/types';
import { ptToMm } from '../../core/units';
import { atomicWrite } from '../store/atomic';
import { ExportError, layoutOf, type PdfSources } from './pdf';
import { SvgFontSet, type WebFont } from './svg-fonts';

export interface SvgOptions {
  /** Text as filled outlines instead of embedded fonts. */
  outlineText?: boolean;
  /** Page to export (0-based). */
  page?: number;
}

const n = (v: number) => (Math.abs(v) < 1e-6 ? '0' : Number(v.toFixed(3)).toString());
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** What each glyph of a run stands for, and whether a character in a web font can draw it. */
interface GlyphText {
  text: string;
  /** The glyph is the one the font's character map gives for `text` (a single character). */
  mapped: boolean;
}

function glyphTexts(layout: TextLayout, registry: FontRegistry): Map<GlyphRun, GlyphText[]> {
  const out = new Map<GlyphRun, GlyphText[]>();
  for (const line of layout.lines) {
    const text = layout.texts[line.block];
    for (const run of line.runs) {
      const face = registry.get(run.fontId);
      const starts = [...new Set(run.glyphs.map((g) => g.cluster))].sort((a, b) => a - b);
      const seen = new Set<number>();
      out.set(
        run,
        run.glyphs.map((g) => {
          if (seen.has(g.cluster)) return { text: '', mapped: false };
          seen.add(g.cluster);
          const next = starts.find((c) => c > g.cluster) ?? Math.max(run.end, g.cluster + 1);
          const t = text.slice(g.cluster, next);
          const cps = [...t];
          const cp = t.codePointAt(0);
          const mapped = cps.length === 1 && cp !== undefined && face?.glyphFor(cp) === g.id && !/[\n\r\t]/.test(t);
          return { text: t, mapped };
        }),
      );
    }
  }
  return out;
}

export function renderSvg(doc: PosterDocument, src: PdfSources, opts: SvgOptions = {}): string {
  const pageIndex = opts.page ?? 0;
  const page = doc.pages[pageIndex];
  if (!page) throw new ExportError(`The document has no page ${pageIndex + 1}.`);
  const items = flattenElements(page.elements);
  const k = ptToMm(1);

  // Pass 1: lay out text and collect, per font, the glyphs drawn as characters.
  const layouts = new Map<TextElement, { layout: TextLayout; texts: Map<GlyphRun, GlyphText[]> }>();
  const label = (id: string) => {
    const f = src.registry.get(id);
    return f ? `"${f.meta.family}" (${f.meta.weight})` : id;
  };
  const used = new SvgFontSet(src.fontBytes, label);
  for (const { el } of items) {
    if (el.type !== 'text') continue;
    const layout = layoutOf(el as TextElement, src.registry);
    const texts = glyphTexts(layout, src.registry);
    layouts.set(el as TextElement, { layout, texts });
    if (opts.outlineText) continue;
    for (const [run, gt] of texts) {
      if (!used.embeddable(run.fontId)) continue;
      run.glyphs.forEach((g, i) => {
        const t = gt[i] as GlyphText;
        if (t.mapped) used.use(run.fontId, g.id, t.text.codePointAt(0) as number);
      });
    }
  }
  const fonts = used.build();

  const defs = new Map<string, string>();
  const outlineUse = (run: GlyphRun, g: GlyphRun['glyphs'][number]): string => {
    const face = src.registry.get(run.fontId);
    if (!face) return '';
    const id = `g-${run.fontId}-${g.id}`;
    if (!defs.has(id)) defs.set(id, `<path id="${id}" d="${face.glyphPath(g.id)}"/>`);
    const s = (run.size * k) / face.upem;
    const rot = g.rotate ? ' rotate(90)' : '';
    return `<use href="#${id}" fill="${run.color}" transform="translate(${n(g.x * k)} ${n(g.y * k)})${rot} scale(${n(s * (g.scaleX ?? 1))} ${n(-s)})"/>`;
  };

  const textSvg = (layout: TextLayout, texts: Map<GlyphRun, GlyphText[]>): string => {
    const out: string[] = [];
    for (const line of layout.lines) {
      // One <text> per line keeps the reading order; a glyph that needs its own transform
      // (rotated or squeezed in vertical text) closes it and gets a <text> of its own.
      let open: string[] | null = null;
      const close = () => {
        if (open?.length) out.push(`<text xml:space="preserve">${open.join('')}</text>`);
        open = null;
      };
      for (const run of line.runs) {
        const font = fonts.get(run.fontId);
        const gt = texts.get(run) as GlyphText[];
        const size = n(run.size * k);
        const paint = font ? ` font-family="'${font.family}'" font-size="${size}" fill="${run.color}"` : '';
        let spans: string[] = [];
        const flush = () => {
          if (!spans.length) return;
          open ??= [];
          open.push(`<tspan${paint}>${spans.join('')}</tspan>`);
          spans = [];
        };
        run.glyphs.forEach((g, i) => {
          const t = gt[i] as GlyphText;
          const special = !!g.rotate || (g.scaleX !== undefined && g.scaleX !== 1);
          if (font && t.mapped && !special) {
            spans.push(`<tspan x="${n(g.x * k)}" y="${n(g.y * k)}">${esc(t.text)}</tspan>`);
            return;
          }
          // Drawn as an outline; its text stays in the flow, invisible, for search and copy.
          flush();
          if (font && t.mapped && special) {
            close();
            const rot = g.rotate ? ' rotate(90)' : '';
            const sx = g.scaleX !== undefined && g.scaleX !== 1 ? ` scale(${n(g.scaleX)} 1)` : '';
            out.push(
              `<text xml:space="preserve" transform="translate(${n(g.x * k)} ${n(g.y * k)})${rot}${sx}"${paint}>${esc(t.text)}</text>`,
            );
            return;
          }
          out.push(outlineUse(run, g));
          if (t.text && !opts.outlineText) {
            open ??= [];
            open.push(`<tspan x="${n(g.x * k)}" y="${n(g.y * k)}" font-size="${size}" fill-opacity="0">${esc(t.text)}</tspan>`);
          }
        });
        flush();
      }
      close();
    }
    return out.join('');
  };

  const body: string[] = [];
  for (const { el, opacity } of items) {
    const t = `translate(${n(el.x + el.width / 2)} ${n(el.y + el.height / 2)}) rotate(${n(el.rotation)}) translate(${n(-el.width / 2)} ${n(-el.height / 2)})`;
    const op = opacity < 1 ? ` opacity="${n(opacity)}"` : '';
    let inner = '';
    if (el.type === 'shape') {
      const paint = `fill="${el.fill ?? 'none'}"${el.stroke && el.strokeWidth > 0 ? ` stroke="${el.stroke}" stroke-width="${n(el.strokeWidth)}"` : ''}`;
      inner =
        el.shape === 'ellipse'
          ? `<ellipse cx="${n(el.width / 2)}" cy="${n(el.height / 2)}" rx="${n(el.width / 2)}" ry="${n(el.height / 2)}" ${paint}/>`
          : `<rect width="${n(el.width)}" height="${n(el.height)}" rx="${n(el.cornerRadius)}" ${paint}/>`;
    } else if (el.type === 'image') {
      const a = src.asset(el.asset);
      if (!a) throw new ExportError(`Image ${el.name} (${el.asset.slice(0, 12)}…) is missing from the project.`);
      // The original file's bytes: native resolution, never re-encoded.
      inner = `<image width="${n(el.width)}" height="${n(el.height)}" preserveAspectRatio="none" href="data:${a.mime};base64,${Buffer.from(a.bytes).toString('base64')}"/>`;
    } else {
      const l = layouts.get(el as TextElement);
      if (l) inner = textSvg(l.layout, l.texts);
    }
    body.push(`<g transform="${t}"${op}>${inner}</g>`);
  }
  const b = page.bleed;
  const W = page.width + 2 * b;
  const H = page.height + 2 * b;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(W)}mm" height="${n(H)}mm" viewBox="${n(-b)} ${n(-b)} ${n(W)} ${n(H)}">`,
    `<title>${esc(doc.title)}</title>`,
    `<defs>${fontFaces(fonts)}${[...defs.values()].join('')}</defs>`,
    `<rect x="${n(-b)}" y="${n(-b)}" width="${n(W)}" height="${n(H)}" fill="${page.background}"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}

function fontFaces(fonts: Map<string, WebFont>): string {
  if (fonts.size === 0) return '';
  const rules = [...fonts.values()].map(
    (f) =>
      `@font-face{font-family:'${f.family}';src:url(data:${f.mime};base64,${Buffer.from(f.bytes).toString('base64')}) format('${f.mime === 'font/otf' ? 'opentype' : 'truetype'}')}`,
  );
  return `<style>\n${rules.join('\n')}\n</style>`;
}

/** Renders and writes the SVG atomically: a failed export leaves nothing at `target`. */
export async function writeSvg(doc: PosterDocument, src: PdfSources, target: string, opts: SvgOptions = {}): Promise<number> {
  const bytes = new TextEncoder().encode(renderSvg(doc, src, opts));
  await atomicWrite(target, bytes);
  return bytes.length;
}
