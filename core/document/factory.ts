// Defaults for new documents, pages and elements.
import { type ElementId, newElementId, newPageId } from '../ids';
import { DEFAULT_TEXT_STYLE } from '../typeset/types';
import { presetSize } from '../units';
import {
  type Asset,
  DOCUMENT_FORMAT,
  DOCUMENT_VERSION,
  type ImageElement,
  type Page,
  type PosterDocument,
  type ShapeElement,
  type TextElement,
} from './schema';

export const DEFAULT_BLEED_MM = 3;
export const DEFAULT_SAFE_MM = 5;

export function createPage(widthMm: number, heightMm: number, name = 'Page 1'): Page {
  return {
    id: newPageId(),
    name,
    width: widthMm,
    height: heightMm,
    bleed: DEFAULT_BLEED_MM,
    safeMargin: DEFAULT_SAFE_MM,
    background: '#ffffff',
    elements: [],
  };
}

export function createDocument(title = 'Untitled', presetId = 'A3'): PosterDocument {
  const size = presetSize(presetId, 'portrait') ?? { widthMm: 297, heightMm: 420 };
  return {
    format: DOCUMENT_FORMAT,
    version: DOCUMENT_VERSION,
    title,
    pages: [createPage(size.widthMm, size.heightMm)],
    assets: {},
    generations: [],
  };
}

const base = (id: ElementId | undefined, name: string, x: number, y: number, width: number, height: number) => ({
  id: id ?? newElementId(),
  name,
  x,
  y,
  width,
  height,
  rotation: 0,
  opacity: 1,
  locked: false,
  hidden: false,
});

export function createShape(
  shape: 'rect' | 'ellipse',
  box: { x: number; y: number; width: number; height: number },
  id?: ElementId,
): ShapeElement {
  return {
    ...base(id, shape === 'rect' ? 'Rectangle' : 'Ellipse', box.x, box.y, box.width, box.height),
    type: 'shape',
    shape,
    fill: '#e8553d',
    stroke: null,
    strokeWidth: 0,
    cornerRadius: 0,
  };
}

export function createText(box: { x: number; y: number; width: number; height: number }, text: string, id?: ElementId): TextElement {
  return {
    ...base(id, 'Text', box.x, box.y, box.width, box.height),
    type: 'text',
    runs: [{ text }],
    style: { ...DEFAULT_TEXT_STYLE },
    secondary: null,
  };
}

/**
 * An image placed to fit inside the page's safe area at its own aspect ratio, centred,
 * or at `at` (top-left, mm) when dropped at a point.
 */
export function createImageFor(page: Page, asset: Asset, at?: { x: number; y: number }, id?: ElementId): ImageElement {
  const maxW = Math.max(10, page.width - 2 * page.safeMargin);
  const maxH = Math.max(10, page.height - 2 * page.safeMargin);
  const scale = Math.min(maxW / asset.width, maxH / asset.height);
  const width = asset.width * scale;
  const height = asset.height * scale;
  const x = at ? at.x - width / 2 : (page.width - width) / 2;
  const y = at ? at.y - height / 2 : (page.height - height) / 2;
  const name = asset.name.replace(/\.[a-z0-9]+$/i, '') || 'Image';
  return { ...base(id, name.slice(0, 200), x, y, width, height), type: 'image', asset: asset.sha256 };
}
