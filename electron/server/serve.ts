// `npm run serve`: the back end and the built renderer in web mode on 127.0.0.1.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend } from '../api/backend';
import { startWebServer } from './web-server';

const here = path.dirname(fileURLToPath(import.meta.url));

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const port = Number(argValue('--port') ?? process.env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0-65535, got ${argValue('--port')}`);
  let server: Awaited<ReturnType<typeof startWebServer>> | undefined;
  const backend = await createBackend({
    emit: (event, payload) => server?.emit(event, payload),
    dataDir: argValue('--data-dir'),
    projectsDir: argValue('--projects-dir'),
    version: process.env.npm_package_version,
    shell: { transport: 'web' },
  });
  server = await startWebServer({
    dispatch: backend.dispatch,
    staticDir: argValue('--static') ?? path.resolve(here, '../renderer'),
    port,
    token: process.env.POSTER_TOKEN,
    log: (m) => console.error(m),
  });
  console.log('Poster Studio (web mode) is running. Open this address in a browser:');
  console.log(`  ${server.appUrl}`);
  console.log(`Projects are saved in ${backend.projectsDir}; app data in ${backend.dataDir}. Ctrl+C stops.`);
  const running = server;
  const stop = () => {
    void backend.engine.close();
    running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  console.error(`poster serve: ${(e as Error).message}`);
  process.exit(1);
});
