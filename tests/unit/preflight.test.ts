// Preflight findings a print shop would care about.
import { describe, expect, it } from 'vitest';
import { createImageFor, createShape, createText } from '../../core/document/factory';
import type { Element, PosterDocument } from '../../core/document/schema';
import { preflight, summarise } from '../../core/preflight';
import { docWith, testImage } from '../helpers/fixtures';

const families = ['Noto Sans SC', 'Inter'];

function withImage(px: number, widthMm: number): PosterDocument {
  const img = testImage(px, px, 'photo.png');
  const base = docWith([]);
  const page = base.pages[0]!;
  const el = { ...createImageFor(page, img.asset), x: 50, y: 50, width: widthMm, height: widthMm };
  return { ...base, assets: { [img.asset.sha256]: img.asset }, pages: [{ ...page, elements: [el] }] };
}

const codes = (doc: PosterDocument) => preflight(doc, { families }).map((f) => f.code);

describe('preflight', () => {
  it('rates images by effective resolution at their printed size', () => {
    // 1200 px over 100 mm is 305 dpi; over 200 mm 152 dpi; over 400 mm 76 dpi.
    expect(codes(withImage(1200, 100))).toEqual([]);
    expect(codes(withImage(1200, 200))).toEqual(['low-dpi']);
    const very = preflight(withImage(1200, 400), { families });
    expect(very.map((f) => f.code)).toEqual(['very-low-dpi']);
    expect(very[0]!.severity).toBe('error');
    expect(very[0]!.message).toMatch(/76 dpi/);
  });

  it('flags artwork that reaches the trim but not the bleed, and accepts a full bleed', () => {
    const doc = docWith([]);
    const page = doc.pages[0]!;
    const flush: Element = createShape('rect', { x: 0, y: 100, width: 100, height: 50 });
    const full: Element = createShape('rect', { x: -3, y: 200, width: 100, height: 50 });
    const inside: Element = createShape('rect', { x: 20, y: 300, width: 100, height: 50 });
    const d = { ...doc, pages: [{ ...page, elements: [flush, full, inside] }] };
    const found = preflight(d, { families });
    expect(found.map((f) => [f.code, f.elementId])).toEqual([['bleed-gap', flush.id]]);
    expect(found[0]!.message).toMatch(/left trim edge/);
  });

  it('flags empty text, text in the safe margin and fonts that are not installed', () => {
    const doc = docWith([]);
    const page = doc.pages[0]!;
    const empty = createText({ x: 50, y: 50, width: 100, height: 20 }, ' ');
    const edge = createText({ x: 2, y: 100, width: 100, height: 20 }, '出口 Exit');
    const odd = {
      ...createText({ x: 50, y: 200, width: 100, height: 20 }, '你好'),
      style: { ...createText({ x: 0, y: 0, width: 1, height: 1 }, '').style, cjkFamily: 'Fancy Brush' },
    };
    const found = preflight({ ...doc, pages: [{ ...page, elements: [empty, edge, odd] }] }, { families });
    expect(found.map((f) => f.code)).toEqual(['empty-text', 'text-near-trim', 'missing-font']);
    expect(summarise(found)).toBe('Preflight: 0 errors, 3 warnings');
  });

  it('ignores hidden elements', () => {
    const doc = withImage(100, 400);
    const page = doc.pages[0]!;
    const hidden = { ...doc, pages: [{ ...page, elements: page.elements.map((e) => ({ ...e, hidden: true })) }] };
    expect(codes(hidden)).toEqual([]);
  });
});
