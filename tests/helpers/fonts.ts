// The bundled fonts as a layout registry, loaded once per test file.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FontRegistry } from '../../core/typeset/font';
import { FontLibrary } from '../../electron/store/font-library';

let cached: Promise<FontRegistry> | null = null;

/** Noto Sans SC, Noto Serif SC, Inter and Source Serif 4, regular and bold. */
export function bundledRegistry(): Promise<FontRegistry> {
  cached ??= new FontLibrary(path.join(os.tmpdir(), 'poster-no-user-fonts')).registry();
  return cached;
}

/** The file of a bundled font (resources/fonts/fonts.json id), inside its npm package. */
export function bundledFontFile(id: string): string {
  const root = path.resolve(import.meta.dirname, '../..');
  const manifest = JSON.parse(readFileSync(path.join(root, 'resources/fonts/fonts.json'), 'utf8')) as {
    fonts: { id: string; package: string; file: string }[];
  };
  const f = manifest.fonts.find((m) => m.id === id);
  if (!f) throw new Error(`no bundled font ${id}`);
  return path.join(root, 'node_modules', f.package, f.file);
}
