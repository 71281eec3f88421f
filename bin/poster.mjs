#!/usr/bin/env node
// The `poster` command: runs the built CLI (npm run build makes out/main/poster.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../out/main/poster.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('poster: the app is not built yet; run `npm run build` first.');
  process.exit(1);
}
process.argv[1] = cli;
await import(cli);
