// PDF export from the document model and the typesetter's glyph runs (never from a screenshot):
// one page per artboard, MediaBox with bleed (and a slug for crop marks), TrimBox and BleedBox,
// vector shapes, images at their native resolution, text as embedded subset fonts. RGB by
// default; with `cmyk`, every colour and image goes through an ICC output profile to DeviceCMYK
// and the file gets a PDF/X-4 style OutputIntent and metadata (aimed at X-4, not validated).
import { createHash } from 'node:crypto';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { PDFDocument, PDFHexString, PDFName, type PDFPage, type PDFRawStream, type PDFRef, PDFString } from 'pdf-lib';
import { CmykTransform, type Intent, Rgb8ToCmyk } from '../../core/color/icc';
import { flattenElements } from '../../core/document/flatten';
import type { Element, Page, PosterDocument, TextElement } from '../../core/document/schema';
import type { FontRegistry } from '../../core/typeset/font';
import { layoutText } from '../../core/typeset/layout';
import type { TextLayout } from '../../core/typeset/types';
import { mmToPt, ptToMm } from '../../core/units';
import { CMYK_JPEG_DECODE, encodeCmykJpeg } from './jpeg-cmyk';
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
  /** CMYK output aimed at PDF/X-4: every colour and image converted with this output profile. */
  cmyk?: CmykOptions;
}

export interface CmykOptions {
  /** A CMYK output (printer) ICC profile. */
  profile: Uint8Array;
  intent?: Intent;
  /** OutputIntent fields; default: a custom condition named after the profile. */
  outputConditionIdentifier?: string;
  registryName?: string;
  info?: string;
}

/** How colours are written: RGB operators, or CMYK through an ICC transform. */
interface Paint {
  fill(hex: string): string;
  stroke(hex: string): string;
  transform?: CmykTransform;
  images?: Rgb8ToCmyk;
}

const cmykOps = (c: readonly number[]) => c.map((v) => fmt(Math.round(v * 10000) / 10000)).join(' ');

function paintFor(opts: PdfOptions): Paint {
  if (!opts.cmyk) return { fill: (h) => `${rgb(h)} rg`, stroke: (h) => `${rgb(h)} RG` };
  const t = new CmykTransform(opts.cmyk.profile, opts.cmyk.intent ?? 'perceptual');
  let images: Rgb8ToCmyk | undefined;
  return {
    fill: (h) => `${cmykOps(t.fromHex(h))} k`,
    stroke: (h) => `${cmykOps(t.fromHex(h))} K`,
    transform: t,
    get images() {
      images ??= new Rgb8ToCmyk(t);
      return images;
    },
  };
}

type EmbeddedImage = { ref: PDFRef };

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
  // Fails here, before any work, if the profile is not a usable CMYK output profile.
  const paint = paintFor(opts);
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
          // Text drawn as outlines embeds no font.
          if (opts.outlineText) continue;
          for (const g of run.glyphs)
            fonts.use(run.fontId, src.fontBytes(run.fontId), g.id, String.fromCodePoint(text.codePointAt(g.cluster) ?? 0xfffd));
        }
      }
    }
  }
  const embedded = fonts.embedAll(pdf, (id) => {
    const f = src.registry.get(id);
    return f ? `"${f.meta.family}" (${f.meta.weight})` : id;
  });
  const images = new Map<string, EmbeddedImage>();
  let transparency = false;

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
      `${paint.fill(page.background)} ${fmt(-page.bleed)} ${fmt(-page.bleed)} ${fmt(page.width + 2 * page.bleed)} ${fmt(page.height + 2 * page.bleed)} re f`,
    );
    for (const { el, opacity } of flattenElements(page.elements)) {
      ops.push('q');
      if (opacity < 1) {
        ops.push(`/${gstate(p, opacity)} gs`);
        transparency = true;
      }
      const cx = el.x + el.width / 2;
      const cy = el.y + el.height / 2;
      const a = (el.rotation * Math.PI) / 180;
      // Local frame: origin at the element's top-left, y down, rotated about its centre.
      ops.push(`${fmt(Math.cos(a))} ${fmt(Math.sin(a))} ${fmt(-Math.sin(a))} ${fmt(Math.cos(a))} ${fmt(cx)} ${fmt(cy)} cm`);
      ops.push(`1 0 0 1 ${fmt(-el.width / 2)} ${fmt(-el.height / 2)} cm`);
      if (el.type === 'shape') ops.push(...shapeOps(el, paint));
      else if (el.type === 'image') {
        const { op, masked } = await imageOps(pdf, p, el, src, images, paint);
        ops.push(op);
        transparency ||= masked;
      } else if (opts.outlineText) ops.push(...outlineOps(layouts.get(el) as TextLayout, src.registry, paint));
      else ops.push(...textOps(p, layouts.get(el) as TextLayout, embedded, paint));
      ops.push('Q');
    }
    if (opts.cropMarks) ops.push(...cropMarkOps(page, !!opts.cmyk));
    const stream = pdf.context.flateStream(new TextEncoder().encode(ops.join('\n')));
    p.node.set(PDFName.of('Contents'), pdf.context.register(stream));
    // Transparency blends in the output's CMYK space, not an unstated one.
    if (opts.cmyk && transparency) p.node.set(PDFName.of('Group'), pdf.context.obj({ Type: 'Group', S: 'Transparency', CS: 'DeviceCMYK' }));
    transparency = false;
  }
  if (!opts.cmyk || !paint.transform) return pdf.save({ useObjectStreams: false });
  markPdfX4(pdf, doc, opts, opts.cmyk, paint.transform, fixedDate);
  const bytes = await pdf.save({ useObjectStreams: false });
  // PDF/X-4 is based on PDF 1.6; pdf-lib always writes a 1.7 header, and nothing we write needs
  // 1.7 (no object streams), so the version digit is patched in place (offsets unchanged).
  const header = new TextEncoder().encode('%PDF-1.6');
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== '%PDF-1.7') throw new ExportError('Unexpected PDF header from pdf-lib.');
  bytes.set(header, 0);
  return bytes;
}

/**
 * The PDF/X-4 parts of a CMYK export: OutputIntent GTS_PDFX with the profile
 * as DestOutputProfile, XMP metadata with pdfxid:GTS_PDFXVersion, Trapped /False and a document
 * ID. Not checked by a PDF/X validator (none is available offline); treat it as "aimed at X-4".
 */
function markPdfX4(pdf: PDFDocument, doc: PosterDocument, opts: PdfOptions, cmyk: CmykOptions, t: CmykTransform, date: Date) {
  const ctx = pdf.context;
  const profile = ctx.flateStream(cmyk.profile, { N: 4, Alternate: 'DeviceCMYK' });
  const title = opts.title ?? doc.title;
  const id = createHash('md5')
    .update(JSON.stringify(doc))
    .update(cmyk.profile)
    .update(cmyk.intent ?? 'perceptual')
    .digest('hex');
  const intent = ctx.obj({
    Type: 'OutputIntent',
    S: 'GTS_PDFX',
    OutputConditionIdentifier: PDFString.of(cmyk.outputConditionIdentifier ?? 'Custom'),
    OutputCondition: PDFString.of(t.profile.description),
    RegistryName: PDFString.of(cmyk.registryName ?? ''),
    Info: PDFString.of(cmyk.info ?? t.profile.description),
    DestOutputProfile: ctx.register(profile),
  });
  pdf.catalog.set(PDFName.of('OutputIntents'), ctx.obj([ctx.register(intent)]));
  const iso = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const xmp = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">${esc(title)}</rdf:li></rdf:Alt></dc:title>
   <xmp:CreatorTool>Poster Studio</xmp:CreatorTool>
   <xmp:CreateDate>${iso}</xmp:CreateDate>
   <xmp:ModifyDate>${iso}</xmp:ModifyDate>
   <xmp:MetadataDate>${iso}</xmp:MetadataDate>
   <pdf:Producer>Poster Studio</pdf:Producer>
   <pdf:Trapped>False</pdf:Trapped>
   <xmpMM:DocumentID>uuid:${uuidOf(id)}</xmpMM:DocumentID>
   <xmpMM:InstanceID>uuid:${uuidOf(id)}</xmpMM:InstanceID>
   <xmpMM:RenditionClass>default</xmpMM:RenditionClass>
   <xmpMM:VersionID>1</xmpMM:VersionID>
   <pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;
  // Metadata stays uncompressed so prepress tools can find it by scanning the file.
  const meta = ctx.stream(new TextEncoder().encode(xmp), { Type: 'Metadata', Subtype: 'XML' });
  pdf.catalog.set(PDFName.of('Metadata'), ctx.register(meta));
  const info = ctx.lookup(ctx.trailerInfo.Info);
  if (info && 'set' in info) (info as { set(k: PDFName, v: unknown): void }).set(PDFName.of('Trapped'), PDFName.of('False'));
  ctx.trailerInfo.ID = ctx.obj([PDFHexString.of(id), PDFHexString.of(id)]);
}

const uuidOf = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;

function gstate(p: PDFPage, opacity: number): string {
  const dict = p.doc.context.obj({ Type: 'ExtGState', ca: opacity, CA: opacity });
  return p.node.newExtGState('GS', dict).asString().slice(1);
}

function shapeOps(el: Extract<Element, { type: 'shape' }>, paint: Paint): string[] {
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
  const op = fill && stroke ? 'B' : fill ? 'f' : 'S';
  return [
    ...(fill ? [paint.fill(el.fill as string)] : []),
    ...(stroke ? [`${paint.stroke(el.stroke as string)} ${fmt(el.strokeWidth)} w`] : []),
    ...path,
    op,
  ];
}

async function imageOps(
  pdf: PDFDocument,
  p: PDFPage,
  el: Extract<Element, { type: 'image' }>,
  src: PdfSources,
  cache: Map<string, EmbeddedImage & { masked?: boolean }>,
  paint: Paint,
): Promise<{ op: string; masked: boolean }> {
  let img = cache.get(el.asset);
  if (!img) {
    const a = src.asset(el.asset);
    if (!a) throw new ExportError(`Image ${el.name} (${el.asset.slice(0, 12)}…) is missing from the project.`);
    if (a.mime !== 'image/png' && a.mime !== 'image/jpeg')
      throw new ExportError(`Image ${el.name} is WebP, which PDF cannot hold; convert it to PNG or JPEG and place it again.`);
    if (paint.images) img = await embedCmykImage(pdf, el.name, a.bytes, a.mime, paint.images);
    else if (a.mime === 'image/png') img = await pdf.embedPng(a.bytes);
    else img = await pdf.embedJpg(a.bytes);
    cache.set(el.asset, img);
  }
  const name = p.node.newXObject('Im', img.ref).asString();
  // Unit square to the element box, top row at the top (local frame is y down).
  return { op: `${fmt(el.width)} 0 0 ${fmt(-el.height)} 0 ${fmt(el.height)} cm ${name} Do`, masked: !!img.masked };
}

/**
 * An image as 8-bit DeviceCMYK at its native pixel size: a JPEG source (a photo, already lossy)
 * is written as a CMYK JPEG (DCTDecode, quality DEFAULT_JPEG_QUALITY), anything else with Flate
 * (lossless: graphics, text, hard edges). Alpha, if any pixel is not opaque, becomes a DeviceGray
 * soft mask (allowed in PDF/X-4).
 */
async function embedCmykImage(
  pdf: PDFDocument,
  label: string,
  bytes: Uint8Array,
  mime: 'image/png' | 'image/jpeg',
  lut: Rgb8ToCmyk,
): Promise<EmbeddedImage & { masked: boolean }> {
  let decoded: Awaited<ReturnType<typeof loadImage>>;
  try {
    decoded = await loadImage(Buffer.from(bytes));
  } catch (e) {
    throw new ExportError(`Image ${label} cannot be decoded: ${(e as Error).message}`);
  }
  const { width, height } = decoded;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(decoded, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const count = width * height;
  const cmyk = lut.convertRgba(rgba, count);
  let alpha: Uint8Array | null = null;
  for (let i = 0; i < count; i++) {
    if (rgba[i * 4 + 3] !== 255) {
      alpha = new Uint8Array(count);
      for (let j = 0; j < count; j++) alpha[j] = rgba[j * 4 + 3] as number;
      break;
    }
  }
  const ctxPdf = pdf.context;
  const dict: Record<string, unknown> = {
    Type: 'XObject',
    Subtype: 'Image',
    Width: width,
    Height: height,
    ColorSpace: 'DeviceCMYK',
    BitsPerComponent: 8,
  };
  if (alpha) {
    const mask = ctxPdf.flateStream(alpha, {
      Type: 'XObject',
      Subtype: 'Image',
      Width: width,
      Height: height,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 8,
    });
    dict.SMask = ctxPdf.register(mask);
  }
  let stream: PDFRawStream;
  if (mime === 'image/jpeg' && !alpha) {
    // Our JPEG holds Adobe-style inverted samples; /Decode turns them back to ink amounts.
    dict.Filter = 'DCTDecode';
    dict.Decode = CMYK_JPEG_DECODE;
    // biome-ignore lint/suspicious/noExplicitAny: pdf-lib's literal dictionary type is narrower than what it accepts.
    stream = ctxPdf.stream(encodeCmykJpeg(cmyk, width, height), dict as any);
  } else {
    // biome-ignore lint/suspicious/noExplicitAny: pdf-lib's literal dictionary type is narrower than what it accepts.
    stream = ctxPdf.flateStream(cmyk, dict as any);
  }
  const ref = ctxPdf.register(stream);
  return { ref, masked: alpha !== null };
}

function textOps(p: PDFPage, layout: TextLayout, fonts: Map<string, EmbeddedFont>, paint: Paint): string[] {
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
      ops.push(paint.fill(run.color));
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

function outlineOps(layout: TextLayout, registry: FontRegistry, paint: Paint): string[] {
  const ops: string[] = [];
  const k = ptToMm(1);
  for (const line of layout.lines) {
    for (const run of line.runs) {
      const face = registry.get(run.fontId);
      if (!face) continue;
      const s = (run.size * k) / face.upem;
      ops.push(paint.fill(run.color));
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

function cropMarkOps(page: Page, cmyk: boolean): string[] {
  const b = page.bleed;
  // In CMYK the marks print on every plate (registration), so each separation can be trimmed.
  const ops = [cmyk ? 'q 1 1 1 1 K' : 'q 0 0 0 1 K 0 G', `${fmt(ptToMm(0.25))} w`];
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
