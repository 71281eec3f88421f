// The .poster project file: one zip holding document.json and assets/<sha256>.<ext>.
// Reading treats the file as hostile: size limits before inflating, no path outside the
// archive's own names, every asset checked against its hash.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { type Unzipped, unzipSync, type Zippable, zipSync } from 'fflate';
import { keptAssets } from '../../core/document/operations';
import type { Asset, ImageMime, PosterDocument } from '../../core/document/schema';
import { DocumentError, parseDocument, parseDocumentJson } from '../../core/document/validate';
import { atomicWrite } from './atomic';

export const LIMITS = {
  fileBytes: 4 * 1024 ** 3,
  entryBytes: 1024 ** 3,
  totalBytes: 4 * 1024 ** 3,
  entries: 20_000,
  documentBytes: 64 * 1024 ** 2,
};

export class ProjectFileError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid-file' | 'newer-version' | 'io' | 'not-found' = 'invalid-file',
  ) {
    super(message);
    this.name = 'ProjectFileError';
  }
}

const EXT: Record<ImageMime, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };
const ASSET_NAME = /^assets\/([0-9a-f]{64})\.(png|jpg|webp)$/;
const SAFE_EXTRA = /^[a-z0-9_-]+(\/[a-z0-9_.-]+)*$/i;

export interface AssetBytes {
  mime: ImageMime;
  bytes: Uint8Array;
}

export interface ProjectContents {
  document: PosterDocument;
  assets: Map<string, AssetBytes>;
  /** Other entries (e.g. recovery metadata), by name. */
  extras: Map<string, Uint8Array>;
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function checkEntryName(name: string): void {
  if (
    name.startsWith('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    /^[a-zA-Z]:/.test(name) ||
    name.split('/').some((part) => part === '..' || part === '.')
  ) {
    throw new ProjectFileError(`The project file contains an unsafe path ("${name.slice(0, 100)}"); it was not opened.`);
  }
}

/**
 * Encodes a project. Only assets the pages or the generation history use are written; all of
 * those must be supplied.
 */
export function encodeProject(
  doc: PosterDocument,
  getAsset: (sha256: string) => AssetBytes | undefined,
  extras: Record<string, Uint8Array> = {},
): Uint8Array {
  const used = keptAssets(doc);
  const assets: Record<string, Asset> = {};
  const files: Zippable = {};
  for (const sha of [...used].sort()) {
    const meta = doc.assets[sha];
    const data = getAsset(sha);
    if (!meta || !data)
      throw new ProjectFileError(`Image ${sha.slice(0, 12)}… is missing from this session; nothing was written.`, 'not-found');
    assets[sha] = meta;
    // Images are already compressed; store them as they are.
    files[`assets/${sha}.${EXT[meta.mime]}`] = [data.bytes, { level: 0 }];
  }
  const saved: PosterDocument = { ...doc, assets };
  files['document.json'] = [new TextEncoder().encode(JSON.stringify(saved, null, 1)), { level: 6 }];
  for (const [name, bytes] of Object.entries(extras)) {
    checkEntryName(name);
    files[name] = [bytes, { level: 6 }];
  }
  return zipSync(files, { mtime: new Date('2020-01-01T00:00:00Z') });
}

export function decodeProject(data: Uint8Array): ProjectContents {
  if (data.length < 22 || data[0] !== 0x50 || data[1] !== 0x4b) {
    throw new ProjectFileError('This is not a Poster Studio project (the file is not a zip archive).');
  }
  let count = 0;
  let total = 0;
  let files: Unzipped;
  try {
    files = unzipSync(data, {
      filter: (f) => {
        checkEntryName(f.name);
        if (f.name.endsWith('/')) return false;
        count += 1;
        total += f.originalSize;
        if (count > LIMITS.entries)
          throw new ProjectFileError(`The project file has more than ${LIMITS.entries} entries; it was not opened.`);
        if (f.originalSize > LIMITS.entryBytes || total > LIMITS.totalBytes) {
          throw new ProjectFileError('The project file unpacks to more than the size limit (zip bomb?); it was not opened.');
        }
        if (f.name === 'document.json' && f.originalSize > LIMITS.documentBytes) {
          throw new ProjectFileError('document.json is larger than 64 MB; it was not opened.');
        }
        return true;
      },
    });
  } catch (e) {
    if (e instanceof ProjectFileError) throw e;
    throw new ProjectFileError(
      `The project file is damaged or incomplete (${(e as Error).message}). It was not opened and nothing was changed.`,
    );
  }
  const docBytes = files['document.json'];
  if (!docBytes) throw new ProjectFileError('The project file has no document.json; it is damaged or not a Poster Studio project.');
  let document: PosterDocument;
  try {
    document = parseDocumentJson(new TextDecoder('utf-8', { fatal: true }).decode(docBytes));
  } catch (e) {
    if (e instanceof DocumentError) throw new ProjectFileError(e.message, e.kind === 'newer-version' ? 'newer-version' : 'invalid-file');
    throw new ProjectFileError(`document.json is not valid UTF-8 text (${(e as Error).message}).`);
  }
  const assets = new Map<string, AssetBytes>();
  const extras = new Map<string, Uint8Array>();
  for (const [name, bytes] of Object.entries(files)) {
    if (name === 'document.json') continue;
    const m = ASSET_NAME.exec(name);
    if (m) {
      const sha = m[1] as string;
      if (sha256Hex(bytes) !== sha) throw new ProjectFileError(`Image ${name} is damaged (its contents do not match its checksum).`);
      const meta = document.assets[sha];
      if (meta) assets.set(sha, { mime: meta.mime, bytes });
    } else if (SAFE_EXTRA.test(name)) {
      extras.set(name, bytes);
    }
  }
  for (const sha of keptAssets(document)) {
    if (!assets.has(sha)) throw new ProjectFileError(`The project file is missing image ${sha.slice(0, 12)}… that the document uses.`);
  }
  return { document, assets, extras };
}

export async function readProjectFile(file: string): Promise<ProjectContents> {
  let stat: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    stat = await fsp.stat(file);
  } catch {
    throw new ProjectFileError(`No project file at ${file}.`, 'not-found');
  }
  if (!stat.isFile()) throw new ProjectFileError(`${file} is not a file.`, 'not-found');
  if (stat.size > LIMITS.fileBytes) throw new ProjectFileError('The project file is larger than 4 GB; it was not opened.');
  return decodeProject(new Uint8Array(await fsp.readFile(file)));
}

export async function writeProjectFile(
  file: string,
  doc: PosterDocument,
  getAsset: (sha256: string) => AssetBytes | undefined,
  extras?: Record<string, Uint8Array>,
): Promise<number> {
  // Validate before touching the disk: a bad document must never replace a good file.
  const checked = parseDocument(doc);
  const bytes = encodeProject(checked, getAsset, extras);
  try {
    await atomicWrite(file, bytes);
  } catch (e) {
    throw new ProjectFileError(`Could not save ${file}: ${(e as Error).message}. The previous file (if any) is unchanged.`, 'io');
  }
  return bytes.length;
}
