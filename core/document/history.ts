// Undo/redo as a list of applied commands with their inverses. Consecutive edits with the same
// merge key (a run of arrow-key nudges) collapse into one undo step.
import { applyCommand, type Command } from './commands';
import type { PosterDocument } from './schema';

interface HistoryEntry {
  label: string;
  forward: Command;
  inverse: Command;
  mergeKey?: string;
  time: number;
  /** Document revisions before and after this entry, for the dirty flag. */
  before: number;
  after: number;
}

export interface ExecuteOptions {
  label: string;
  mergeKey?: string;
  /** Milliseconds within which same-key edits merge. */
  mergeWindowMs?: number;
  now?: number;
}

export class History {
  private past: HistoryEntry[] = [];
  private future: HistoryEntry[] = [];
  private counter = 0;
  private revision = 0;
  private savedRevision = 0;

  constructor(private readonly limit = 500) {}

  /** Applies `cmd` and records it; throws CommandError and records nothing if it fails. */
  execute(doc: PosterDocument, cmd: Command, opts: ExecuteOptions): PosterDocument {
    const { doc: next, inverse } = applyCommand(doc, cmd);
    const now = opts.now ?? Date.now();
    const last = this.past[this.past.length - 1];
    const after = ++this.counter;
    const canMerge =
      last !== undefined &&
      opts.mergeKey !== undefined &&
      last.mergeKey === opts.mergeKey &&
      now - last.time <= (opts.mergeWindowMs ?? 1000) &&
      this.future.length === 0 &&
      last.after === this.revision &&
      this.savedRevision !== this.revision;
    if (canMerge && last) {
      last.forward = { type: 'batch', commands: [last.forward, cmd] };
      last.inverse = { type: 'batch', commands: [inverse, last.inverse] };
      last.time = now;
      last.after = after;
    } else {
      this.past.push({ label: opts.label, forward: cmd, inverse, mergeKey: opts.mergeKey, time: now, before: this.revision, after });
      if (this.past.length > this.limit) this.past.shift();
    }
    this.future = [];
    this.revision = after;
    return next;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }
  get canRedo(): boolean {
    return this.future.length > 0;
  }
  get undoLabel(): string | null {
    return this.past[this.past.length - 1]?.label ?? null;
  }
  get redoLabel(): string | null {
    return this.future[this.future.length - 1]?.label ?? null;
  }

  undo(doc: PosterDocument): PosterDocument {
    const entry = this.past.pop();
    if (!entry) return doc;
    const { doc: prev } = applyCommand(doc, entry.inverse);
    this.future.push({ ...entry, mergeKey: undefined });
    this.revision = entry.before;
    return prev;
  }

  redo(doc: PosterDocument): PosterDocument {
    const entry = this.future.pop();
    if (!entry) return doc;
    const { doc: next } = applyCommand(doc, entry.forward);
    this.past.push(entry);
    this.revision = entry.after;
    return next;
  }

  /** Marks the current state as saved (the dirty flag clears). */
  markSaved(): void {
    this.savedRevision = this.revision;
  }

  get dirty(): boolean {
    return this.revision !== this.savedRevision;
  }

  clear(): void {
    this.past = [];
    this.future = [];
    this.revision = ++this.counter;
    this.savedRevision = this.revision;
  }
}
