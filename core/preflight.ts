// Preflight: what a print shop would reject or query, found before export. Pure data in, a
// list of findings out, shown in the app and printed by the `poster` command.
import { flattenElements } from './document/flatten';
import { boundsOf } from './document/geometry';
import type { Element, Page, PosterDocument, TextElement } from './document/schema';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  code:
    | 'low-dpi'
    | 'very-low-dpi'
    | 'text-overflow'
    | 'bleed-gap'
    | 'text-near-trim'
    | 'empty-text'
    | 'missing-font'
    | 'missing-image'
    | 'rgb-converted'
    | 'ink-limit';
  pageId: string;
  elementId: string;
  message: string;
}

export interface PreflightOptions {
  /** Font families the exporter has; others fall back to a bundled face. */
  families: readonly string[];
  /** Whether a text frame's text fits (from the typesetter); without it overflow is not checked. */
  textOverflows?: (el: TextElement) => boolean;
  /** Effective resolution below which images are flagged (close viewing / large format). */
  goodDpi?: number;
  minimumDpi?: number;
  /** A CMYK export: RGB content is reported as converted, and rich colours checked for total ink. */
  cmyk?: CmykPreflight;
}

export interface CmykPreflight {
  /** The output profile's name, for the report. */
  profile: string;
  /** Total area coverage (percent) the press accepts; converted colours above it are flagged. */
  inkLimit: number;
  /** "#rrggbb" to CMYK 0..1, as the exporter converts it. */
  convert(hex: string): readonly number[];
}

const EDGE_MM = 0.5;

function pageFindings(doc: PosterDocument, page: Page, opts: PreflightOptions): Finding[] {
  const good = opts.goodDpi ?? 300;
  const minimum = opts.minimumDpi ?? 100;
  const out: Finding[] = [];
  const add = (severity: Severity, code: Finding['code'], el: Element, message: string) =>
    out.push({ severity, code, pageId: page.id, elementId: el.id, message: `${el.name}: ${message}` });
  for (const { el } of flattenElements(page.elements)) {
    const b = boundsOf(el);
    if (el.type === 'image') {
      const asset = doc.assets[el.asset];
      if (!asset) {
        add('error', 'missing-image', el, 'the image file is missing from the project.');
        continue;
      }
      const dpi = Math.min(asset.width / (el.width / 25.4), asset.height / (el.height / 25.4));
      if (dpi < minimum)
        add('error', 'very-low-dpi', el, `${Math.round(dpi)} dpi at its printed size, too low even for large format (needs ${minimum}+).`);
      else if (dpi < good)
        add(
          'warning',
          'low-dpi',
          el,
          `${Math.round(dpi)} dpi at its printed size; fine from a distance, soft up close (${good}+ for close viewing).`,
        );
    }
    if (el.type === 'image' || (el.type === 'shape' && el.fill !== null)) {
      // Artwork that reaches the trim must run on to the bleed edge, or a white sliver may show.
      const sides: [string, number][] = [
        ['left', -b.x],
        ['top', -b.y],
        ['right', b.x + b.width - page.width],
        ['bottom', b.y + b.height - page.height],
      ];
      for (const [side, over] of sides) {
        if (over > -EDGE_MM && over < page.bleed - EDGE_MM) {
          add(
            'warning',
            'bleed-gap',
            el,
            `reaches the ${side} trim edge but not the bleed (${page.bleed} mm beyond it); extend it or pull it inside.`,
          );
        }
      }
    }
    if (el.type === 'text') {
      const text = el.runs.map((r) => r.text).join('') + (el.secondary?.runs.map((r) => r.text).join('') ?? '');
      if (!text.trim()) add('warning', 'empty-text', el, 'the text frame is empty.');
      else if (opts.textOverflows?.(el))
        add(
          'error',
          'text-overflow',
          el,
          'the text does not fit its frame; the rest would not print. Enlarge the frame or shorten the text.',
        );
      const m = page.safeMargin;
      if (b.x < m || b.y < m || b.x + b.width > page.width - m || b.y + b.height > page.height - m) {
        add('warning', 'text-near-trim', el, `text comes within the ${m} mm safe margin; trimming may cut it.`);
      }
      for (const family of new Set([el.style.cjkFamily, el.style.latinFamily])) {
        if (!opts.families.includes(family))
          add('warning', 'missing-font', el, `font "${family}" is not installed; a bundled face stands in.`);
      }
    }
  }
  return out;
}

/** The "#rrggbb" colours an element paints with. */
function coloursOf(el: Element): string[] {
  if (el.type === 'shape') return [el.fill, el.strokeWidth > 0 ? el.stroke : null].filter((c): c is string => c !== null);
  if (el.type !== 'text') return [];
  return [el.style.color, ...[...el.runs, ...(el.secondary?.runs ?? [])].map((r) => r.color)].filter(
    (c): c is string => typeof c === 'string',
  );
}

function cmykFindings(page: Page, c: CmykPreflight): Finding[] {
  const out: Finding[] = [];
  const colours = new Set<string>([page.background]);
  const images = new Set<string>();
  const checked = new Set<string>();
  const check = (hex: string, name: string, elementId: string) => {
    const key = `${elementId}:${hex}`;
    if (checked.has(key)) return;
    checked.add(key);
    const tac = c.convert(hex).reduce((a, v) => a + v * 100, 0);
    if (tac > c.inkLimit + 0.5)
      out.push({
        severity: 'warning',
        code: 'ink-limit',
        pageId: page.id,
        elementId,
        message: `${name}: ${hex} converts to ${Math.round(tac)}% total ink, over the ${c.inkLimit}% limit; it may smear or dry slowly.`,
      });
  };
  check(page.background, 'Page background', '');
  for (const { el } of flattenElements(page.elements)) {
    if (el.type === 'image') images.add(el.asset);
    for (const hex of coloursOf(el)) {
      colours.add(hex);
      check(hex, el.name, el.id);
    }
  }
  const n = images.size;
  out.unshift({
    severity: 'info',
    code: 'rgb-converted',
    pageId: page.id,
    elementId: '',
    message: `${n} RGB image${n === 1 ? '' : 's'} and ${colours.size} RGB colour${colours.size === 1 ? '' : 's'} converted to CMYK with ${c.profile}.`,
  });
  return out;
}

export function preflight(doc: PosterDocument, opts: PreflightOptions): Finding[] {
  return doc.pages.flatMap((p) => [...pageFindings(doc, p, opts), ...(opts.cmyk ? cmykFindings(p, opts.cmyk) : [])]);
}

export function summarise(findings: readonly Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  return `Preflight: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}
