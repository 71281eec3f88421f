// electron-builder.yml: every path it names exists, its keys are ones electron-builder knows,
// and the native onnxruntime binaries it unpacks from the asar are really there.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');
const config = parse(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

/** A small glob matcher for electron-builder's patterns: `**` any depth, `*` within a name. */
function globToRegExp(glob: string): RegExp {
  const re = glob
    .split('**')
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('.*');
  return new RegExp(`^${re}$`);
}

describe('electron-builder.yml', () => {
  it('uses only configuration keys electron-builder knows', () => {
    const scheme = JSON.parse(readFileSync(path.join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8'));
    const unknown = Object.keys(config).filter((k) => !(k in scheme.properties));
    expect(unknown).toEqual([]);
  });

  it('targets Windows NSIS, macOS dmg and Linux AppImage + deb', () => {
    expect(config.win.target.map((t: { target: string }) => t.target)).toContain('nsis');
    expect(config.mac.target.map((t: { target: string }) => t.target)).toContain('dmg');
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
  });

  it('names only paths that exist', () => {
    const named: string[] = [config.directories.buildResources, config.win.icon, config.mac.icon, config.linux.icon];
    for (const r of config.extraResources) named.push(r.from);
    for (const p of named) {
      const full = path.join(root, p);
      expect(existsSync(full), `${p} is named in electron-builder.yml but missing`).toBe(true);
      if (statSync(full).isDirectory()) expect(filesUnder(full).length, `${p} is empty`).toBeGreaterThan(0);
    }
  });

  it('ships every bundled font file and its licence', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'resources/fonts/fonts.json'), 'utf8'));
    const shipped = new Set<string>();
    for (const r of config.extraResources) {
      if (r.to !== 'fonts' || !Array.isArray(r.filter)) continue;
      for (const f of r.filter) {
        expect(existsSync(path.join(root, r.from, f)), `${r.from}/${f}`).toBe(true);
        shipped.add(f);
      }
    }
    for (const font of manifest.fonts) {
      expect(shipped.has(path.basename(font.file)), `${font.id} is not copied into the app`).toBe(true);
      const licence = readFileSync(path.join(root, 'resources/fonts', font.license), 'utf8');
      expect(licence).toContain('SIL Open Font License');
    }
  });

  it('unpacks onnxruntime-node native binaries from the asar', () => {
    const patterns: string[] = config.asarUnpack;
    const binDir = path.join(root, 'node_modules/onnxruntime-node/bin');
    const natives = filesUnder(binDir)
      .map((f) => path.relative(root, f).split(path.sep).join('/'))
      .filter((f) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(f));
    expect(natives.length).toBeGreaterThan(0);
    for (const f of natives)
      expect(
        patterns.some((g) => globToRegExp(g).test(f)),
        `${f} would stay inside the asar`,
      ).toBe(true);
  });

  it('packages the built app and its entry points', () => {
    expect(config.files).toContain('out/**');
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('out/main/index.js');
    // The preload the main process loads is the one electron-vite builds (CommonJS for the sandbox).
    const main = readFileSync(path.join(root, 'electron/main/index.ts'), 'utf8');
    expect(main).toContain("'../preload/index.cjs'");
    const vite = readFileSync(path.join(root, 'electron.vite.config.ts'), 'utf8');
    expect(vite).toContain("entryFileNames: '[name].cjs'");
  });
});
