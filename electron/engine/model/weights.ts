/**
 * One model component's weights: a single `*.safetensors` file or the shards named by a
 * `*.safetensors.index.json` weight map.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError } from './errors.js';
import { SafetensorsReader, type TensorEntry } from './safetensors.js';

export class WeightSet {
  private constructor(
    readonly dir: string,
    private readonly byName: Map<string, SafetensorsReader>,
    readonly files: string[],
  ) {}

  static async open(root: string, component: string): Promise<WeightSet> {
    const dir = join(root, component);
    if (!existsSync(dir)) throw new ModelError('missing-file', `${component}/ is missing from ${root}. Copy the whole model folder again.`);
    const names = await readdir(dir);
    const index = names.find((n) => n.endsWith('.safetensors.index.json'));
    const byName = new Map<string, SafetensorsReader>();
    const files: string[] = [];
    if (index) {
      let map: Record<string, string>;
      try {
        map = (JSON.parse(await readFile(join(dir, index), 'utf8')) as { weight_map: Record<string, string> }).weight_map;
        if (!map || typeof map !== 'object') throw new Error('no weight_map');
      } catch (err) {
        throw new ModelError('bad-config', `${component}/${index} is not a valid shard index (${(err as Error).message}).`);
      }
      const shards = new Map<string, SafetensorsReader>();
      for (const shard of new Set(Object.values(map))) {
        const path = join(dir, shard);
        if (!existsSync(path))
          throw new ModelError('missing-file', `${component}/${shard} is missing (named in ${index}). Copy the whole model folder again.`);
        shards.set(shard, await openShard(path, `${component}/${shard}`));
        files.push(`${component}/${shard}`);
      }
      for (const [tensor, shard] of Object.entries(map)) {
        const reader = shards.get(shard) as SafetensorsReader;
        if (!reader.get(tensor))
          throw new ModelError('missing-tensor', `${component}/${shard} lacks tensor ${tensor} that ${index} places there.`);
        byName.set(tensor, reader);
      }
    } else {
      const single = names.filter((n) => n.endsWith('.safetensors')).sort();
      if (!single.length)
        throw new ModelError('missing-file', `${component}/ has no .safetensors weights. Copy the whole model folder again.`);
      for (const f of single) {
        const reader = await openShard(join(dir, f), `${component}/${f}`);
        files.push(`${component}/${f}`);
        for (const e of reader.entries()) byName.set(e.name, reader);
      }
    }
    return new WeightSet(dir, byName, files);
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

  readFloat32(name: string): Promise<Float32Array> {
    const r = this.byName.get(name);
    if (!r) throw new ModelError('missing-tensor', `tensor ${name} is missing from ${this.dir}`);
    return r.readFloat32(name);
  }

  async close(): Promise<void> {
    for (const r of new Set(this.byName.values())) await r.close();
  }
}

async function openShard(path: string, label: string): Promise<SafetensorsReader> {
  try {
    return await SafetensorsReader.open(path);
  } catch (err) {
    const e = err as { code?: string; message: string };
    const code = e.code === 'truncated' ? 'truncated' : 'bad-header';
    const hint =
      code === 'truncated' ? 'The file is incomplete: download or copy it again.' : 'The file is damaged: download or copy it again.';
    throw new ModelError(code, `${label} cannot be read: ${e.message.replace(`${path}: `, '')}. ${hint}`);
  }
}
