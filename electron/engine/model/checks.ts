/** Shared steps of import and verification: reading JSON, hashing, tensor checks, atomic writes. */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { atomicWrite } from '../../store/atomic.js';
import { type ComponentName, expectedTensors, type TextEncoderConfig, type TransformerConfig, type VaeConfig } from './configs.js';
import { ModelError } from './errors.js';
import { ModelManifest } from './schema.js';
import { WeightSet } from './weights.js';

export async function readJson(dir: string, rel: string): Promise<unknown> {
  const path = join(dir, rel);
  if (!existsSync(path)) throw new ModelError('missing-file', `${rel} is missing from ${dir}. Copy the whole model folder again.`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ModelError('missing-file', `${rel} in ${dir} cannot be read (${(err as Error).message}).`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelError('bad-config', `${rel} in ${dir} is not valid JSON. Copy the whole model folder again.`);
  }
}

function zodDetail(err: unknown): string {
  const issues = (err as Partial<z.ZodError>).issues;
  if (!issues) return (err as Error).message;
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Runs a config parser; zod failures become a 'bad-config' ModelError naming the file and fields. */
export async function parseConfig<T>(rel: string, parse: () => T | Promise<T>, hint = 'Copy the whole model folder again.'): Promise<T> {
  try {
    return await parse();
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError('bad-config', `${rel} is not a valid config: ${zodDetail(err)}. ${hint}`);
  }
}

/** Streaming sha256 of one file; `onBytes` gets each chunk's size. */
export async function sha256File(path: string, onBytes?: (n: number) => void): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 2 ** 20 })) {
    const b = chunk as Buffer;
    h.update(b);
    onBytes?.(b.length);
  }
  return h.digest('hex');
}

/** The plain files of one sub-folder, as sorted relative paths (`vae/config.json`). */
export async function listFiles(dir: string, rel: string): Promise<string[]> {
  const abs = join(dir, rel);
  if (!existsSync(abs)) throw new ModelError('missing-file', `${rel}/ is missing from ${dir}. Copy the whole model folder again.`);
  return (await readdir(abs, { withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.startsWith('.') && !e.name.endsWith('.tmp'))
    .map((e) => `${rel}/${e.name}`)
    .sort();
}

/** The text encoder's tensor prefix: "model." or, in newer exports, "model.language_model.". */
export function textEncoderPrefix(set: WeightSet): string {
  return !set.has('model.embed_tokens.weight') && set.has('model.language_model.embed_tokens.weight') ? 'model.language_model.' : 'model.';
}

/** The tensors a component must have, for these configs. */
export function componentTensors(component: ComponentName, config: unknown, set: WeightSet): { name: string; shape: number[] }[] {
  if (component === 'transformer') return expectedTensors('transformer', config as TransformerConfig);
  if (component === 'vae') return expectedTensors('vae', config as VaeConfig);
  return expectedTensors('text_encoder', config as TextEncoderConfig, textEncoderPrefix(set));
}

/** Opens a component's weights (headers) and checks each needed tensor's presence and shape. */
export async function checkTensors(dir: string, component: ComponentName, config: unknown): Promise<void> {
  const set = await WeightSet.open(dir, component);
  try {
    for (const t of componentTensors(component, config, set)) {
      const shape = set.shape(t.name);
      if (!shape)
        throw new ModelError(
          'missing-tensor',
          `${component}: tensor ${t.name} is missing from ${set.files.join(', ')}. The weights do not match ${component}/config.json: copy the whole model folder again.`,
        );
      if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i]))
        throw new ModelError(
          'shape',
          `${component}: tensor ${t.name} has shape [${shape.join(', ')}] but ${component}/config.json implies [${t.shape.join(', ')}]. The weights and config come from different models.`,
        );
    }
  } finally {
    await set.close();
  }
}

/** Writes a file atomically: temp file in the same folder, fsync, rename. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await atomicWrite(path, new TextEncoder().encode(text));
}

/** Reads and validates model.json. */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const raw = await readJson(dir, 'model.json');
  return parseConfig('model.json', () => ModelManifest.parse(raw), 'Delete model.json and import the folder again.');
}
