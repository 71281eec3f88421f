// The .poster project file: round trips, hostile and damaged files, atomic saves, and the
// per-user app data (recent list, autosave recovery).
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PosterDocument } from '../../core/document/schema';
import { DocumentError } from '../../core/document/validate';
import { AppData } from '../../electron/store/app-data';
import { type AtomicFs, atomicWrite } from '../../electron/store/atomic';
import {
  type AssetBytes,
  decodeProject,
  encodeProject,
  LIMITS,
  ProjectFileError,
  readProjectFile,
  writeProjectFile,
} from '../../electron/store/project-file';
import { docWithImages, makeTempDir, removeDir, type TestImage, testImage } from '../helpers/fixtures';

const used = testImage(12, 8, 'hero.png', 1);
const unused = testImage(5, 5, 'unused.png', 2);
const store = new Map<string, AssetBytes>([
  [used.asset.sha256, { mime: 'image/png', bytes: used.bytes }],
  [unused.asset.sha256, { mime: 'image/png', bytes: unused.bytes }],
]);
const getAsset = (sha: string) => store.get(sha);
const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

/** The document as it is saved: only the assets its elements use. */
const savedForm = (doc: PosterDocument, ...images: TestImage[]): PosterDocument => ({
  ...doc,
  assets: Object.fromEntries(images.map((i) => [i.asset.sha256, i.asset])),
});

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('poster-file-');
});
afterEach(async () => {
  await removeDir(dir);
});

const tmpFiles = async (d: string) => (await fsp.readdir(d)).filter((n) => /^\..*\.tmp$/.test(n));

describe('encode and decode', () => {
  it('round trips the document and the image bytes exactly, dropping unused images', () => {
    const doc = docWithImages(used, unused);
    const decoded = decodeProject(encodeProject(doc, getAsset));
    expect(decoded.document).toEqual(savedForm(doc, used));
    expect([...decoded.assets.keys()]).toEqual([used.asset.sha256]);
    const back = decoded.assets.get(used.asset.sha256)!;
    expect(back.mime).toBe('image/png');
    expect(Buffer.from(back.bytes).equals(Buffer.from(used.bytes))).toBe(true);
    expect(decoded.extras.size).toBe(0);
  });

  it('encoding refuses when an image the pages use is missing from the session', () => {
    const doc = docWithImages(used);
    const err = (() => {
      try {
        encodeProject(doc, () => undefined);
      } catch (e) {
        return e as ProjectFileError;
      }
    })();
    expect(err).toBeInstanceOf(ProjectFileError);
    expect(err?.kind).toBe('not-found');
  });

  it('writes and reads a file on disk', async () => {
    const file = path.join(dir, 'poster.poster');
    const doc = docWithImages(used, unused);
    const bytes = await writeProjectFile(file, doc, getAsset);
    expect((await fsp.stat(file)).size).toBe(bytes);
    const read = await readProjectFile(file);
    expect(read.document).toEqual(savedForm(doc, used));
    expect(Buffer.from(read.assets.get(used.asset.sha256)!.bytes).equals(Buffer.from(used.bytes))).toBe(true);
    expect(await tmpFiles(dir)).toEqual([]);
  });
});

describe('damaged and hostile files are refused and left as they are', () => {
  const goodDoc = docWithImages(used);
  const goodZip = () => encodeProject(goodDoc, getAsset);
  const docJson = () => enc(savedForm(goodDoc, used));
  const assetEntry = `assets/${used.asset.sha256}.png`;

  async function expectRefused(bytes: Uint8Array, message: RegExp, kind = 'invalid-file'): Promise<ProjectFileError> {
    const file = path.join(dir, 'bad.poster');
    await fsp.writeFile(file, bytes);
    let caught: unknown;
    try {
      await readProjectFile(file);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ProjectFileError);
    const err = caught as ProjectFileError;
    expect(err.message).toMatch(message);
    expect(err.kind).toBe(kind);
    expect(Buffer.from(await fsp.readFile(file)).equals(Buffer.from(bytes))).toBe(true);
    expect((await fsp.readdir(dir)).sort()).toEqual(['bad.poster']);
    return err;
  }

  it('random bytes', async () => {
    const junk = randomBytes(4096);
    junk[0] = 0x13;
    await expectRefused(junk, /not a zip archive/);
  });

  it('random bytes that start like a zip', async () => {
    await expectRefused(Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(4096)]), /damaged or incomplete/);
  });

  it('the first half of a valid file', async () => {
    const z = goodZip();
    await expectRefused(z.subarray(0, Math.floor(z.length / 2)), /damaged or incomplete/);
  });

  it('a text file', async () => {
    await expectRefused(enc('just some notes about a poster\n'.repeat(5)), /not a zip archive/);
  });

  it('an entry named ../evil.txt', async () => {
    await expectRefused(
      zipSync({ 'document.json': docJson(), [assetEntry]: used.bytes, '../evil.txt': enc('pwned') }),
      /unsafe path.*\.\.\/evil\.txt/,
    );
    await expect(fsp.stat(path.join(dir, '..', 'evil.txt'))).rejects.toThrow();
  });

  it('an entry with an absolute path /etc/x', async () => {
    await expectRefused(zipSync({ 'document.json': docJson(), '/etc/x': enc('root') }), /unsafe path.*\/etc\/x/);
  });

  it('an entry that declares more than the size limit', async () => {
    const saved = LIMITS.entryBytes;
    LIMITS.entryBytes = 1000;
    try {
      await expectRefused(zipSync({ 'document.json': docJson(), 'notes/big.txt': new Uint8Array(5000) }), /size limit/);
    } finally {
      LIMITS.entryBytes = saved;
    }
    expect(LIMITS.entryBytes).toBe(1024 ** 3);
  });

  it('an entry whose central directory claims nearly 4 GB (default limits)', async () => {
    const z = zipSync({ 'document.json': docJson(), 'notes/bomb.txt': new Uint8Array(100) });
    const buf = Buffer.from(z);
    // Patch the declared uncompressed size of the last central-directory record.
    const cd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    expect(cd).toBeGreaterThan(0);
    buf.writeUInt32LE(0xf0000000, cd + 24);
    await expectRefused(buf, /size limit/);
  });

  it('an image whose bytes do not match its sha256 name', async () => {
    const tampered = used.bytes.slice();
    const at = tampered.length - 20;
    tampered[at] = (tampered[at] as number) ^ 0xff;
    await expectRefused(zipSync({ 'document.json': docJson(), [assetEntry]: tampered }), /do not match its checksum/);
  });

  it('an image the document uses but the file lacks', async () => {
    await expectRefused(zipSync({ 'document.json': docJson() }), /missing image/);
  });

  it('a document.json of format version 99', async () => {
    const err = await expectRefused(
      zipSync({ 'document.json': enc({ ...savedForm(goodDoc, used), version: 99 }), [assetEntry]: used.bytes }),
      /newer version/,
      'newer-version',
    );
    expect(err.message).toMatch(/format 99/);
  });

  it('a document.json with a bad field names the field', async () => {
    const raw = JSON.parse(JSON.stringify(savedForm(goodDoc, used)));
    raw.pages[0].elements[1].width = -5;
    await expectRefused(zipSync({ 'document.json': enc(raw), [assetEntry]: used.bytes }), /pages\[0\]\.elements\[1\]\.width/);
  });

  it('a document.json that is not JSON or not UTF-8', async () => {
    await expectRefused(zipSync({ 'document.json': enc('{"format":') }), /not valid JSON/);
    await fsp.rm(path.join(dir, 'bad.poster'));
    await expectRefused(zipSync({ 'document.json': Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d) }), /not valid UTF-8/);
  });

  it('a zip without document.json', async () => {
    await expectRefused(zipSync({ [assetEntry]: used.bytes }), /no document\.json/);
  });

  it('a path with no file is not-found', async () => {
    await expect(readProjectFile(path.join(dir, 'nothing.poster'))).rejects.toMatchObject({ kind: 'not-found' });
    await expect(readProjectFile(dir)).rejects.toMatchObject({ kind: 'not-found' });
  });
});

describe('atomic save', () => {
  const OLD = enc('old contents that must survive '.repeat(100));
  const NEW = randomBytes(64 * 1024);

  /** Real file operations, with one of them made to fail. */
  function failingFs(fail: 'write-half' | 'rename' | 'sync'): AtomicFs {
    return {
      async open(p, flags, mode) {
        const h = await fsp.open(p, flags, mode);
        let calls = 0;
        return {
          async write(data, offset, length, position) {
            calls += 1;
            if (fail === 'write-half' && calls > 1) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
            const n = fail === 'write-half' ? Math.floor(length / 2) : length;
            return h.write(data, offset, n, position);
          },
          async sync() {
            if (fail === 'sync') throw new Error('EIO: i/o error');
            return h.sync();
          },
          close: () => h.close(),
        };
      },
      async rename(a, b) {
        if (fail === 'rename') throw new Error('EXDEV: rename failed');
        return fsp.rename(a, b);
      },
      unlink: (p) => fsp.unlink(p),
    };
  }

  for (const fail of ['write-half', 'rename', 'sync'] as const) {
    it(`a failing ${fail} leaves the old file byte-identical and no temp file`, async () => {
      const file = path.join(dir, 'poster.poster');
      await fsp.writeFile(file, OLD);
      await expect(atomicWrite(file, NEW, failingFs(fail))).rejects.toThrow();
      expect(Buffer.from(await fsp.readFile(file)).equals(Buffer.from(OLD))).toBe(true);
      expect(await tmpFiles(dir)).toEqual([]);
      expect(await fsp.readdir(dir)).toEqual(['poster.poster']);
    });
  }

  it('a successful write replaces the file and leaves no temp file', async () => {
    const file = path.join(dir, 'poster.poster');
    await fsp.writeFile(file, OLD);
    await atomicWrite(file, NEW);
    expect(Buffer.from(await fsp.readFile(file)).equals(NEW)).toBe(true);
    expect(await fsp.readdir(dir)).toEqual(['poster.poster']);
  });

  it('writeProjectFile with an invalid document or a missing image leaves the old file intact', async () => {
    const file = path.join(dir, 'poster.poster');
    await writeProjectFile(file, docWithImages(used), getAsset);
    const before = await fsp.readFile(file);
    const bad = docWithImages(used);
    (bad.pages[0]!.elements[1] as { width: number }).width = -5;
    await expect(writeProjectFile(file, bad, getAsset)).rejects.toBeInstanceOf(DocumentError);
    await expect(writeProjectFile(file, docWithImages(used), () => undefined)).rejects.toMatchObject({
      name: 'ProjectFileError',
      kind: 'not-found',
    });
    expect((await fsp.readFile(file)).equals(before)).toBe(true);
    expect(await fsp.readdir(dir)).toEqual(['poster.poster']);
  });

  it('writeProjectFile onto a folder fails as io and cleans up its temp file', async () => {
    const target = path.join(dir, 'folder.poster');
    await fsp.mkdir(target);
    await fsp.writeFile(path.join(target, 'keep.txt'), 'x');
    await expect(writeProjectFile(target, docWithImages(used), getAsset)).rejects.toMatchObject({
      kind: 'io',
      message: /previous file .* is unchanged/,
    });
    expect(await fsp.readdir(dir)).toEqual(['folder.poster']);
    expect(await fsp.readdir(target)).toEqual(['keep.txt']);
  });
});

describe('AppData', () => {
  it('keeps recent projects newest first, without duplicates, at most 12', async () => {
    const data = new AppData(path.join(dir, 'data'));
    await data.init();
    expect(await data.recent()).toEqual([]);
    const existing = path.join(dir, 'real.poster');
    await writeProjectFile(existing, docWithImages(used), getAsset);
    for (let i = 0; i < 14; i++) await data.addRecent(path.join(dir, `p${i}.poster`), `Poster ${i}`);
    await data.addRecent(existing, 'Real');
    await data.addRecent(path.join(dir, 'p10.poster'), 'Poster 10 again');
    const list = await data.recent();
    expect(list).toHaveLength(12);
    expect(list.map((r) => path.basename(r.path))).toEqual([
      'p10.poster',
      'real.poster',
      'p13.poster',
      'p12.poster',
      'p11.poster',
      'p9.poster',
      'p8.poster',
      'p7.poster',
      'p6.poster',
      'p5.poster',
      'p4.poster',
      'p3.poster',
    ]);
    expect(list[0]!.title).toBe('Poster 10 again');
    expect(list[1]!.exists).toBe(true);
    expect(list[0]!.exists).toBe(false);
    expect(Number.isNaN(Date.parse(list[0]!.openedAt))).toBe(false);
  });

  it('a damaged recent.json counts as empty and is replaced on the next add', async () => {
    const data = new AppData(path.join(dir, 'data'));
    await data.init();
    await fsp.writeFile(path.join(dir, 'data', 'recent.json'), '{"not": [a list');
    expect(await data.recent()).toEqual([]);
    await fsp.writeFile(
      path.join(dir, 'data', 'recent.json'),
      JSON.stringify([{ path: 5 }, null, { path: '/x.poster', title: 'X', openedAt: 'now' }]),
    );
    expect((await data.recent()).map((r) => r.path)).toEqual(['/x.poster']);
    await data.addRecent('/y.poster', 'Y');
    expect((await data.recent()).map((r) => r.path)).toEqual(['/y.poster', '/x.poster']);
  });

  it('autosave writes a recovery copy that can be listed, restored and discarded', async () => {
    const data = new AppData(path.join(dir, 'data'));
    await data.init();
    const doc = docWithImages(used, unused);
    const projectPath = path.join(dir, 'mine.poster');
    const savedAt = await data.autosave('abcdef0123', projectPath, doc, getAsset);
    await data.autosave('0123456789', null, { ...doc, title: 'Never saved' }, getAsset);
    // an unreadable copy is skipped, not fatal
    await fsp.writeFile(path.join(dir, 'data', 'recovery', 'deadbeef00.poster'), 'garbage');
    const list = await data.recoveries();
    expect(list.map((r) => r.sessionId).sort()).toEqual(['0123456789', 'abcdef0123']);
    const mine = list.find((r) => r.sessionId === 'abcdef0123')!;
    expect(mine).toEqual({ sessionId: 'abcdef0123', path: projectPath, title: doc.title, savedAt });
    expect(list[0]!.savedAt >= list[1]!.savedAt).toBe(true);

    const { contents, path: p } = await data.readRecovery('abcdef0123');
    expect(p).toBe(projectPath);
    expect(contents.document).toEqual(savedForm(doc, used));
    expect(Buffer.from(contents.assets.get(used.asset.sha256)!.bytes).equals(Buffer.from(used.bytes))).toBe(true);
    expect((await data.readRecovery('0123456789')).path).toBeNull();

    expect(await data.discardRecovery('abcdef0123')).toBe(true);
    expect(await data.discardRecovery('abcdef0123')).toBe(false);
    expect((await data.recoveries()).map((r) => r.sessionId)).toEqual(['0123456789']);
    await expect(data.readRecovery('abcdef0123')).rejects.toMatchObject({ kind: 'not-found' });
  });
});
