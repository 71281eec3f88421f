// SVG export for the web: shapes and images as SVG elements, text as glyph outlines, each
// glyph defined once and placed with <use>. The page is the trim size (no bleed).
import { flattenElements } from '../../core/document/flatten';
import type { PosterDocument, TextElement } from '../../core/document/schema';
import type { TextLayout } from '../../core/typeset/types';
import { ptToMm } from '../../core/units';
import { ExportError, layoutOf, type PdfSources } from './pdf';

const n = (v: number) => (Math.abs(v) < 1e-6 ? '0' : Number(v.toFixed(3)).toString());
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderSvg(doc: PosterDocument, src: PdfSources, pageIndex = 0): string {
  const page = doc.pages[pageIndex];
  if (!page) throw new ExportError(`The document has no page ${pageIndex + 1}.`);
  const defs = new Map<string, string>();
  const body: string[] = [];
  const glyphId = (fontId: string, gid: number) => {
    const id = `g-${fontId}-${gid}`;
    if (!defs.has(id)) {
      const face = src.registry.get(fontId);
      defs.set(id, face ? `<path id="${id}" d="${face.glyphPath(gid)}"/>` : '');
    }
    return id;
  };
  const textSvg = (l: TextLayout) => {
    const out: string[] = [];
    const k = ptToMm(1);
    for (const line of l.lines) {
      for (const run of line.runs) {
        const face = src.registry.get(run.fontId);
        if (!face) continue;
        const s = (run.size * k) / face.upem;
        for (const g of run.glyphs) {
          const id = glyphId(run.fontId, g.id);
          const rot = g.rotate ? ' rotate(90)' : '';
          out.push(
            `<use href="#${id}" fill="${run.color}" transform="translate(${n(g.x * k)} ${n(g.y * k)})${rot} scale(${n(s * (g.scaleX ?? 1))} ${n(-s)})"/>`,
          );
        }
      }
    }
    return out.join('');
  };
  for (const { el, opacity } of flattenElements(page.elements)) {
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
      if (!a) throw new ExportError(`Image ${el.name} is missing from the project.`);
      inner = `<image width="${n(el.width)}" height="${n(el.height)}" preserveAspectRatio="none" href="data:${a.mime};base64,${Buffer.from(a.bytes).toString('base64')}"/>`;
    } else inner = textSvg(layoutOf(el as TextElement, src.registry));
    body.push(`<g transform="${t}"${op}>${inner}</g>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(page.width)}mm" height="${n(page.height)}mm" viewBox="0 0 ${n(page.width)} ${n(page.height)}">`,
    `<title>${esc(doc.title)}</title>`,
    `<defs>${[...defs.values()].join('')}</defs>`,
    `<rect width="${n(page.width)}" height="${n(page.height)}" fill="${page.background}"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}
