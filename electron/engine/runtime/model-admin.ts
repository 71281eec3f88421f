/**
 * What the model manager needs beyond running jobs: a model's stored precision, the engine's
 * persisted settings (memory budgets, which models were verified), removing the files of a model
 * the user imported. (The plan a model manager shows is EngineService.plan, the executor's own.)
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../model/checks.js';
import { SafetensorsReader } from '../model/safetensors.js';
import { type ModelManifest, manifestFiles } from '../model/schema.js';
import type { Precision } from '../plan/index.js';

export interface EngineSettings {
  /** RAM the engine may use, in bytes; null: measured free memory minus a reserve. */
  ramBudgetBytes: number | null;
  /** GPU memory the engine may use, in bytes; null: measured (NVIDIA) or no GPU. */
  gpuBudgetBytes: number | null;
  /** Model folder -> last successful verification. */
  verified: Record<string, { level: 'fast' | 'full'; at: string }>;
}

const EMPTY: EngineSettings = { ramBudgetBytes: null, gpuBudgetBytes: null, verified: {} };

export class SettingsFile {
  private cached: EngineSettings | undefined;
  constructor(private readonly file: string) {}

  async read(): Promise<EngineSettings> {
    if (this.cached) return this.cached;
    let out: EngineSettings = { ...EMPTY, verified: {} };
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as Partial<EngineSettings>;
      const bytes = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);
      out = {
        ramBudgetBytes: bytes(raw.ramBudgetBytes),
        gpuBudgetBytes: bytes(raw.gpuBudgetBytes),
        verified: raw.verified && typeof raw.verified === 'object' ? raw.verified : {},
      };
    } catch {
      // no settings yet, or a damaged file: the defaults apply and the next write replaces it
    }
    this.cached = out;
    return out;
  }

  async update(change: (s: EngineSettings) => void): Promise<EngineSettings> {
    const s = structuredClone(await this.read());
    change(s);
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(s, null, 2));
    this.cached = s;
    return s;
  }
}

const PRECISION: Record<string, Precision> = { F32: 'fp32', F64: 'fp32', F16: 'fp16', BF16: 'bf16', I8: 'int8', U8: 'int8' };

/** The dtype most of the transformer's weight bytes are stored in, as a plan precision. */
export async function storedPrecision(dir: string, m: ModelManifest): Promise<Precision> {
  const bytesBy = new Map<string, number>();
  for (const f of m.components.transformer.files.filter((x) => x.path.endsWith('.safetensors'))) {
    try {
      for (const e of (await SafetensorsReader.open(join(dir, f.path))).entries())
        bytesBy.set(e.dtype, (bytesBy.get(e.dtype) ?? 0) + e.byteLength);
    } catch {
      // an unreadable file is the verifier's business; precision falls back below
    }
  }
  const top = [...bytesBy.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return (top && PRECISION[top]) || 'fp32';
}

/**
 * Deletes exactly the files the manifest lists plus the files the importer wrote, then the
 * folders left empty. Anything else the user keeps in that folder stays.
 */
export async function deleteModelFiles(dir: string, m: ModelManifest): Promise<number> {
  let removed = 0;
  const files = [...manifestFiles(m).map((f) => f.path), 'model.json'];
  for (const rel of files) {
    const full = join(dir, rel);
    if (relative(dir, full).startsWith('..')) continue;
    try {
      await unlink(full);
      removed += 1;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  // Folders deepest first; rmdir refuses a folder that still holds something, which is what we want.
  const dirs = new Set<string>();
  for (const rel of files) for (let d = dirname(join(dir, rel)); d.startsWith(dir + sep); d = dirname(d)) dirs.add(d);
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await rmdir(d).catch(() => {});
  if (existsSync(dir) && (await readdir(dir)).length === 0) await rmdir(dir).catch(() => {});
  return removed;
}
