// Shared builders for tests: documents with elements, assets from real PNGs, temp folders.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDocument, createImageFor, createShape, createText } from '../../core/document/factory';
import type { Asset, Element, GroupElement, PosterDocument } from '../../core/document/schema';
import { DocumentError, parseDocument } from '../../core/document/validate';
import type { ElementId } from '../../core/ids';
import { gradientPng } from './png';

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export async function makeTempDir(prefix = 'poster-test-'): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
}

export const rect = (id: ElementId, x: number, y: number, width: number, height: number, extra: Partial<Element> = {}): Element =>
  ({ ...createShape('rect', { x, y, width, height }, id), ...extra }) as Element;

export const text = (id: ElementId, x: number, y: number, width: number, height: number, content = 'Hello 你好'): Element =>
  createText({ x, y, width, height }, content, id);

export function groupOf(id: ElementId, box: { x: number; y: number; width: number; height: number }, children: Element[]): GroupElement {
  return { id, name: 'Group', ...box, rotation: 0, opacity: 1, locked: false, hidden: false, type: 'group', children };
}

/** A document whose first page holds `elements`. */
export function docWith(elements: Element[], title = 'Test poster'): PosterDocument {
  const doc = createDocument(title);
  const page = doc.pages[0]!;
  return { ...doc, pages: [{ ...page, elements }] };
}

export interface TestImage {
  bytes: Uint8Array;
  asset: Asset;
}

export function testImage(width: number, height: number, name: string, seed = 0): TestImage {
  const bytes = gradientPng(width, height, seed);
  return { bytes, asset: { sha256: sha256(bytes), mime: 'image/png', width, height, byteLength: bytes.length, name } };
}

/** A document with one image element (using `used`) and, optionally, an asset no element uses. */
export function docWithImages(used: TestImage, unused?: TestImage): PosterDocument {
  const base = createDocument('Images');
  const page = base.pages[0]!;
  const image = createImageFor(page, used.asset, undefined, 'el:img1');
  const assets: Record<string, Asset> = { [used.asset.sha256]: used.asset };
  if (unused) assets[unused.asset.sha256] = unused.asset;
  return { ...base, pages: [{ ...page, elements: [image, rect('el:r1', 10, 10, 50, 20)] }], assets };
}

/** The DocumentError parseDocument refuses `raw` with; anything else (or acceptance) fails the test. */
export function rejects(raw: unknown): DocumentError {
  try {
    parseDocument(raw);
  } catch (e) {
    if (e instanceof DocumentError) return e;
    throw e;
  }
  throw new Error('expected parseDocument to refuse the document');
}
