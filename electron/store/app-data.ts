// Per-user app data on disk: recent projects and autosave recovery copies.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { RecentProject, Recovery } from '../../core/api/contract';
import type { PosterDocument } from '../../core/document/schema';
import { atomicWrite } from './atomic';
import { type AssetBytes, readProjectFile, writeProjectFile } from './project-file';

const MAX_RECENT = 12;
const RECOVERY_META = 'recovery/meta.json';

export class AppData {
  constructor(readonly dir: string) {}

  private get recentFile() {
    return path.join(this.dir, 'recent.json');
  }
  private get recoveryDir() {
    return path.join(this.dir, 'recovery');
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.recoveryDir, { recursive: true });
  }

  async recent(): Promise<RecentProject[]> {
    let list: { path: string; title: string; openedAt: string }[] = [];
    try {
      const parsed = JSON.parse(await fsp.readFile(this.recentFile, 'utf8'));
      if (Array.isArray(parsed)) {
        list = parsed.filter((r) => r && typeof r.path === 'string' && typeof r.title === 'string' && typeof r.openedAt === 'string');
      }
    } catch {
      // A missing or damaged list starts empty; it only holds shortcuts.
    }
    return Promise.all(
      list.map(async (r) => ({
        ...r,
        exists: await fsp.stat(r.path).then(
          (s) => s.isFile(),
          () => false,
        ),
      })),
    );
  }

  async addRecent(file: string, title: string): Promise<void> {
    const list = (await this.recent()).filter((r) => r.path !== file).map(({ exists: _e, ...r }) => r);
    list.unshift({ path: file, title, openedAt: new Date().toISOString() });
    await fsp.mkdir(this.dir, { recursive: true });
    await atomicWrite(this.recentFile, new TextEncoder().encode(JSON.stringify(list.slice(0, MAX_RECENT), null, 1)));
  }

  private recoveryFile(sessionId: string) {
    return path.join(this.recoveryDir, `${sessionId}.poster`);
  }

  async autosave(
    sessionId: string,
    projectPath: string | null,
    doc: PosterDocument,
    getAsset: (sha: string) => AssetBytes | undefined,
  ): Promise<string> {
    const savedAt = new Date().toISOString();
    const meta = { path: projectPath, title: doc.title, savedAt };
    await fsp.mkdir(this.recoveryDir, { recursive: true });
    await writeProjectFile(this.recoveryFile(sessionId), doc, getAsset, {
      [RECOVERY_META]: new TextEncoder().encode(JSON.stringify(meta)),
    });
    return savedAt;
  }

  async recoveries(): Promise<Recovery[]> {
    const names = await fsp.readdir(this.recoveryDir).catch(() => [] as string[]);
    const out: Recovery[] = [];
    for (const name of names) {
      const m = /^([0-9a-f]{8,64})\.poster$/.exec(name);
      if (!m) continue;
      try {
        const contents = await readProjectFile(path.join(this.recoveryDir, name));
        const metaBytes = contents.extras.get(RECOVERY_META);
        const meta = metaBytes ? JSON.parse(new TextDecoder().decode(metaBytes)) : {};
        out.push({
          sessionId: m[1] as string,
          path: typeof meta.path === 'string' ? meta.path : null,
          title: contents.document.title,
          savedAt: typeof meta.savedAt === 'string' ? meta.savedAt : new Date(0).toISOString(),
        });
      } catch {
        // An unreadable recovery copy is skipped, not deleted: the user may want it by hand.
      }
    }
    return out.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  }

  async readRecovery(sessionId: string) {
    const contents = await readProjectFile(this.recoveryFile(sessionId));
    const metaBytes = contents.extras.get(RECOVERY_META);
    const meta = metaBytes ? JSON.parse(new TextDecoder().decode(metaBytes)) : {};
    return { contents, path: typeof meta.path === 'string' ? (meta.path as string) : null };
  }

  async discardRecovery(sessionId: string): Promise<boolean> {
    return fsp.unlink(this.recoveryFile(sessionId)).then(
      () => true,
      () => false,
    );
  }
}
