/**
 * Built graphs on disk. Each graph is written once as `<name>.onnx` plus `<name>.bin` (external
 * weights) under a folder keyed by the weights' hashes, the precision and the builder version,
 * so a second run (or a second app start) opens sessions without rebuilding.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { atomicWrite } from '../../store/atomic.js';
import type { GraphBuilder } from '../onnx/graph.js';
import { createOnProviders, type ProviderName } from './providers.js';

/** Bump when a graph builder's output changes, so stale caches are not reused. */
export const BUILDER_VERSION = 2;

export function cacheKey(parts: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify({ v: BUILDER_VERSION, parts }))
    .digest('hex')
    .slice(0, 24);
}

export interface SessionOptions {
  threads?: number;
  /** Execution providers in order of preference (see providers.ts); default CPU. */
  providers?: readonly ProviderName[];
  /**
   * Let onnxruntime pre-pack MatMul weights (default true). Packing copies a graph's weights
   * while the read ones are still held, so opening one costs twice its bytes for a moment, and
   * its results differ in the last bits from the unpacked kernel's.
   */
  prepack?: boolean;
}

export class GraphCache {
  constructor(readonly dir: string) {}

  pathOf(name: string): string {
    return join(this.dir, `${name}.onnx`);
  }

  has(name: string): boolean {
    return existsSync(this.pathOf(name));
  }

  /** Writes a built graph; the weights file lands before the model file that names it. */
  async write(name: string, graph: GraphBuilder): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const { model, data } = graph.build({ externalFile: `${name}.bin` });
    await atomicWrite(join(this.dir, `${name}.bin`), data ?? []);
    await atomicWrite(this.pathOf(name), model);
  }

  /** Builds and writes the graph when it is not cached yet. */
  async ensure(name: string, build: () => Promise<GraphBuilder>): Promise<void> {
    if (!this.has(name)) await this.write(name, await build());
  }

  /** Bytes of the graph's external weights file. */
  weightBytes(name: string): number {
    const p = join(this.dir, `${name}.bin`);
    return existsSync(p) ? statSync(p).size : 0;
  }

  /** Opens a session on a cached graph. */
  open(name: string, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
    return openSession(this.pathOf(name), opts);
  }

  /** Opens a session, building the graph first when it is not cached. */
  async session(name: string, build: () => Promise<GraphBuilder>, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
    if (!this.has(name)) await this.write(name, await build());
    try {
      return await openSession(this.pathOf(name), opts);
    } catch (err) {
      // A damaged cache entry is rebuilt once; the model folder itself is never touched.
      await rm(this.pathOf(name), { force: true });
      await this.write(name, await build());
      try {
        return await openSession(this.pathOf(name), opts);
      } catch {
        throw err;
      }
    }
  }
}

export function openSession(path: string, opts: SessionOptions): Promise<ort.InferenceSession> {
  return createOnProviders(path, opts.providers ?? ['cpu'], ortSessionOptions(opts));
}

/** The onnxruntime options every engine graph opens with (tests/engine/int8-memory.test.ts uses them too). */
export function ortSessionOptions(opts: SessionOptions): Omit<ort.InferenceSession.SessionOptions, 'executionProviders'> {
  return {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: opts.threads ?? 0,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Each session's arena keeps the chunks of its largest run for the session's life; with one
    // session per block group that was ~40 MiB over the weights on a 300 MB model (measured,
    // tests/engine/offload-memory.test.ts). Plain malloc gives the memory back after each run.
    enableCpuMemArena: false,
    ...(opts.prepack === false ? { extra: { session: { disable_prepacking: '1' } } } : {}),
  };
}

export function f32Tensor(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

/** Runs a session and returns the named float outputs' data. */
export async function run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const out = await session.run(feeds);
  const result: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(out)) result[k] = v.data as Float32Array;
  return result;
}
