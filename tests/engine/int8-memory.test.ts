// int8 weights stay int8 in memory (issue 7). A block group of a bench-size model (2 blocks,
// width 512) is built as int8 and opened, in a fresh Node process, with the options the engine
// opens every graph with. Opening must not copy or widen the weights: each session after the
// first adds well under a quarter of its weight file to the process's RSS. (With int8 stored as
// DequantizeLinear + MatMul, onnxruntime rewrote each pair into a heap copy of the weights while
// opening: about 1.2x the file per session; scripts/bench/int8-memory.ts.) The child runs with
// glibc's mmap and trim thresholds fixed so that memory freed by one session's run is not what
// the next session's weights land in (with them free, a copy would hide in it). Every session
// gives the same output.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBlocksGraph } from '../../electron/engine/graphs/transformer';
import { GraphCache, ortSessionOptions } from '../../electron/engine/pipeline/graph-cache';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { makeTinyQwenImage } from './tiny';

const MIB = 2 ** 20;
const root = join(import.meta.dirname, '../..');

/** Opens `n` sessions one after another, runs each once; prints RSS after each open and a hash of each output. */
const CHILD = `
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
const [pkg, file, optsJson, shapeJson, n] = process.argv.slice(2);
const ort = createRequire(pkg)('onnxruntime-node');
const { D, half } = JSON.parse(shapeJson);
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const [L, T] = [64, 8];
const wave = (len, k) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * k) * 0.5);
const t = (data, dims) => new ort.Tensor('float32', data, dims);
const feeds = { img: t(wave(L * D, 0.37), [1, L, D]), txt: t(wave(T * D, 0.11), [1, T, D]), mods: t(wave(24 * D, 0.05), [2, 12 * D]),
  rope_cos: t(new Float32Array((L + T) * half).fill(1), [L + T, half]), rope_sin: t(new Float32Array((L + T) * half), [L + T, half]),
  attn_bias: t(new Float32Array(L + T), [1, 1, 1, L + T]) };
const opts = { ...JSON.parse(optsJson), executionProviders: ['cpu'] };
const opened = [], hashes = [], keep = [];
for (let i = 0; i < Number(n); i++) {
  const before = rss();
  const s = await ort.InferenceSession.create(file, opts);
  opened.push(rss() - before);
  const y = (await s.run(feeds)).img_out.data;
  hashes.push(createHash('sha1').update(new Uint8Array(y.buffer, y.byteOffset, y.byteLength)).digest('hex'));
  keep.push(s);
}
console.log(JSON.stringify({ opened, hashes }));
`;

describe('int8 sessions', () => {
  it('open without copying their weights', async () => {
    const work = mkdtempSync(join(tmpdir(), 'int8-memory-'));
    await makeTinyQwenImage(join(work, 'model'), { size: 'bench', layers: 2, heads: 16, seed: 5 });
    const model = await loadPipelineModel(join(work, 'model'));
    const c = model.transformer;
    const cache = new GraphCache(join(work, 'cache'));
    const src = await model.openWeights('transformer');
    await cache.write('blocks_0_2', await buildBlocksGraph(c, src, 0, 2, 'int8'));
    await src.close();
    const fileBytes = cache.weightBytes('blocks_0_2');
    expect(fileBytes).toBeGreaterThan(10 * MIB);

    const child = join(work, 'child.mjs');
    writeFileSync(child, CHILD);
    const shape = { D: c.num_attention_heads * c.attention_head_dim, half: c.attention_head_dim / 2 };
    const out = execFileSync(
      process.execPath,
      [
        child,
        join(root, 'package.json'),
        cache.pathOf('blocks_0_2'),
        JSON.stringify(ortSessionOptions({ threads: 2, prepack: false })),
        JSON.stringify(shape),
        '4',
      ],
      { encoding: 'utf8', env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' } },
    );
    const r = JSON.parse(out.trim().split('\n').at(-1) as string) as { opened: number[]; hashes: string[] };
    console.log(
      `int8 block group: weight file ${(fileBytes / MIB).toFixed(1)} MiB; opening sessions added ${r.opened.map((b) => (b / MIB).toFixed(1)).join(', ')} MiB`,
    );
    // The first open also loads onnxruntime's kernels.
    for (const grew of r.opened.slice(1)) expect(grew).toBeLessThan(fileBytes / 4);
    expect(new Set(r.hashes).size).toBe(1);
  }, 120_000);
});
