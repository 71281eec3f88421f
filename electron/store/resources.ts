// Where the app's bundled resources are: beside the packaged app (process.resourcesPath), or in
// the source tree's resources/ folder (development, tests, the CLI), or an override by env var.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The first existing `resources/<name>` folder that contains `marker` (or exists, without one). */
export function resourceDir(name: string, envOverride: string, marker?: string): string | null {
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [
    process.env[envOverride],
    packaged && path.join(packaged, name),
    // Source files live two folders below the root; built bundles (out/main) too.
    path.resolve(here, '../../resources', name),
    path.resolve(here, '../../../resources', name),
    path.resolve(process.cwd(), 'resources', name),
  ].filter((p): p is string => Boolean(p));
  return candidates.find((d) => existsSync(marker ? path.join(d, marker) : d)) ?? null;
}

/** The bundled default model folder (native-models/default in the source tree, resources/models/default when packaged). */
export function bundledModelDir(): string | null {
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [
    process.env.POSTER_MODEL,
    packaged && path.join(packaged, 'models', 'default'),
    path.resolve(here, '../../native-models/default'),
    path.resolve(here, '../../../native-models/default'),
    path.resolve(process.cwd(), 'native-models/default'),
  ].filter((p): p is string => Boolean(p));
  return candidates.find((d) => existsSync(path.join(d, 'model.json')) || existsSync(path.join(d, 'model_index.json'))) ?? null;
}
