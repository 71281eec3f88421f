// Builds the back end (services + handlers + dispatch) for a shell: Electron main, the web
// server, tests. No Electron imports.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppData } from '../store/app-data';
import { AssetStore } from '../store/asset-store';
import { FontLibrary } from '../store/font-library';
import { createDispatch, type Dispatch } from './dispatch';
import { createHandlers, type Handlers, type ShellServices } from './handlers';

export interface BackendOptions {
  dataDir?: string;
  projectsDir?: string;
  version?: string;
  shell: ShellServices;
  log?: (msg: string) => void;
}

export interface Backend {
  dispatch: Dispatch;
  handlers: Handlers;
  dataDir: string;
  projectsDir: string;
}

export function defaultDataDir(): string {
  return process.env.POSTER_DATA_DIR || path.join(os.homedir(), '.poster-studio');
}

export function defaultProjectsDir(): string {
  return process.env.POSTER_PROJECTS_DIR || path.join(os.homedir(), 'Posters');
}

export async function createBackend(opts: BackendOptions): Promise<Backend> {
  const dataDir = path.resolve(opts.dataDir ?? defaultDataDir());
  const projectsDir = path.resolve(opts.projectsDir ?? defaultProjectsDir());
  const appData = new AppData(dataDir);
  await appData.init();
  await fsp.mkdir(projectsDir, { recursive: true });
  const handlers = createHandlers({
    assets: new AssetStore(),
    fonts: new FontLibrary(path.join(dataDir, 'fonts')),
    appData,
    projectsDir,
    version: opts.version ?? '0.0.0',
    shell: opts.shell,
  });
  return { dispatch: createDispatch(handlers, opts.log ?? ((m) => console.error(m))), handlers, dataDir, projectsDir };
}
