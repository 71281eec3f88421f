// `npm run bench`: runs the benchmarks (not pass/fail tests) and leaves JSON in bench/results/.
// Names narrow it to some files: `node scripts/bench.mjs ui-generate renderer`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const r = spawnSync(process.execPath, [path.join(root, 'node_modules/.bin/vitest'), 'run', '--config', 'vitest.bench.config.ts', ...only], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
