// Runs the binary downloads of electron and onnxruntime-node that npm's allowScripts policy
// blocks (package.json denies their own install scripts). Offline, each download fails with a
// warning instead of failing `npm ci`; with a network, developers still get the binaries.
// Set POSTER_SKIP_DOWNLOADS=1 to skip both (CI does, to save time).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

const downloads = [
  {
    name: 'Electron binary',
    pkg: 'electron',
    script: 'install.js',
    skipEnv: 'ELECTRON_SKIP_BINARY_DOWNLOAD',
    consequence: '`npm start` (the desktop app) needs it; web mode and tests do not.',
  },
  {
    name: 'onnxruntime-node GPU providers',
    pkg: 'onnxruntime-node',
    script: 'script/install.js',
    skipEnv: 'ONNXRUNTIME_NODE_INSTALL',
    consequence: 'the CPU provider is bundled and works; CUDA acceleration will be missing.',
  },
];

function packageDir(pkg) {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return null;
  }
}

if (process.env.POSTER_SKIP_DOWNLOADS === '1') {
  console.log('postinstall: POSTER_SKIP_DOWNLOADS=1, skipping Electron and onnxruntime downloads');
  process.exit(0);
}

for (const d of downloads) {
  const dir = packageDir(d.pkg);
  if (!dir || !existsSync(path.join(dir, d.script))) continue;
  if (d.skipEnv === 'ONNXRUNTIME_NODE_INSTALL' && process.env[d.skipEnv] === 'skip') continue;
  if (d.skipEnv === 'ELECTRON_SKIP_BINARY_DOWNLOAD' && process.env[d.skipEnv] === '1') continue;
  const result = spawnSync(process.execPath, [d.script], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
    // onnxruntime's script exits early when it thinks it is its own repo; npm_package_json
    // points at our package here, so clear it.
    env: { ...process.env, npm_package_json: '' },
  });
  if (result.status !== 0) {
    const lines = (result.stderr || result.error?.message || '').split('\n');
    const why = lines.find((l) => /getaddrinfo|ENOTFOUND|EAI_AGAIN|ECONN|Error:/.test(l))?.trim();
    console.warn(`postinstall: warning: could not download the ${d.name} (${why || 'no network?'}).`);
    console.warn(`postinstall:   ${d.consequence} Re-run \`npm run postinstall\` when online.`);
  }
}
