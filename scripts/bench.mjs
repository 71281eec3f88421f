// `npm run bench`: runs the benchmarks (not pass/fail tests) and leaves JSON in bench/results/.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const r = spawnSync(process.execPath, [path.join(root, 'node_modules/.bin/vitest'), 'run', '--config', 'vitest.bench.config.ts'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
