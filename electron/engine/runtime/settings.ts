/**
 * What a generated PNG says about how it was made: the same text chunks from the CLI and from the
 * app, so an image can be reproduced from its own file.
 */
import type { GeneratedImage, GenerateParams } from '../types.js';

/** Bump with any change that gives different pixels for the same settings and weights. */
export const ENGINE_VERSION = 'poster-engine 1 (qwen-image, onnxruntime-node cpu)';

/** `ran`: the job's result, for the weight precision and execution provider it ran with. */
export function settingsText(
  params: GenerateParams,
  modelName: string,
  ran?: Pick<GeneratedImage, 'precision' | 'provider'>,
): Record<string, string> {
  const text: Record<string, string> = {
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
  if (ran?.precision) text.precision = ran.precision;
  if (ran?.provider) text.provider = ran.provider;
  return text;
}
