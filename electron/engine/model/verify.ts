/**
 * Verifying a folder against its model.json before use. 'fast' checks that every file is there
 * with its recorded size and that every needed tensor's header entry is in place with the right
 * shape; 'full' also re-hashes every byte. `openModel` imports a folder first when it has no
 * manifest.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkTensors, readManifest, sha256File } from './checks.js';
import { ModelError } from './errors.js';
import { importModel } from './import.js';
import { COMPONENTS, type ImportProgress, type LoadedModel, type ModelManifest, manifestFiles } from './schema.js';
import { WeightSet } from './weights.js';

export type VerifyLevel = 'fast' | 'full';

export async function verifyModel(dir: string, manifest: ModelManifest, level: VerifyLevel, onProgress?: ImportProgress): Promise<void> {
  const all = manifestFiles(manifest);
  for (const f of all) {
    const path = join(dir, f.path);
    if (!existsSync(path)) throw new ModelError('missing-file', `${f.path} is missing from ${dir}. Copy the whole model folder again.`);
    const size = (await stat(path)).size;
    if (size < f.bytes)
      throw new ModelError(
        'truncated',
        `${f.path} is truncated: it has ${size} of its ${f.bytes} bytes. The copy or download was interrupted: copy it again.`,
      );
    if (size !== f.bytes)
      throw new ModelError(
        'checksum',
        `${f.path} has ${size} bytes but model.json records ${f.bytes}. The file was replaced or damaged: copy it again.`,
      );
  }
  // Headers parse and every needed tensor is in place with the right shape.
  for (const c of COMPONENTS) await checkTensors(dir, c, manifest.components[c].config);
  if (level !== 'full') return;
  const total = all.reduce((s, f) => s + f.bytes, 0);
  let done = 0;
  for (const f of all) {
    const hash = await sha256File(join(dir, f.path), (n) => {
      done += n;
      onProgress?.(done, total, f.path);
    });
    if (hash !== f.sha256)
      throw new ModelError(
        'checksum',
        `${f.path} does not match its checksum (sha256 ${hash.slice(0, 12)}…, model.json records ${f.sha256.slice(0, 12)}…). The file is damaged: copy or download it again.`,
      );
  }
}

export interface OpenOptions {
  verify?: VerifyLevel;
  onProgress?: ImportProgress;
}

/** Opens a model folder for the engine, importing it first when it has no model.json. */
export async function openModel(dir: string, opts: OpenOptions = {}): Promise<LoadedModel> {
  if (!existsSync(dir)) throw new ModelError('missing-file', `model folder ${dir} does not exist.`);
  let manifest: ModelManifest;
  if (existsSync(join(dir, 'model.json'))) {
    manifest = await readManifest(dir);
    await verifyModel(dir, manifest, opts.verify ?? 'fast', opts.onProgress);
  } else {
    // A fresh import has just checked every tensor and hashed every byte.
    manifest = await importModel(dir, { onProgress: opts.onProgress });
  }
  return {
    dir,
    manifest,
    weights: (c) => WeightSet.open(dir, c),
    tokenizerDir: join(dir, 'tokenizer'),
  };
}
