// Fonts on disk: the bundled faces listed in resources/fonts/fonts.json (files from their npm
// packages in development, copied beside the app when packaged) and fonts the user adds, kept
// in the app data folder. Every file is checked with HarfBuzz before it is accepted.
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FontError, FontFace, type FontMeta, FontRegistry, sniffFont } from '../../core/typeset/font';
import { atomicWrite } from './atomic';
import { resourceDir } from './resources';

export interface FontInfo extends FontMeta {
  source: 'bundled' | 'user';
  bytes: number;
}

interface ManifestEntry extends FontMeta {
  package: string;
  file: string;
  license: string;
}

const requireHere = createRequire(import.meta.url);

/** The folder holding fonts.json: beside the packaged app, or the source tree's resources/fonts. */
export function bundledFontsDir(): string {
  const found = resourceDir('fonts', 'POSTER_FONTS_DIR', 'fonts.json');
  if (!found) throw new FontError('The bundled font list (resources/fonts/fonts.json) is missing; reinstall the app.');
  return found;
}

function readManifest(dir: string): ManifestEntry[] {
  return (JSON.parse(readFileSync(path.join(dir, 'fonts.json'), 'utf8')) as { fonts: ManifestEntry[] }).fonts;
}

function bundledFile(dir: string, e: ManifestEntry): string {
  const packaged = path.join(dir, path.basename(e.file));
  if (existsSync(packaged)) return packaged;
  return path.join(path.dirname(requireHere.resolve(`${e.package}/package.json`)), e.file);
}

export class FontLibrary {
  private readonly dir = bundledFontsDir();
  private readonly manifest = readManifest(this.dir);

  constructor(private readonly userDir: string) {}

  async list(): Promise<FontInfo[]> {
    const out: FontInfo[] = [];
    for (const e of this.manifest) {
      const st = await fsp.stat(bundledFile(this.dir, e)).catch(() => null);
      if (st)
        out.push({ id: e.id, family: e.family, weight: e.weight, italic: e.italic, script: e.script, source: 'bundled', bytes: st.size });
    }
    const names = await fsp.readdir(this.userDir).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.endsWith('.json'))) {
      try {
        const meta = JSON.parse(await fsp.readFile(path.join(this.userDir, n), 'utf8')) as FontInfo;
        out.push({ ...meta, source: 'user' });
      } catch {
        // A damaged entry is skipped; the font file itself stays on disk.
      }
    }
    return out;
  }

  async read(id: string): Promise<Uint8Array> {
    const e = this.manifest.find((m) => m.id === id);
    if (e) return new Uint8Array(await fsp.readFile(bundledFile(this.dir, e)));
    if (!/^user-[0-9a-f]{16}$/.test(id)) throw new FontError(`No font ${id}.`);
    try {
      return new Uint8Array(await fsp.readFile(path.join(this.userDir, `${id}.font`)));
    } catch {
      throw new FontError(`Font ${id} is missing from ${this.userDir}.`);
    }
  }

  /** Checks and stores a font the user picked. The family name comes from the font itself. */
  async add(fileName: string, bytes: Uint8Array): Promise<FontInfo> {
    sniffFont(bytes);
    const id = `user-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
    const probe = new FontFace({ id, family: 'probe', weight: 400, italic: false, script: 'latin' }, bytes);
    const family = fileName.replace(/\.(ttf|otf|ttc)$/i, '').replace(/[-_](regular|bold|italic|medium|light)$/i, '') || 'Custom font';
    const bold = /bold|black|heavy/i.test(fileName);
    const script: FontMeta['script'] = probe.has(0x4e00) && probe.has(0x4e2d) ? 'cjk' : 'latin';
    const info: FontInfo = {
      id,
      family,
      weight: bold ? 700 : 400,
      italic: /italic/i.test(fileName),
      script,
      source: 'user',
      bytes: bytes.length,
    };
    await fsp.mkdir(this.userDir, { recursive: true });
    await atomicWrite(path.join(this.userDir, `${id}.font`), bytes);
    await atomicWrite(path.join(this.userDir, `${id}.json`), new TextEncoder().encode(JSON.stringify(info)));
    return info;
  }

  /** A registry with every available face loaded (for headless layout and export). */
  async registry(ids?: string[]): Promise<FontRegistry> {
    const reg = new FontRegistry();
    for (const f of await this.list()) {
      if (ids && !ids.includes(f.id)) continue;
      reg.add({ id: f.id, family: f.family, weight: f.weight, italic: f.italic, script: f.script }, await this.read(f.id));
    }
    return reg;
  }
}
