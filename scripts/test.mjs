// `npm test`: typecheck, lint, build the app, run every suite (unit, API, end-to-end) and end
// with one line counting them all: "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts }).status ?? 1;
const npx = (args) => run(process.execPath, [path.join(root, 'node_modules/.bin', args[0]), ...args.slice(1)]);

let stepsFailed = 0;
const step = (name, status) => {
  if (status !== 0) {
    console.error(`\n${name} failed (exit ${status})`);
    stepsFailed += 1;
  }
};

step('typecheck (core)', npx(['tsc', '-p', 'tsconfig.core.json', '--noEmit']));
step('typecheck (node)', npx(['tsc', '-p', 'tsconfig.json', '--noEmit']));
step('typecheck (renderer)', npx(['tsc', '-p', 'tsconfig.web.json', '--noEmit']));
step('typecheck (browser tests)', npx(['tsc', '-p', 'tsconfig.e2e.json', '--noEmit']));
step('lint', npx(['biome', 'check', '.']));
step('build', npx(['electron-vite', 'build']));

const outDir = path.join(root, '.tmp');
mkdirSync(outDir, { recursive: true });
const report = path.join(outDir, 'vitest-report.json');
rmSync(report, { force: true });
rmSync(path.join(outDir, 'data'), { recursive: true, force: true });
const extra = process.argv.slice(2);
run(
  process.execPath,
  [path.join(root, 'node_modules/.bin/vitest'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
  {
    // App data (graph cache, recent files, user fonts) of the run goes under .tmp, not the user's home.
    env: { ...process.env, POSTER_DATA_DIR: process.env.POSTER_DATA_DIR ?? path.join(outDir, 'data') },
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  skipped = r.numPendingTests + (r.numTodoTests ?? 0);
  // A test file that fails to load counts as a failure even though it ran no tests.
  failed += r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
} catch {
  failed += 1;
  console.error('no test report was written');
}
failed += stepsFailed;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
