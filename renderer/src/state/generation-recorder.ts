// Between the engine's job events and the project's generation history: times each job from its
// first running step, turns a finished job into a history entry, and carries "use these settings"
// from the History panel to the Generate panel.
import type { EngineJobEvent, PosterApi } from '../../../core/api/contract';
import type { Asset, GenerationEntry } from '../../../core/document/schema';
import { type GenerationId, newGenerationId } from '../../../core/ids';

/** The Generate panel's form fields a history entry can fill back in. */
export interface GenerateSettings {
  prompt: string;
  negativePrompt: string;
  steps: number;
  cfg: number;
  seed: number;
}

export class GenerationRecorder {
  private readonly startedAt = new Map<string, number>();
  private readonly settingsListeners = new Set<(s: GenerateSettings) => void>();

  constructor(
    api: PosterApi,
    private readonly now: () => number = () => Date.now(),
  ) {
    api.on('engine.job', (event) => this.observe(event));
  }

  /** Notes when a job started running (its duration excludes time spent waiting in the queue). */
  observe(event: EngineJobEvent): void {
    const { id, state } = event.job;
    if (state === 'running' && !this.startedAt.has(id)) this.startedAt.set(id, this.now());
    else if (state === 'cancelled' || state === 'failed') this.startedAt.delete(id);
  }

  /** The history entry for a finished job whose image is `asset`. */
  entryFor(
    event: EngineJobEvent,
    asset: Asset,
    modelName: string,
    extra: { textToPaint?: string; parent?: GenerationId } = {},
  ): GenerationEntry {
    const { job } = event;
    const end = this.now();
    const start = this.startedAt.get(job.id);
    this.startedAt.delete(job.id);
    const entry: GenerationEntry = {
      id: newGenerationId(),
      asset: asset.sha256,
      prompt: job.prompt,
      negativePrompt: job.negativePrompt,
      seed: job.seed,
      model: { id: job.model, name: modelName.slice(0, 200) },
      steps: job.steps,
      cfg: job.cfg,
      width: asset.width,
      height: asset.height,
      createdAt: new Date(end).toISOString(),
      durationMs: start === undefined ? 0 : Math.max(0, end - start),
    };
    if (extra.textToPaint) entry.textToPaint = extra.textToPaint;
    if (extra.parent) entry.parent = extra.parent;
    return entry;
  }

  /** Asks the Generate panel to take these settings. */
  applySettings(entry: Pick<GenerationEntry, keyof GenerateSettings>): void {
    const s: GenerateSettings = {
      prompt: entry.prompt,
      negativePrompt: entry.negativePrompt,
      steps: entry.steps,
      cfg: entry.cfg,
      seed: entry.seed,
    };
    for (const l of this.settingsListeners) l(s);
  }

  onApplySettings(listener: (s: GenerateSettings) => void): () => void {
    this.settingsListeners.add(listener);
    return () => this.settingsListeners.delete(listener);
  }
}
