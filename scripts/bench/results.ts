// Where every benchmark puts its figures: bench/results/<name>.json (git-ignored), and on stdout.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/** Writes `result` as bench/results/<name>.json and returns the path; prints it unless `quiet`. */
export function writeBenchResult(name: string, result: unknown, opts: { quiet?: boolean } = {}): string {
  const file = path.join(root, 'bench/results', `${name}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  const text = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(file, text);
  if (!opts.quiet) console.log(text.trimEnd());
  return file;
}
