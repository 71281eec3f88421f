// Builds the back end (services + handlers + dispatch) for a shell: Electron main, the web
// server, tests. No Electron imports.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiEventName, ApiEvents } from '../../core/api/contract';
import { EngineService } from '../engine/runtime/service';
import { encodePng } from '../export/png-stream';
import { AppData } from '../store/app-data';
import { AssetStore } from '../store/asset-store';
import { FontLibrary } from '../store/font-library';
import { bundledModelDir } from '../store/resources';
import { createDispatch, type Dispatch } from './dispatch';
import { createHandlers, type Handlers, type ShellServices } from './handlers';

export interface BackendOptions {
  dataDir?: string;
  projectsDir?: string;
  version?: string;
  shell: ShellServices;
  log?: (msg: string) => void;
  /** Pushes an event to the UI (set by the shell once its transport is up). */
  emit?: <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void;
  /** The bundled model folder; default: found next to the app. */
  bundledModel?: string | null;
}

export interface Backend {
  dispatch: Dispatch;
  handlers: Handlers;
  dataDir: string;
  projectsDir: string;
  engine: EngineService;
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
  const assets = new AssetStore();
  const engine = new EngineService({
    dataDir: path.join(dataDir, 'engine'),
    bundledModel: opts.bundledModel === undefined ? bundledModelDir() : opts.bundledModel,
    encodePng: (rgb, w, h, text) => encodePng(rgb, w, h, { text }),
    storeImage: async (name, png) => assets.put(name, png),
    readImage: (sha256) => assets.get(sha256)?.bytes,
    emit: (e) => opts.emit?.('engine.job', e),
    emitModelProgress: (e) => opts.emit?.('engine.modelProgress', e),
  });
  const handlers = createHandlers({
    assets,
    engine,
    fonts: new FontLibrary(path.join(dataDir, 'fonts')),
    appData,
    projectsDir,
    version: opts.version ?? '0.0.0',
    shell: opts.shell,
  });
  return { dispatch: createDispatch(handlers, opts.log ?? ((m) => console.error(m))), handlers, dataDir, projectsDir, engine };
}
