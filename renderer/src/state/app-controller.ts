// What the user does with projects: new, open, save, import, autosave and recovery. The UI
// calls these; they talk to the back end through the typed API only.
import type { AppInfo, PosterApi, Recovery } from '../../../core/api/contract';
import { ApiError } from '../../../core/api/contract';
import { createDocument, createImageFor } from '../../../core/document/factory';
import type { PosterDocument } from '../../../core/document/schema';
import { type ElementId, newSessionId } from '../../../core/ids';
import type { ImageCache } from '../canvas/image-cache';
import type { EditorStore } from './editor-store';

export interface UiServices {
  /** Asks for a project path to save to (web mode has no native dialog). */
  askSavePath(defaultPath: string): Promise<string | null>;
  askOpenPath(): Promise<string | null>;
  confirmDiscard(): Promise<boolean>;
  notify(message: string, kind?: 'info' | 'error'): void;
}

const IMPORT_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp']);
export const AUTOSAVE_DELAY_MS = 4000;

export class AppController {
  info: AppInfo | null = null;
  readonly sessionId = newSessionId();
  private autosavedRevision = -1;
  private autosaveTimer: ReturnType<typeof setTimeout> | null = null;
  private autosaving = false;
  lastAutosave: string | null = null;
  onStatus: () => void = () => {};

  constructor(
    readonly api: PosterApi,
    readonly store: EditorStore,
    readonly images: ImageCache,
    readonly ui: UiServices,
  ) {
    store.subscribe(() => this.scheduleAutosave());
  }

  async start(): Promise<Recovery[]> {
    this.info = await this.api.call('app.info', {});
    return this.api.call('project.recoveries', {});
  }

  report(e: unknown, prefix?: string) {
    const msg = e instanceof ApiError || e instanceof Error ? e.message : String(e);
    this.ui.notify(prefix ? `${prefix}: ${msg}` : msg, 'error');
  }

  private joinPath(dir: string, name: string): string {
    const sep = this.info?.pathSeparator ?? '/';
    return dir.endsWith(sep) ? dir + name : dir + sep + name;
  }

  private suggestedName(doc: PosterDocument): string {
    const base = doc.title.replace(/[\\/:*?"<>|\0]/g, '_').trim() || 'Untitled';
    return `${base}.poster`;
  }

  async newDocument(presetId = 'A3'): Promise<void> {
    if (this.store.getState().dirty && !(await this.ui.confirmDiscard())) return;
    this.store.load(createDocument('Untitled', presetId), null);
    await this.dropOwnRecovery();
  }

  /** The user chose to drop this session's unsaved work, so its recovery copy goes too. */
  private async dropOwnRecovery(): Promise<void> {
    if (this.autosaveTimer) clearTimeout(this.autosaveTimer);
    await this.api.call('project.discardRecovery', { sessionId: this.sessionId }).catch(() => {});
  }

  async open(path?: string): Promise<boolean> {
    if (this.store.getState().dirty && !(await this.ui.confirmDiscard())) return false;
    let target = path ?? null;
    if (!target) {
      target = this.info?.nativeDialogs ? (await this.api.call('dialog.openProject', {})).path : await this.ui.askOpenPath();
    }
    if (!target) return false;
    try {
      const { path: opened, document } = await this.api.call('project.open', { path: target });
      this.store.load(document, opened);
      await this.dropOwnRecovery();
      return true;
    } catch (e) {
      this.report(e);
      return false;
    }
  }

  async save(): Promise<boolean> {
    const { projectPath } = this.store.getState();
    if (!projectPath) return this.saveAs();
    return this.saveTo(projectPath);
  }

  async saveAs(): Promise<boolean> {
    const s = this.store.getState();
    const name = this.suggestedName(s.doc);
    let target: string | null;
    if (this.info?.nativeDialogs) target = (await this.api.call('dialog.saveProject', { suggestedName: name })).path;
    else target = await this.ui.askSavePath(s.projectPath ?? this.joinPath(this.info?.projectsDir ?? '', name));
    if (!target) return false;
    if (!/\.poster$/i.test(target)) target += '.poster';
    return this.saveTo(target);
  }

  private async saveTo(path: string): Promise<boolean> {
    const s = this.store.getState();
    let doc = s.doc;
    // A new project takes its title from the file name it is first saved as.
    if (doc.title === 'Untitled') {
      const base = path
        .split(/[\\/]/)
        .pop()
        ?.replace(/\.poster$/i, '');
      if (base) doc = { ...doc, title: base };
    }
    try {
      const saved = await this.api.call('project.save', { path, document: doc });
      if (doc !== s.doc) this.store.execute({ type: 'setTitle', title: doc.title }, 'Rename');
      this.store.markSaved(saved.path);
      await this.api.call('project.discardRecovery', { sessionId: this.sessionId }).catch(() => {});
      this.ui.notify(`✓ ${saved.path}`);
      return true;
    } catch (e) {
      this.report(e);
      return false;
    }
  }

  /** Imports image files; each is placed centred (or at `at`, page mm) and selected. */
  async importFiles(files: File[], at?: { x: number; y: number }): Promise<void> {
    const placed: ElementId[] = [];
    for (const file of files) {
      if (file.type && !IMPORT_TYPES.has(file.type)) {
        this.ui.notify(`${file.name}: only PNG, JPEG and WebP images can be imported.`, 'error');
        continue;
      }
      try {
        const bytes = new Uint8Array(await file.arrayBuffer());
        const asset = await this.api.call('assets.put', { name: file.name, bytes });
        this.images.prime(asset.sha256, new Blob([bytes], { type: asset.mime }));
        const page = this.store.page;
        const offset = placed.length * 5;
        const point = at ? { x: at.x + offset, y: at.y + offset } : undefined;
        const el = createImageFor(page, asset, point);
        if (!at && offset) {
          el.x += offset;
          el.y += offset;
        }
        placed.push(el.id);
        this.store.execute(
          {
            type: 'batch',
            commands: [
              { type: 'addAssets', assets: [asset] },
              { type: 'addElements', pageId: page.id, elements: [el] },
            ],
          },
          'Import image',
          { select: [...placed] },
        );
      } catch (e) {
        this.report(e, file.name);
      }
    }
  }

  private scheduleAutosave(): void {
    const s = this.store.getState();
    if (!s.dirty || s.revision === this.autosavedRevision) return;
    if (this.autosaveTimer) clearTimeout(this.autosaveTimer);
    this.autosaveTimer = setTimeout(() => void this.autosaveNow(), AUTOSAVE_DELAY_MS);
  }

  /** Writes the recovery copy now (also used before risky operations and by tests). */
  async autosaveNow(): Promise<void> {
    if (this.autosaving) return;
    const s = this.store.getState();
    if (!s.dirty || s.revision === this.autosavedRevision) return;
    this.autosaving = true;
    try {
      const { savedAt } = await this.api.call('project.autosave', { sessionId: this.sessionId, path: s.projectPath, document: s.doc });
      this.autosavedRevision = s.revision;
      this.lastAutosave = savedAt;
      this.onStatus();
    } catch (e) {
      this.report(e, 'Autosave');
    } finally {
      this.autosaving = false;
    }
  }

  async recover(r: Recovery): Promise<void> {
    try {
      const { document, path } = await this.api.call('project.recover', { sessionId: r.sessionId });
      this.store.load(document, path, { dirty: true });
      // Keep the recovered work safe under this session before dropping the old copy.
      await this.autosaveNow();
      await this.api.call('project.discardRecovery', { sessionId: r.sessionId });
    } catch (e) {
      this.report(e);
    }
  }

  async discardRecovery(r: Recovery): Promise<void> {
    await this.api.call('project.discardRecovery', { sessionId: r.sessionId }).catch((e) => this.report(e));
  }
}
