// The bundled fonts as a layout registry, loaded once per test file.
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
