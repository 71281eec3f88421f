/**
 * Adapts a verified model folder (electron/engine/model) and its tokenizer
 * (electron/engine/tokenizer) to what the pipeline needs. No special case for any model: the
 * bundled default goes through the same import and verification as a published release.
 */
import { open } from 'node:fs/promises';
import { openModel } from '../model/manifest.js';
import { toFloat32 } from '../model/safetensors.js';
import type { WeightSet } from '../model/weights.js';
import { encodePrompt, PromptTokenizer } from '../tokenizer/index.js';
import type { Component, ComponentWeights, QwenImageModel } from './qwen-image.js';

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
          out.set(toFloat32(buf, entry.dtype), i * width);
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
    scheduler: m.scheduler,
    prompt: { template: m.prompt.template, dropTokens: m.prompt.dropTokens, maxTokens: 1024 },
    nativeMaxPixels: m.native?.maxPixels,
    configs: { transformer: m.components.transformer.config, textEncoder: m.components.text_encoder.config, vae },
    hashes: { transformer: hash('transformer'), text_encoder: hash('text_encoder'), vae: hash('vae') },
    openWeights: async (c) => adaptWeights(await loaded.weights(c)),
    tokenize: async (text) =>
      encodePrompt(tokenizer, text, { template: m.prompt.template, dropTokens: m.prompt.dropTokens, maxTokens: 1024 }).ids,
  };
}
