// In-app dialogs: path prompts for web mode (no native file dialogs there), open-project
// chooser with recent files, discard confirmation.
import { useEffect, useState } from 'react';
import type { PosterApi, ProjectListing, RecentProject } from '../../../core/api/contract';
import { type Finding, summarise } from '../../../core/preflight';
import { useI18n } from '../i18n';

export type DialogRequest =
  | { kind: 'save'; defaultPath: string; resolve(p: string | null): void }
  | { kind: 'open'; resolve(p: string | null): void }
  | { kind: 'confirm'; message: string; resolve(ok: boolean): void }
  | { kind: 'preflight'; findings: Finding[]; resolve(elementId: string | null): void };

export function DialogHost({ request, api, onClose }: { request: DialogRequest | null; api: PosterApi; onClose(): void }) {
  if (!request) return null;
  const done = (value: string | null | boolean) => {
    (request.resolve as (v: unknown) => void)(value);
    onClose();
  };
  return (
    <div className="modal-backdrop" onKeyDown={(e) => e.key === 'Escape' && done(request.kind === 'confirm' ? false : null)}>
      <div className="modal" role="dialog" aria-modal="true">
        {request.kind === 'save' && <SaveDialog defaultPath={request.defaultPath} done={done} />}
        {request.kind === 'open' && <OpenDialog api={api} done={done} />}
        {request.kind === 'confirm' && <ConfirmDialog message={request.message} done={done} />}
        {request.kind === 'preflight' && <PreflightDialog findings={request.findings} done={done} />}
      </div>
    </div>
  );
}

function SaveDialog({ defaultPath, done }: { defaultPath: string; done(v: string | null): void }) {
  const { t } = useI18n();
  const [path, setPath] = useState(defaultPath);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (path.trim()) done(path.trim());
      }}
    >
      <h3>{t('saveAs')}</h3>
      <label className="field column">
        <span>{t('pathPrompt')}</span>
        <input autoFocus type="text" value={path} onChange={(e) => setPath(e.target.value)} data-testid="save-path" spellCheck={false} />
      </label>
      <div className="buttons">
        <button type="button" onClick={() => done(null)}>
          {t('cancel')}
        </button>
        <button type="submit" className="primary" data-testid="save-confirm">
          {t('save')}
        </button>
      </div>
    </form>
  );
}

function OpenDialog({ api, done }: { api: PosterApi; done(v: string | null): void }) {
  const { t } = useI18n();
  const [path, setPath] = useState('');
  const [recent, setRecent] = useState<RecentProject[]>([]);
  const [listing, setListing] = useState<ProjectListing[]>([]);
  useEffect(() => {
    api.call('project.recent', {}).then(setRecent, () => {});
    api.call('project.list', {}).then(setListing, () => {});
  }, [api]);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (path.trim()) done(path.trim());
      }}
    >
      <h3>{t('openPrompt')}</h3>
      {recent.length > 0 && (
        <>
          <h4>{t('recent')}</h4>
          <ul className="file-list" data-testid="recent-list">
            {recent.map((r) => (
              <FileItem
                done={done}
                key={r.path}
                p={r.path}
                title={r.title}
                note={r.exists ? r.path : `${r.path} ${t('missingFile')}`}
                missing={!r.exists}
              />
            ))}
          </ul>
        </>
      )}
      {listing.length > 0 && (
        <>
          <h4>{t('inProjectsFolder')}</h4>
          <ul className="file-list">
            {listing.map((f) => (
              <FileItem done={done} key={f.path} p={f.path} title={f.name} note={new Date(f.modifiedAt).toLocaleString()} />
            ))}
          </ul>
        </>
      )}
      <label className="field column">
        <span>{t('openPath')}</span>
        <input type="text" value={path} onChange={(e) => setPath(e.target.value)} data-testid="open-path" spellCheck={false} />
      </label>
      <div className="buttons">
        <button type="button" onClick={() => done(null)}>
          {t('cancel')}
        </button>
        <button type="submit" className="primary" disabled={!path.trim()}>
          {t('ok')}
        </button>
      </div>
    </form>
  );
}

function FileItem({ p, title, note, missing, done }: { p: string; title: string; note: string; missing?: boolean; done(v: string): void }) {
  return (
    <li>
      <button type="button" disabled={missing} onClick={() => done(p)} title={p} data-testid="open-item" data-path={p}>
        <strong>{title}</strong> <small>{note}</small>
      </button>
    </li>
  );
}

function PreflightDialog({ findings, done }: { findings: Finding[]; done(v: string | null): void }) {
  const { t } = useI18n();
  return (
    <div data-testid="preflight-report">
      <h3>{summarise(findings)}</h3>
      {findings.length === 0 && <p>{t('preflightClean')}</p>}
      <ul className="file-list">
        {findings.map((f) => (
          <li key={`${f.elementId}:${f.code}`}>
            <button type="button" onClick={() => done(f.elementId)} className={f.severity}>
              <strong>{f.severity === 'error' ? '✕' : f.severity === 'info' ? 'i' : '!'}</strong> <small>{f.message}</small>
            </button>
          </li>
        ))}
      </ul>
      <div className="buttons">
        <button type="button" className="primary" onClick={() => done(null)}>
          {t('ok')}
        </button>
      </div>
    </div>
  );
}

function ConfirmDialog({ message, done }: { message: string; done(v: boolean): void }) {
  const { t } = useI18n();
  return (
    <div>
      <p>{message}</p>
      <div className="buttons">
        <button type="button" onClick={() => done(false)} autoFocus>
          {t('cancel')}
        </button>
        <button type="button" className="danger" onClick={() => done(true)} data-testid="confirm-discard">
          {t('discard')}
        </button>
      </div>
    </div>
  );
}
