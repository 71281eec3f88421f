// `poster`: the headless side of the app. Renders a project or a bundled template to a
// print-ready PDF with the same typesetter and fonts the editor uses.
//   poster render <project.poster | template.json | template name> --out FILE.pdf [--crop-marks] [--outline-text]
//   poster templates
import { existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocumentJson } from '../../core/document/validate';
import { preflight, summarise } from '../../core/preflight';
import { renderPdf } from '../export/pdf';
import { atomicWrite } from '../store/atomic';
import { FontLibrary } from '../store/font-library';
import { type AssetBytes, readProjectFile } from '../store/project-file';
import { resourceDir } from '../store/resources';

export function templatesDir(): string {
  const found = resourceDir('templates', 'POSTER_TEMPLATES_DIR');
  if (!found) throw new Error('The bundled templates (resources/templates) are missing; reinstall the app.');
  return found;
}

class UsageError extends Error {}

const USAGE = `Usage:
  poster render <project.poster | template> --out FILE.pdf [--crop-marks] [--outline-text]
  poster templates`;

function parseArgs(argv: string[]) {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--out') {
      const v = argv[++i];
      if (!v) throw new UsageError('--out needs a file name');
      flags.set('out', v);
    } else if (a === '--crop-marks') flags.set('crop-marks', true);
    else if (a === '--outline-text') flags.set('outline-text', true);
    else if (a.startsWith('--')) throw new UsageError(`Unknown option ${a}`);
    else positional.push(a);
  }
  return { positional, flags };
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
  const { positional, flags } = parseArgs(argv);
  const [command, input] = positional;
  if (command === 'templates') {
    for (const f of readdirSync(templatesDir()).filter((n) => n.endsWith('.json'))) {
      const doc = parseDocumentJson(readFileSync(path.join(templatesDir(), f), 'utf8'));
      const p = doc.pages[0];
      log(
        `${f.replace(/\.json$/, '').padEnd(24)} ${doc.title}  (${p?.width} × ${p?.height} mm, ${doc.pages.length} page${doc.pages.length > 1 ? 's' : ''})`,
      );
    }
    return 0;
  }
  if (command !== 'render' || !input) throw new UsageError(USAGE);
  const out = flags.get('out');
  if (typeof out !== 'string' || !out.toLowerCase().endsWith('.pdf')) throw new UsageError('--out FILE.pdf is required (PDF output).');
  const t0 = Date.now();
  const { doc, assets } = await loadSource(input);
  const library = new FontLibrary(path.join(process.env.POSTER_DATA_DIR || path.join(os.homedir(), '.poster-studio'), 'fonts'));
  const findings = preflight(doc, { families: [...new Set((await library.list()).map((f) => f.family))] });
  log(summarise(findings));
  for (const f of findings) log(`  ${f.severity === 'error' ? 'ERROR  ' : 'warning'} ${f.message}`);
  log(`Rendering "${doc.title}" (${doc.pages.length} page${doc.pages.length > 1 ? 's' : ''})…`);
  const registry = await library.registry();
  const fontBytes = new Map<string, Uint8Array>();
  for (const f of await library.list()) fontBytes.set(f.id, await library.read(f.id));
  const bytes = await renderPdf(
    doc,
    {
      registry,
      fontBytes: (id) => fontBytes.get(id) as Uint8Array,
      asset: (sha) => assets.get(sha),
    },
    { cropMarks: flags.has('crop-marks'), outlineText: flags.has('outline-text') },
  );
  const target = path.resolve(out);
  await fsp.mkdir(path.dirname(target), { recursive: true });
  await atomicWrite(target, bytes);
  const page = doc.pages[0];
  log(
    `Wrote ${target} (${(bytes.length / 1024).toFixed(0)} KB; trim ${page?.width} × ${page?.height} mm, bleed ${page?.bleed} mm${flags.has('crop-marks') ? ', crop marks' : ''}${flags.has('outline-text') ? ', text as outlines' : ''}) in ${((Date.now() - t0) / 1000).toFixed(1)} s.`,
  );
  return 0;
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
