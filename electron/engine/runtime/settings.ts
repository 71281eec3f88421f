/**
 * What a generated PNG says about how it was made: the same text chunks from the CLI and from the
 * app, so an image can be reproduced from its own file.
 */
import type { GenerateParams } from '../types.js';

/** Bump with any change that gives different pixels for the same settings and weights. */
export const ENGINE_VERSION = 'poster-engine 1 (qwen-image, onnxruntime-node cpu)';

export function settingsText(params: GenerateParams, modelName: string): Record<string, string> {
  return {
    Software: 'Poster Studio',
    prompt: params.prompt,
    // Only when asked for, so images made without it keep the same chunks as before.
    ...(params.paintText?.trim() ? { text_to_paint: params.paintText.trim() } : {}),
    negative_prompt: params.negativePrompt,
    size: `${params.width}x${params.height}`,
    steps: String(params.steps),
    cfg: String(params.cfg),
    seed: String(params.seed),
    model: modelName,
    engine: ENGINE_VERSION,
  };
}
