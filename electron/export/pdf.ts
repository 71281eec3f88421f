// PDF export from the document model and the typesetter's glyph runs (never from a screenshot):
// one page per artboard, MediaBox with bleed (and a slug for crop marks), TrimBox and BleedBox,
// vector shapes, images at their native resolution, text as embedded subset fonts.
import { PDFDocument, type PDFImage, PDFName, type PDFPage, type PDFRef } from 'pdf-lib';
import { flattenElements } from '../../core/document/flatten';
import type { Element, Page, PosterDocument, TextElement } from '../../core/document/schema';
import type { FontRegistry } from '../../core/typeset/font';
import { layoutText } from '../../core/typeset/layout';
import type { TextLayout } from '../../core/typeset/types';
import { mmToPt, ptToMm } from '../../core/units';
import { type EmbeddedFont, PdfFontSet } from './pdf-fonts';

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

export interface PdfSources {
  registry: FontRegistry;
  fontBytes(fontId: string): Uint8Array;
  asset(sha256: string): { mime: string; bytes: Uint8Array } | undefined;
}

export interface PdfOptions {
  cropMarks?: boolean;
  /** Text as filled outlines instead of fonts (what large-format shops often ask for). */
  outlineText?: boolean;
  title?: string;
}

/** Room outside the bleed for crop marks. */
const SLUG_MM = 10;
const MARK_MM = 5;
const MARK_GAP_MM = 2;

const fmt = (n: number) => (Math.abs(n) < 1e-6 ? '0' : Number(n.toFixed(4)).toString());
const rgb = (hex: string) =>
  [1, 3, 5]
    .map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255)
    .map(fmt)
    .join(' ');
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export function layoutOf(el: TextElement, registry: FontRegistry): TextLayout {
  return layoutText(registry, {
    runs: el.runs,
    style: el.style,
    width: mmToPt(el.width),
    height: mmToPt(el.height),
    secondary: el.secondary,
  });
}

export async function renderPdf(doc: PosterDocument, src: PdfSources, opts: PdfOptions = {}): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(opts.title ?? doc.title);
  pdf.setProducer('Poster Studio');
  pdf.setCreator('Poster Studio');
  const fixedDate = new Date('2026-01-01T00:00:00Z');
  pdf.setCreationDate(fixedDate);
  pdf.setModificationDate(fixedDate);

  // Pass 1: lay out text and collect glyphs per font, so each font is subset once.
  const fonts = new PdfFontSet();
  const layouts = new Map<TextElement, TextLayout>();
  for (const page of doc.pages) {
    for (const { el } of flattenElements(page.elements)) {
      if (el.type !== 'text') continue;
      const l = layoutOf(el, src.registry);
      layouts.set(el, l);
      for (const line of l.lines) {
        const text = l.texts[line.block];
        for (const run of line.runs) {
          for (const g of run.glyphs)
            fonts.use(run.fontId, src.fontBytes(run.fontId), g.id, String.fromCodePoint(text.codePointAt(g.cluster) ?? 0xfffd));
        }
      }
    }
  }
  const embedded = fonts.embedAll(pdf);
  const images = new Map<string, PDFImage>();

  for (const page of doc.pages) {
    const slug = opts.cropMarks ? SLUG_MM : 0;
    const margin = page.bleed + slug;
    const W = mmToPt(page.width + 2 * margin);
    const H = mmToPt(page.height + 2 * margin);
    const p = pdf.addPage([W, H]);
    p.setTrimBox(mmToPt(margin), mmToPt(margin), mmToPt(page.width), mmToPt(page.height));
    p.setBleedBox(mmToPt(slug), mmToPt(slug), mmToPt(page.width + 2 * page.bleed), mmToPt(page.height + 2 * page.bleed));
    const ops: string[] = [];
    // Page coordinates (mm from the trim's top-left, y down) to PDF points.
    ops.push(`1 0 0 -1 ${fmt(mmToPt(margin))} ${fmt(H - mmToPt(margin))} cm`);
    const k = mmToPt(1);
    ops.push(`${fmt(k)} 0 0 ${fmt(k)} 0 0 cm`);
    ops.push(
      `${rgb(page.background)} rg ${fmt(-page.bleed)} ${fmt(-page.bleed)} ${fmt(page.width + 2 * page.bleed)} ${fmt(page.height + 2 * page.bleed)} re f`,
    );
    for (const { el, opacity } of flattenElements(page.elements)) {
      ops.push('q');
      if (opacity < 1) ops.push(`/${gstate(p, opacity)} gs`);
      const cx = el.x + el.width / 2;
      const cy = el.y + el.height / 2;
      const a = (el.rotation * Math.PI) / 180;
      // Local frame: origin at the element's top-left, y down, rotated about its centre.
      ops.push(`${fmt(Math.cos(a))} ${fmt(Math.sin(a))} ${fmt(-Math.sin(a))} ${fmt(Math.cos(a))} ${fmt(cx)} ${fmt(cy)} cm`);
      ops.push(`1 0 0 1 ${fmt(-el.width / 2)} ${fmt(-el.height / 2)} cm`);
      if (el.type === 'shape') ops.push(...shapeOps(el));
      else if (el.type === 'image') ops.push(await imageOps(pdf, p, el, src, images));
      else if (opts.outlineText) ops.push(...outlineOps(layouts.get(el) as TextLayout, src.registry));
      else ops.push(...textOps(p, layouts.get(el) as TextLayout, embedded));
      ops.push('Q');
    }
    if (opts.cropMarks) ops.push(...cropMarkOps(page));
    const stream = pdf.context.flateStream(new TextEncoder().encode(ops.join('\n')));
    p.node.set(PDFName.of('Contents'), pdf.context.register(stream));
  }
  return pdf.save({ useObjectStreams: false });
}

function gstate(p: PDFPage, opacity: number): string {
  const dict = p.doc.context.obj({ Type: 'ExtGState', ca: opacity, CA: opacity });
  return p.node.newExtGState('GS', dict).asString().slice(1);
}

function shapeOps(el: Extract<Element, { type: 'shape' }>): string[] {
  const w = el.width;
  const h = el.height;
  const path: string[] = [];
  if (el.shape === 'ellipse') {
    const c = 0.5522847498;
    const rx = w / 2;
    const ry = h / 2;
    path.push(
      `${fmt(w)} ${fmt(ry)} m`,
      `${fmt(w)} ${fmt(ry + c * ry)} ${fmt(rx + c * rx)} ${fmt(h)} ${fmt(rx)} ${fmt(h)} c`,
      `${fmt(rx - c * rx)} ${fmt(h)} 0 ${fmt(ry + c * ry)} 0 ${fmt(ry)} c`,
      `0 ${fmt(ry - c * ry)} ${fmt(rx - c * rx)} 0 ${fmt(rx)} 0 c`,
      `${fmt(rx + c * rx)} 0 ${fmt(w)} ${fmt(ry - c * ry)} ${fmt(w)} ${fmt(ry)} c h`,
    );
  } else if (el.cornerRadius > 0) {
    const r = Math.min(el.cornerRadius, w / 2, h / 2);
    const c = r * (1 - 0.5522847498);
    path.push(
      `${fmt(r)} 0 m ${fmt(w - r)} 0 l ${fmt(w - c)} 0 ${fmt(w)} ${fmt(c)} ${fmt(w)} ${fmt(r)} c`,
      `${fmt(w)} ${fmt(h - r)} l ${fmt(w)} ${fmt(h - c)} ${fmt(w - c)} ${fmt(h)} ${fmt(w - r)} ${fmt(h)} c`,
      `${fmt(r)} ${fmt(h)} l ${fmt(c)} ${fmt(h)} 0 ${fmt(h - c)} 0 ${fmt(h - r)} c`,
      `0 ${fmt(r)} l 0 ${fmt(c)} ${fmt(c)} 0 ${fmt(r)} 0 c h`,
    );
  } else path.push(`0 0 ${fmt(w)} ${fmt(h)} re`);
  const fill = el.fill !== null;
  const stroke = el.stroke !== null && el.strokeWidth > 0;
  if (!fill && !stroke) return [];
  const paint = fill && stroke ? 'B' : fill ? 'f' : 'S';
  return [
    ...(fill ? [`${rgb(el.fill as string)} rg`] : []),
    ...(stroke ? [`${rgb(el.stroke as string)} RG ${fmt(el.strokeWidth)} w`] : []),
    ...path,
    paint,
  ];
}

async function imageOps(
  pdf: PDFDocument,
  p: PDFPage,
  el: Extract<Element, { type: 'image' }>,
  src: PdfSources,
  cache: Map<string, PDFImage>,
): Promise<string> {
  let img = cache.get(el.asset);
  if (!img) {
    const a = src.asset(el.asset);
    if (!a) throw new ExportError(`Image ${el.name} (${el.asset.slice(0, 12)}…) is missing from the project.`);
    if (a.mime === 'image/png') img = await pdf.embedPng(a.bytes);
    else if (a.mime === 'image/jpeg') img = await pdf.embedJpg(a.bytes);
    else throw new ExportError(`Image ${el.name} is WebP, which PDF cannot hold; convert it to PNG or JPEG and place it again.`);
    cache.set(el.asset, img);
  }
  const name = p.node.newXObject('Im', img.ref as PDFRef).asString();
  // Unit square to the element box, top row at the top (local frame is y down).
  return `${fmt(el.width)} 0 0 ${fmt(-el.height)} 0 ${fmt(el.height)} cm ${name} Do`;
}

function textOps(p: PDFPage, layout: TextLayout, fonts: Map<string, EmbeddedFont>): string[] {
  const ops: string[] = [];
  const names = new Map<string, string>();
  const k = ptToMm(1);
  for (const line of layout.lines) {
    for (const run of line.runs) {
      const font = fonts.get(run.fontId);
      if (!font) continue;
      let name = names.get(run.fontId);
      if (!name) {
        name = p.node.newFontDictionary('F', font.ref).asString();
        names.set(run.fontId, name);
      }
      ops.push(`${rgb(run.color)} rg`);
      for (const g of run.glyphs) {
        const cid = font.cid.get(g.id) ?? 0;
        // Glyph origin in the frame (points → mm), un-flipping y for the glyph itself.
        const x = g.x * k;
        const y = g.y * k;
        const sx = g.scaleX ?? 1;
        const m = g.rotate ? `0 ${fmt(sx)} 1 0 ${fmt(x)} ${fmt(y)}` : `${fmt(sx)} 0 0 -1 ${fmt(x)} ${fmt(y)}`;
        ops.push(`q ${m} cm BT ${name} ${fmt(run.size * k)} Tf <${hex4(cid)}> Tj ET Q`);
      }
    }
  }
  return ops;
}

/** Converts an SVG outline (M, L, Q, C, Z; absolute) to PDF path operators. */
export function svgPathToPdf(d: string): string {
  const out: string[] = [];
  const tokens = d.match(/[MLQCZ]|-?[\d.]+(?:e-?\d+)?/gi) ?? [];
  let i = 0;
  let cx = 0;
  let cy = 0;
  const num = () => Number(tokens[i++]);
  while (i < tokens.length) {
    const cmd = tokens[i++];
    if (cmd === 'M' || cmd === 'L') {
      cx = num();
      cy = num();
      out.push(`${fmt(cx)} ${fmt(cy)} ${cmd === 'M' ? 'm' : 'l'}`);
    } else if (cmd === 'Q') {
      // A quadratic segment as the equivalent cubic.
      const qx = num();
      const qy = num();
      const x = num();
      const y = num();
      out.push(
        `${fmt(cx + (2 / 3) * (qx - cx))} ${fmt(cy + (2 / 3) * (qy - cy))} ${fmt(x + (2 / 3) * (qx - x))} ${fmt(y + (2 / 3) * (qy - y))} ${fmt(x)} ${fmt(y)} c`,
      );
      cx = x;
      cy = y;
    } else if (cmd === 'C') {
      const v = [num(), num(), num(), num(), num(), num()];
      out.push(`${v.map(fmt).join(' ')} c`);
      cx = v[4] as number;
      cy = v[5] as number;
    } else if (cmd === 'Z' || cmd === 'z') out.push('h');
  }
  return out.join(' ');
}

function outlineOps(layout: TextLayout, registry: FontRegistry): string[] {
  const ops: string[] = [];
  const k = ptToMm(1);
  for (const line of layout.lines) {
    for (const run of line.runs) {
      const face = registry.get(run.fontId);
      if (!face) continue;
      const s = (run.size * k) / face.upem;
      ops.push(`${rgb(run.color)} rg`);
      for (const g of run.glyphs) {
        const path = svgPathToPdf(face.glyphPath(g.id));
        if (!path) continue;
        const sx = s * (g.scaleX ?? 1);
        const m = g.rotate
          ? `0 ${fmt(sx)} ${fmt(s)} 0 ${fmt(g.x * k)} ${fmt(g.y * k)}`
          : `${fmt(sx)} 0 0 ${fmt(-s)} ${fmt(g.x * k)} ${fmt(g.y * k)}`;
        ops.push(`q ${m} cm ${path} f Q`);
      }
    }
  }
  return ops;
}

function cropMarkOps(page: Page): string[] {
  const b = page.bleed;
  const ops = ['q 0 0 0 1 K 0 G', `${fmt(ptToMm(0.25))} w`];
  const from = b + MARK_GAP_MM;
  const to = from + MARK_MM;
  for (const x of [0, page.width]) {
    for (const y of [0, page.height]) {
      const dx = x === 0 ? -1 : 1;
      const dy = y === 0 ? -1 : 1;
      ops.push(`${fmt(x + dx * from)} ${fmt(y)} m ${fmt(x + dx * to)} ${fmt(y)} l S`);
      ops.push(`${fmt(x)} ${fmt(y + dy * from)} m ${fmt(x)} ${fmt(y + dy * to)} l S`);
    }
  }
  ops.push('Q');
  return ops;
}
