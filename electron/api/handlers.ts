// The back end's implementation of the API contract, shared by both transports. Arguments
// arrive here already validated against core/api's schemas.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { type ApiArgsOf, ApiError, type ApiMethod, type ApiResults, type AppInfo, type ProjectListing } from '../../core/api/contract';
import { DocumentError, parseDocument } from '../../core/document/validate';
import { ImageFormatError } from '../../core/image-info';
import { FontError } from '../../core/typeset/font';
import { ModelError } from '../engine/model/errors';
import { RegionError } from '../engine/pipeline/inpaint';
import { EngineRequestError, type EngineService } from '../engine/runtime/service';
import type { AppData } from '../store/app-data';
import type { AssetStore } from '../store/asset-store';
import type { FontLibrary } from '../store/font-library';
import { ProjectFileError, readProjectFile, writeProjectFile } from '../store/project-file';

/** What differs between the desktop shell and web mode. */
export interface ShellServices {
  transport: AppInfo['transport'];
  pickOpenPath?: () => Promise<string | null>;
  pickSavePath?: (suggestedName: string, defaultDir: string) => Promise<string | null>;
}

export interface BackendContext {
  assets: AssetStore;
  fonts: FontLibrary;
  appData: AppData;
  projectsDir: string;
  version: string;
  shell: ShellServices;
  engine: EngineService;
}

export type Handlers = { [M in ApiMethod]: (args: ApiArgsOf<M>) => Promise<ApiResults[M]> };

/** Turns library errors into API errors a user can read. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof ProjectFileError) return new ApiError(e.kind, e.message);
  if (e instanceof DocumentError) return new ApiError(e.kind === 'newer-version' ? 'newer-version' : 'bad-request', e.message);
  if (e instanceof ImageFormatError) return new ApiError('invalid-file', e.message);
  if (e instanceof FontError) return new ApiError('invalid-file', e.message);
  if (e instanceof RegionError) return new ApiError(e.code, e.message);
  if (e instanceof EngineRequestError) return new ApiError(e.kind, e.message);
  if (e instanceof ModelError) return new ApiError(e.code === 'missing-file' ? 'not-found' : 'invalid-file', e.message);
  if (e instanceof Error && /^No installed model/.test(e.message)) return new ApiError('not-found', e.message);
  return new ApiError('internal', `Unexpected error: ${(e as Error)?.message ?? String(e)}`);
}

function requireAbsolute(p: string): string {
  if (!path.isAbsolute(p)) throw new ApiError('bad-request', `path: expected an absolute path, got "${p}"`);
  return path.normalize(p);
}

function validDocument(raw: unknown) {
  try {
    return parseDocument(raw);
  } catch (e) {
    if (e instanceof DocumentError) throw new ApiError('bad-request', `document: ${e.message}`);
    throw e;
  }
}

export function createHandlers(ctx: BackendContext): Handlers {
  const getAsset = (sha: string) => ctx.assets.get(sha);
  return {
    'app.info': async () => ({
      name: 'Poster Studio',
      version: ctx.version,
      transport: ctx.shell.transport,
      nativeDialogs: Boolean(ctx.shell.pickOpenPath && ctx.shell.pickSavePath),
      projectsDir: ctx.projectsDir,
      pathSeparator: path.sep === '\\' ? '\\' : '/',
    }),
    'assets.put': async ({ name, bytes }) => ctx.assets.put(name, bytes),
    'assets.get': async ({ sha256 }) => {
      const a = ctx.assets.get(sha256);
      if (!a) throw new ApiError('not-found', `No image ${sha256.slice(0, 12)}… in this session.`);
      return { mime: a.mime, bytes: a.bytes };
    },
    'project.open': async ({ path: p }) => {
      const file = requireAbsolute(p);
      const contents = await readProjectFile(file);
      for (const [sha, a] of contents.assets) ctx.assets.add(sha, a);
      await ctx.appData.addRecent(file, contents.document.title);
      return { path: file, document: contents.document };
    },
    'project.save': async ({ path: p, document }) => {
      const file = requireAbsolute(p);
      const doc = validDocument(document);
      await fsp.mkdir(path.dirname(file), { recursive: true });
      const bytes = await writeProjectFile(file, doc, getAsset);
      await ctx.appData.addRecent(file, doc.title);
      return { path: file, bytes };
    },
    'project.recent': async () => ctx.appData.recent(),
    'project.list': async () => {
      const names = await fsp.readdir(ctx.projectsDir).catch(() => [] as string[]);
      const out: ProjectListing[] = [];
      for (const name of names.filter((n) => /\.poster$/i.test(n))) {
        const full = path.join(ctx.projectsDir, name);
        const st = await fsp.stat(full).catch(() => null);
        if (st?.isFile()) out.push({ path: full, name, modifiedAt: st.mtime.toISOString(), bytes: st.size });
      }
      return out.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
    },
    'project.autosave': async ({ sessionId, path: p, document }) => {
      const doc = validDocument(document);
      const savedAt = await ctx.appData.autosave(sessionId, p ? requireAbsolute(p) : null, doc, getAsset);
      return { savedAt };
    },
    'project.recoveries': async () => ctx.appData.recoveries(),
    'project.recover': async ({ sessionId }) => {
      const { contents, path: p } = await ctx.appData.readRecovery(sessionId);
      for (const [sha, a] of contents.assets) ctx.assets.add(sha, a);
      return { path: p, document: contents.document };
    },
    'project.discardRecovery': async ({ sessionId }) => ({ removed: await ctx.appData.discardRecovery(sessionId) }),
    'dialog.openProject': async () => ({ path: ctx.shell.pickOpenPath ? await ctx.shell.pickOpenPath() : null }),
    'dialog.saveProject': async ({ suggestedName }) => ({
      path: ctx.shell.pickSavePath ? await ctx.shell.pickSavePath(suggestedName, ctx.projectsDir) : null,
    }),
    'fonts.list': async () => ctx.fonts.list(),
    'fonts.get': async ({ id }) => ({ bytes: await ctx.fonts.read(id) }),
    'fonts.add': async ({ name, bytes }) => ctx.fonts.add(name, bytes),
    'engine.generate': async (args) => ({ jobId: await ctx.engine.generate(args) }),
    'engine.cancel': async ({ jobId }) => ({ cancelled: ctx.engine.cancel(jobId) }),
    'engine.jobs': async () => ctx.engine.jobs(),
    'engine.models': async () => ctx.engine.models(),
    'engine.importModel': async ({ path: p }) => ctx.engine.importModel(requireAbsolute(p)),
    'engine.verifyModel': async ({ id, path: p, level }) =>
      ctx.engine.verifyModel(p === undefined ? (id as string) : requireAbsolute(p), level),
    'engine.reorder': async ({ id, index }) => ({ queued: ctx.engine.reorder(id, index) }),
    'engine.deleteModel': async ({ id }) => ctx.engine.deleteModel(id),
    'engine.plan': async (args) => ctx.engine.plan(args),
    'engine.settings': async () => ctx.engine.getSettings(),
    'engine.setSettings': async (v) => ctx.engine.setSettings(v),
    'engine.textCheck': async ({ sha256, expected }) => {
      const a = ctx.assets.get(sha256);
      if (!a) throw new ApiError('not-found', `No image ${sha256.slice(0, 12)}… in this session.`);
      return ctx.engine.textCheck(a.bytes, expected);
    },
  };
}
