// Fills a template's generated-image slots (core/document/slots) with the local engine: the
// bundled model unless one is given, a seed derived from the prompt (so a re-render gives the
// same picture) unless one is given, the PNG kept as the project's asset.
import path from 'node:path';
import type { Asset, PosterDocument } from '../../core/document/schema';
import { fillSlots, imageSlots, slotPixels } from '../../core/document/slots';
import { createGenerator } from '../engine/pipeline/index';
import { settingsText } from '../engine/runtime/settings';
import type { ImageGenerator } from '../engine/types';
import { encodePng } from '../export/png-stream';
import type { AssetBytes } from '../store/project-file';
import { sha256Hex } from '../store/project-file';
import { bundledModelDir } from '../store/resources';

/** FNV-1a of the prompt: a stable default seed. */
export function promptSeed(prompt: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(prompt)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

export interface SlotFiller {
  fill(doc: PosterDocument, assets: Map<string, AssetBytes>): Promise<PosterDocument>;
  dispose(): Promise<void>;
}

export function slotFiller(opts: { model?: string; seed?: number; steps?: number; log: (s: string) => void }): SlotFiller {
  let generator: ImageGenerator | undefined;
  const done = new Map<string, Asset>();
  return {
    async fill(doc, assets) {
      const slots = imageSlots(doc).filter((s) => s.prompt);
      if (!slots.length) return doc;
      const model = opts.model ?? bundledModelDir();
      if (!model)
        throw new Error(
          'This template has generated-image slots but no bundled model was found; pass --no-generate to keep the placeholders.',
        );
      generator ??= createGenerator({});
      const images = new Map<string, Asset>();
      for (const slot of slots) {
        const { width, height } = slotPixels(slot);
        const seed = opts.seed ?? promptSeed(slot.prompt);
        const key = `${slot.prompt}|${width}x${height}|${seed}`;
        let asset = done.get(key);
        if (!asset) {
          const t0 = Date.now();
          const params = { prompt: slot.prompt, negativePrompt: ' ', width, height, steps: opts.steps ?? 20, cfg: 4, seed, model };
          const image = await generator.generate(params);
          const bytes = encodePng(image.rgb, image.width, image.height, { text: settingsText(params, path.basename(model)) });
          const sha256 = sha256Hex(bytes);
          asset = {
            sha256,
            mime: 'image/png',
            width: image.width,
            height: image.height,
            byteLength: bytes.length,
            name: `${slot.field}.png`,
          };
          assets.set(sha256, { mime: 'image/png', bytes });
          done.set(key, asset);
          opts.log(
            `  generated @${slot.field} "${slot.prompt}" (${width} × ${height} px, seed ${seed}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
          );
        }
        images.set(slot.element.id, asset);
      }
      return fillSlots(doc, images);
    },
    async dispose() {
      await generator?.dispose();
    },
  };
}
