// `poster`: the headless side of the app. Renders a project or a bundled template to a
// print-ready PDF with the same typesetter and fonts the editor uses.
//   poster render <project.poster | template.json | template name> --out FILE.pdf [--crop-marks] [--outline-text]
//     [--cmyk [--icc FILE] [--intent perceptual|relative] [--ink-limit PCT]]
//   poster templates
import { existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyFields, fieldNames, parseCsv } from '../../core/document/fields';
import type { PosterDocument } from '../../core/document/schema';
import { parseDocumentJson } from '../../core/document/validate';
import { preflight, summarise } from '../../core/preflight';
import { type CmykSetup, loadCmykSetup, PDFX_NOTE } from '../export/cmyk';
import { layoutOf, renderPdf } from '../export/pdf';
import { renderRaster } from '../export/raster';
import { writeSvg } from '../export/svg';
import { atomicWrite } from '../store/atomic';
import { FontLibrary } from '../store/font-library';
import { type AssetBytes, readProjectFile } from '../store/project-file';
import { resourceDir } from '../store/resources';
import { GENERATE_USAGE, GenerateUsageError, generateCommand } from './generate';
import { slotFiller } from './image-slots';
import { PLAN_USAGE, PlanUsageError, planCommand } from './plan';

export function templatesDir(): string {
  const found = resourceDir('templates', 'POSTER_TEMPLATES_DIR');
  if (!found) throw new Error('The bundled templates (resources/templates) are missing; reinstall the app.');
  return found;
}

class UsageError extends Error {}

const USAGE = `Usage:
  poster render <project.poster | template> --out FILE.pdf|.png|.jpg|.svg [--dpi N] [--set field=value ...] [--crop-marks] [--outline-text] [--seed N] [--no-generate]
      [--cmyk [--icc FILE.icc] [--intent perceptual|relative] [--ink-limit PCT]]   (PDF only)
  poster render <template> --csv rows.csv --out-dir DIR   (one PDF per row; a "file" column names them)
  poster templates
  ${GENERATE_USAGE}
  ${PLAN_USAGE}`;

function parseArgs(argv: string[]) {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const sets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--out') {
      const v = argv[++i];
      if (!v) throw new UsageError('--out needs a file name');
      flags.set('out', v);
    } else if (a === '--set') {
      const v = argv[++i];
      if (!v?.includes('=')) throw new UsageError('--set needs field=value');
      sets.push(v);
    } else if (a === '--csv' || a === '--out-dir') {
      const v = argv[++i];
      if (!v) throw new UsageError(`${a} needs a path`);
      flags.set(a.slice(2), v);
    } else if (a === '--icc') {
      const v = argv[++i];
      if (!v) throw new UsageError('--icc needs a CMYK .icc profile file');
      flags.set('icc', v);
    } else if (a === '--intent') {
      const v = argv[++i];
      if (v !== 'perceptual' && v !== 'relative') throw new UsageError('--intent needs perceptual or relative');
      flags.set('intent', v);
    } else if (a === '--ink-limit') {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 100 || v > 400) throw new UsageError('--ink-limit needs a total ink percentage from 100 to 400');
      flags.set('ink-limit', String(v));
    } else if (a === '--cmyk') flags.set('cmyk', true);
    else if (a === '--dpi') {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v)) throw new UsageError('--dpi needs a number');
      flags.set('dpi', String(v));
    } else if (a === '--seed') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw new UsageError('--seed needs an integer from 0 to 4294967295');
      flags.set('seed', String(v));
    } else if (a === '--no-generate') flags.set('no-generate', true);
    else if (a === '--crop-marks') flags.set('crop-marks', true);
    else if (a === '--outline-text') flags.set('outline-text', true);
    else if (a.startsWith('--')) throw new UsageError(`Unknown option ${a}`);
    else positional.push(a);
  }
  return { positional, flags, sets };
}

async function loadSource(input: string): Promise<{ doc: ReturnType<typeof parseDocumentJson>; assets: Map<string, AssetBytes> }> {
  let file = input;
  if (!existsSync(file)) {
    const named = path.join(templatesDir(), `${input.replace(/\.json$/, '')}.json`);
    if (!existsSync(named)) throw new UsageError(`No project or template "${input}". Run \`poster templates\` for the bundled ones.`);
    file = named;
  }
  if (file.endsWith('.json')) return { doc: parseDocumentJson(readFileSync(file, 'utf8')), assets: new Map() };
  const contents = await readProjectFile(path.resolve(file));
  return { doc: contents.document, assets: contents.assets };
}

export async function main(argv: string[], log: (s: string) => void = console.log): Promise<number> {
  if (argv[0] === 'generate') {
    try {
      return await generateCommand(argv.slice(1), log);
    } catch (e) {
      if (e instanceof GenerateUsageError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (argv[0] === 'plan') {
    try {
      return await planCommand(argv.slice(1), log);
    } catch (e) {
      if (e instanceof PlanUsageError) throw new UsageError(e.message);
      throw e;
    }
  }
  const { positional, flags, sets } = parseArgs(argv);
  const [command, input] = positional;
  if (command === 'templates') {
    for (const f of readdirSync(templatesDir()).filter((n) => n.endsWith('.json'))) {
      const doc = parseDocumentJson(readFileSync(path.join(templatesDir(), f), 'utf8'));
      const p = doc.pages[0];
      log(`${f.replace(/\.json$/, '').padEnd(18)} ${doc.title}  (${p?.width} × ${p?.height} mm)`);
      log(`${''.padEnd(18)} fields: ${fieldNames(doc).join(', ') || '(none)'}`);
    }
    return 0;
  }
  if (command !== 'render' || !input) throw new UsageError(USAGE);
  const csv = flags.get('csv');
  const out = flags.get('out');
  const outDir = flags.get('out-dir');
  if (typeof csv === 'string') {
    if (typeof outDir !== 'string') throw new UsageError('--csv needs --out-dir DIR.');
  } else if (typeof out !== 'string' || !/\.(pdf|png|jpe?g|svg)$/i.test(out)) {
    throw new UsageError('--out FILE.pdf|.png|.jpg|.svg is required.');
  }
  const wantsCmyk = flags.has('cmyk') || flags.has('icc') || flags.has('intent') || flags.has('ink-limit');
  if (wantsCmyk && typeof out === 'string' && !/\.pdf$/i.test(out)) throw new UsageError('--cmyk works with PDF output only.');
  // The profile is checked before anything renders, so a bad one leaves no file behind.
  const cmyk: CmykSetup | undefined = wantsCmyk
    ? await loadCmykSetup(
        flags.get('icc') as string | undefined,
        (flags.get('intent') as 'perceptual' | 'relative' | undefined) ?? 'perceptual',
        flags.has('ink-limit') ? Number(flags.get('ink-limit')) : undefined,
      )
    : undefined;
  const values: Record<string, string> = {};
  for (const s of sets) {
    const at = s.indexOf('=');
    values[s.slice(0, at)] = s.slice(at + 1);
  }
  const { doc: loaded, assets } = await loadSource(input);
  const library = new FontLibrary(path.join(process.env.POSTER_DATA_DIR || path.join(os.homedir(), '.poster-studio'), 'fonts'));
  const families = [...new Set((await library.list()).map((f) => f.family))];
  const registry = await library.registry();
  const fontBytes = new Map<string, Uint8Array>();
  for (const f of await library.list()) fontBytes.set(f.id, await library.read(f.id));
  const options = { cropMarks: flags.has('crop-marks'), outlineText: flags.has('outline-text'), cmyk: cmyk?.options };

  const slots = flags.has('no-generate') ? undefined : slotFiller({ seed: flags.has('seed') ? Number(flags.get('seed')) : undefined, log });
  const renderOne = async (source: PosterDocument, target: string) => {
    const t0 = Date.now();
    const doc = slots ? await slots.fill(source, assets) : source;
    const isPdf = !/\.(png|jpe?g|svg)$/i.test(target);
    const findings = preflight(doc, {
      families,
      textOverflows: (el) => layoutOf(el, registry).overflow,
      cmyk: isPdf ? cmyk?.preflight : undefined,
    });
    log(summarise(findings));
    for (const f of findings) log(`  ${f.severity === 'error' ? 'ERROR  ' : f.severity === 'info' ? 'info   ' : 'warning'} ${f.message}`);
    const sources = { registry, fontBytes: (id: string) => fontBytes.get(id) as Uint8Array, asset: (sha: string) => assets.get(sha) };
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const page = doc.pages[0];
    if (/\.(png|jpe?g)$/i.test(target)) {
      const dpi = Number(flags.get('dpi') ?? 300);
      let shown = -1;
      const size = await renderRaster(doc, sources, target, {
        dpi,
        format: /\.png$/i.test(target) ? 'png' : 'jpeg',
        onProgress: (done, total) => {
          const pct = Math.floor((done / total) * 10) * 10;
          if (pct !== shown && total > 2000) log(`  ${pct}%`);
          shown = pct;
        },
      });
      const kb = (await fsp.stat(target)).size / 1024;
      log(
        `Wrote ${target} (${size.width} × ${size.height} px at ${dpi} dpi, page with bleed, ${kb.toFixed(0)} KB) in ${((Date.now() - t0) / 1000).toFixed(1)} s.`,
      );
      return;
    }
    if (/\.svg$/i.test(target)) {
      const size = await writeSvg(doc, sources, target, { outlineText: options.outlineText });
      const b = page?.bleed ?? 0;
      log(
        `Wrote ${target} (${(size / 1024).toFixed(0)} KB; ${(page?.width ?? 0) + 2 * b} × ${(page?.height ?? 0) + 2 * b} mm with ${b} mm bleed, ${options.outlineText ? 'text as outlines' : 'fonts subset and embedded'}) in ${((Date.now() - t0) / 1000).toFixed(1)} s.`,
      );
      return;
    }
    const bytes = await renderPdf(doc, sources, options);
    await atomicWrite(target, bytes);
    const colour = cmyk ? `, CMYK with ${cmyk.name}, ${cmyk.options.intent} intent, ${PDFX_NOTE}` : '';
    const extras = `${options.cropMarks ? ', crop marks' : ''}${options.outlineText ? ', text as outlines' : ''}${colour}`;
    log(
      `Wrote ${target} (${(bytes.length / 1024).toFixed(0)} KB; trim ${page?.width} × ${page?.height} mm, bleed ${page?.bleed} mm${extras}) in ${((Date.now() - t0) / 1000).toFixed(1)} s.`,
    );
  };

  try {
    return await renderAll();
  } finally {
    await slots?.dispose();
  }

  async function renderAll(): Promise<number> {
    if (typeof csv !== 'string') {
      log(`Rendering "${loaded.title}" (${loaded.pages.length} page${loaded.pages.length > 1 ? 's' : ''})…`);
      await renderOne(applyFields(loaded, values), path.resolve(out as string));
      return 0;
    }
    // A batch: one PDF per CSV row; a failed row is reported and the others still render.
    const rows = parseCsv(await fsp.readFile(csv, 'utf8'));
    const [header, ...data] = rows;
    if (!header || data.length === 0) throw new UsageError(`${csv} needs a header row of field names and at least one row.`);
    const nameCol = header.indexOf('file');
    let failed = 0;
    for (const [i, row] of data.entries()) {
      const rowValues: Record<string, string> = { ...values };
      header.forEach((h, k) => {
        if (k !== nameCol && h.trim()) rowValues[h.trim()] = row[k] ?? '';
      });
      const base = (nameCol >= 0 && row[nameCol]?.trim()) || `${String(i + 1).padStart(3, '0')}`;
      const target = path.resolve(outDir as string, `${base.replace(/[\\/:*?"<>|]/g, '_')}.pdf`);
      log(`[${i + 1}/${data.length}] ${path.basename(target)}`);
      try {
        await renderOne(applyFields(loaded, rowValues), target);
      } catch (e) {
        failed++;
        log(`  row ${i + 2} failed: ${(e as Error).message}`);
      }
    }
    log(`${data.length - failed} of ${data.length} rendered${failed ? `, ${failed} failed` : ''}.`);
    return failed ? 1 : 0;
  }
}

const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`poster: ${(e as Error).message}`);
      if (e instanceof UsageError) console.error(USAGE);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
