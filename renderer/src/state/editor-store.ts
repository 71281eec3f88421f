// Editor state: the document (saved, undoable) apart from session state (selection, view).
// React subscribes through useSyncExternalStore; the canvas subscribes directly.
import type { Command } from '../../../core/document/commands';
import { createDocument } from '../../../core/document/factory';
import { History } from '../../../core/document/history';
import type { Page, PosterDocument } from '../../../core/document/schema';
import type { ElementId, PageId } from '../../../core/ids';

export interface EditorState {
  doc: PosterDocument;
  pageId: PageId;
  selection: ElementId[];
  projectPath: string | null;
  dirty: boolean;
  canUndo: boolean;
  canRedo: boolean;
  undoLabel: string | null;
  redoLabel: string | null;
  /** Bumps on every document change, for autosave. */
  revision: number;
}

type Listener = () => void;

export class EditorStore {
  private history = new History();
  private state: EditorState;
  private listeners = new Set<Listener>();
  onError: (message: string) => void = () => {};

  constructor(doc: PosterDocument = createDocument()) {
    this.state = this.derive(doc, doc.pages[0]!.id, [], null, 0);
  }

  private derive(doc: PosterDocument, pageId: PageId, selection: ElementId[], projectPath: string | null, revision: number): EditorState {
    const page = doc.pages.find((p) => p.id === pageId) ?? doc.pages[0]!;
    const ids = new Set(page.elements.map((e) => e.id));
    return {
      doc,
      pageId: page.id,
      selection: selection.filter((id) => ids.has(id)),
      projectPath,
      dirty: this.history.dirty,
      canUndo: this.history.canUndo,
      canRedo: this.history.canRedo,
      undoLabel: this.history.undoLabel,
      redoLabel: this.history.redoLabel,
      revision,
    };
  }

  getState = (): EditorState => this.state;

  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  private set(next: EditorState) {
    this.state = next;
    for (const l of this.listeners) l();
  }

  get page(): Page {
    const s = this.state;
    return s.doc.pages.find((p) => p.id === s.pageId) ?? s.doc.pages[0]!;
  }

  /** Applies an edit as one undo step. Returns false (and reports) if the edit is invalid. */
  execute(cmd: Command, label: string, opts: { mergeKey?: string; select?: ElementId[] } = {}): boolean {
    const s = this.state;
    try {
      const doc = this.history.execute(s.doc, cmd, { label, mergeKey: opts.mergeKey });
      this.set(this.derive(doc, s.pageId, opts.select ?? s.selection, s.projectPath, s.revision + 1));
      return true;
    } catch (e) {
      this.onError((e as Error).message);
      return false;
    }
  }

  undo(): void {
    const s = this.state;
    if (!this.history.canUndo) return;
    const doc = this.history.undo(s.doc);
    this.set(this.derive(doc, s.pageId, s.selection, s.projectPath, s.revision + 1));
  }

  redo(): void {
    const s = this.state;
    if (!this.history.canRedo) return;
    const doc = this.history.redo(s.doc);
    this.set(this.derive(doc, s.pageId, s.selection, s.projectPath, s.revision + 1));
  }

  select(ids: ElementId[]): void {
    const s = this.state;
    if (ids.length === s.selection.length && ids.every((id, i) => s.selection[i] === id)) return;
    this.set({ ...s, selection: ids });
  }

  /** Replaces the document (new, open, recover); history starts fresh. */
  load(doc: PosterDocument, projectPath: string | null, opts: { dirty?: boolean } = {}): void {
    this.history = new History();
    this.history.clear();
    if (opts.dirty) this.history.execute(doc, { type: 'batch', commands: [] }, { label: 'Recover' });
    this.set(this.derive(doc, doc.pages[0]!.id, [], projectPath, this.state.revision + 1));
  }

  markSaved(projectPath: string): void {
    this.history.markSaved();
    const s = this.state;
    this.set({ ...s, projectPath, dirty: false });
  }
}
