/**
 * Adapts a verified model folder (electron/engine/model) and its tokenizer
 * (electron/engine/tokenizer) to what the pipeline needs. No special case for any model: the
 * bundled default goes through the same import and verification as a published release.
 */
import { open } from 'node:fs/promises';
import { openModel } from '../model/manifest.js';
import type { WeightSet } from '../model/weights.js';
import { encodePrompt, PromptTokenizer } from '../tokenizer/index.js';
import type { Component, ComponentWeights, QwenImageModel } from './qwen-image.js';
import { QWEN_IMAGE_SCHEDULER } from './scheduler.js';

function toF32(bytes: Uint8Array, dtype: string): Float32Array {
  const n = dtype === 'F32' ? bytes.length / 4 : bytes.length / 2;
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'BF16') {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = view.getUint16(i * 2, true) << 16;
  } else if (dtype === 'F16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else {
    throw new Error(`embedding rows of dtype ${dtype} are not supported`);
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function adaptWeights(set: WeightSet): ComponentWeights {
  return {
    shape: (name) => (set.has(name) ? set.shape(name) : undefined),
    readFloat32: (name) => set.readFloat32(name),
    async readRows(name, rows) {
      const entry = set.entry(name);
      if (!entry) throw new Error(`weight ${name} is missing from the model`);
      const [, width] = entry.shape as [number, number];
      const bytesPer = entry.byteLength / (entry.shape.reduce((a, b) => a * b, 1) || 1);
      const rowBytes = width * bytesPer;
      const out = new Float32Array(rows.length * width);
      const fh = await open(entry.file, 'r');
      try {
        const buf = new Uint8Array(rowBytes);
        for (const [i, r] of rows.entries()) {
          if (!Number.isInteger(r) || r < 0 || r >= (entry.shape[0] as number))
            throw new Error(`token id ${r} is outside the vocabulary (${entry.shape[0]} entries)`);
          await fh.read(buf, 0, rowBytes, entry.offset + r * rowBytes);
          out.set(toF32(buf, entry.dtype), i * width);
        }
      } finally {
        await fh.close();
      }
      return out;
    },
    close: () => set.close(),
  };
}

export async function loadPipelineModel(dir: string, opts: { verify?: 'fast' | 'full' } = {}): Promise<QwenImageModel> {
  const loaded = await openModel(dir, { verify: opts.verify ?? 'fast' });
  const m = loaded.manifest;
  const tokenizer = await PromptTokenizer.load(loaded.tokenizerDir);
  const hash = (c: Component): string =>
    m.components[c].files
      .map((f) => f.sha256)
      .sort()
      .join(',');
  const vae = m.components.vae.config;
  return {
    dir: loaded.dir,
    name: m.name,
    transformer: m.components.transformer.config,
    textEncoder: m.components.text_encoder.config,
    vae: { ...vae, latents_mean: m.vae_latents.mean, latents_std: m.vae_latents.std },
    scheduler: { ...QWEN_IMAGE_SCHEDULER, ...m.scheduler },
    prompt: { template: m.prompt.template, dropTokens: m.prompt.dropTokens, maxTokens: 1024 },
    nativeMaxPixels: m.native?.maxPixels,
    hashes: { transformer: hash('transformer'), text_encoder: hash('text_encoder'), vae: hash('vae') },
    openWeights: async (c) => adaptWeights(await loaded.weights(c)),
    tokenize: async (text) =>
      encodePrompt(tokenizer, text, { template: m.prompt.template, dropTokens: m.prompt.dropTokens, maxTokens: 1024 }).ids,
  };
}
