/**
 * One model component's weights: a single `*.safetensors` file or the shards named by a
 * `*.safetensors.index.json` weight map. Only headers are read on open.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError } from './errors.js';
import { SafetensorsError, SafetensorsReader, type TensorEntry } from './safetensors.js';

/** The file names diffusers / transformers write, preferred when a folder holds variants too. */
const CANONICAL = ['diffusion_pytorch_model', 'model'];

function pickIndex(names: string[]): string | undefined {
  const all = names.filter((n) => n.endsWith('.safetensors.index.json')).sort();
  return CANONICAL.map((c) => `${c}.safetensors.index.json`).find((c) => all.includes(c)) ?? all[0];
}

function pickSingles(names: string[]): string[] {
  const all = names.filter((n) => n.endsWith('.safetensors') && !n.startsWith('.')).sort();
  const canonical = CANONICAL.map((c) => `${c}.safetensors`).find((c) => all.includes(c));
  return canonical ? [canonical] : all;
}

/** A shard name from an index must be a plain file name in the component folder. */
function safeShardName(name: unknown): name is string {
  return typeof name === 'string' && name.endsWith('.safetensors') && !/[/\\]/.test(name) && name !== '..' && !name.startsWith('.');
}

export class WeightSet {
  private constructor(
    /** The component folder. */
    readonly dir: string,
    readonly component: string,
    private readonly byName: Map<string, SafetensorsReader>,
    /** The weight files, relative to the model folder (`transformer/…safetensors`). */
    readonly files: string[],
  ) {}

  static async open(root: string, component: string): Promise<WeightSet> {
    const dir = join(root, component);
    if (!existsSync(dir)) throw new ModelError('missing-file', `${component}/ is missing from ${root}. Copy the whole model folder again.`);
    const names = await readdir(dir);
    const index = pickIndex(names);
    return index ? WeightSet.openIndexed(root, component, index) : WeightSet.openSingles(root, component, names);
  }

  private static async openIndexed(root: string, component: string, index: string): Promise<WeightSet> {
    const dir = join(root, component);
    let map: Record<string, unknown>;
    try {
      const parsed = JSON.parse(await readFile(join(dir, index), 'utf8')) as { weight_map?: unknown };
      if (!parsed.weight_map || typeof parsed.weight_map !== 'object' || Array.isArray(parsed.weight_map))
        throw new Error('it has no weight_map object');
      map = parsed.weight_map as Record<string, unknown>;
    } catch (err) {
      throw new ModelError(
        'bad-config',
        `${component}/${index} is not a valid shard index (${(err as Error).message}). Copy the whole model folder again.`,
      );
    }
    for (const [tensor, shard] of Object.entries(map)) {
      if (!safeShardName(shard))
        throw new ModelError(
          'bad-config',
          `${component}/${index} places tensor ${tensor} in ${JSON.stringify(shard)}, which is not a shard file name.`,
        );
    }
    const shardNames = [...new Set(Object.values(map) as string[])].sort();
    for (const shard of shardNames) {
      if (!existsSync(join(dir, shard)))
        throw new ModelError('missing-file', `${component}/${shard} is missing (named in ${index}). Copy the whole model folder again.`);
    }
    const shards = new Map<string, SafetensorsReader>();
    for (const shard of shardNames) shards.set(shard, await openShard(join(dir, shard), `${component}/${shard}`));
    const byName = new Map<string, SafetensorsReader>();
    for (const [tensor, shard] of Object.entries(map) as [string, string][]) {
      const reader = shards.get(shard) as SafetensorsReader;
      if (!reader.get(tensor))
        throw new ModelError(
          'missing-tensor',
          `${component}/${shard} lacks tensor ${tensor}, which ${index} places there. The shard is from another model or version: copy the whole model folder again.`,
        );
      byName.set(tensor, reader);
    }
    return new WeightSet(
      dir,
      component,
      byName,
      shardNames.map((s) => `${component}/${s}`),
    );
  }

  private static async openSingles(root: string, component: string, names: string[]): Promise<WeightSet> {
    const dir = join(root, component);
    const singles = pickSingles(names);
    if (!singles.length)
      throw new ModelError('missing-file', `${component}/ has no .safetensors weights. Copy the whole model folder again.`);
    const byName = new Map<string, SafetensorsReader>();
    for (const f of singles) {
      const reader = await openShard(join(dir, f), `${component}/${f}`);
      for (const e of reader.entries()) {
        const other = byName.get(e.name);
        if (other)
          throw new ModelError(
            'bad-config',
            `${component}: tensor ${e.name} is in both ${basenameOf(other.path)} and ${f}; without an index file it is unclear which to use. Remove the extra file.`,
          );
        byName.set(e.name, reader);
      }
    }
    return new WeightSet(
      dir,
      component,
      byName,
      singles.map((s) => `${component}/${s}`),
    );
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): TensorEntry | undefined {
    return this.byName.get(name)?.get(name);
  }

  shape(name: string): number[] | undefined {
    return this.entry(name)?.shape;
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const r = this.byName.get(name);
    if (!r) throw new ModelError('missing-tensor', `${this.component}: tensor ${name} is missing from the weights in ${this.dir}.`);
    try {
      return await r.readFloat32(name);
    } catch (err) {
      throw asModelError(err, r.path, `${this.component}/${basenameOf(r.path)}`);
    }
  }

  async close(): Promise<void> {
    for (const r of new Set(this.byName.values())) await r.close();
  }
}

function basenameOf(path: string): string {
  return path.split(/[/\\]/).pop() ?? path;
}

function asModelError(err: unknown, path: string, label: string): unknown {
  if (!(err instanceof SafetensorsError)) return err;
  const code = err.code === 'truncated' ? 'truncated' : 'bad-header';
  const hint =
    code === 'truncated'
      ? 'The file is incomplete: copy or download it again.'
      : 'The file is damaged or not a safetensors file: copy or download it again.';
  const detail = err.message.replace(`${path}: `, '');
  return new ModelError(code, `${label} ${code === 'truncated' ? 'is truncated' : 'cannot be read'}: ${detail}. ${hint}`);
}

async function openShard(path: string, label: string): Promise<SafetensorsReader> {
  try {
    return await SafetensorsReader.open(path);
  } catch (err) {
    throw asModelError(err, path, label);
  }
}
