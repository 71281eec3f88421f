import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { PosterApi, Recovery } from '../../core/api/contract';
import type { ElementId } from '../../core/ids';
import { preflight } from '../../core/preflight';
import { createActions, handleKey, runMenuCommand } from './actions';
import { ImageCache } from './canvas/image-cache';
import type { PageCanvas } from './canvas/page-canvas';
import { TextEngine } from './canvas/text-engine';
import { useEditor } from './hooks';
import { I18nContext, initialLang, translator } from './i18n';
import type { Lang } from './i18n/strings';
import { CanvasView } from './panels/CanvasView';
import { DialogHost, type DialogRequest } from './panels/Dialogs';
import { GeneratePanel } from './panels/GeneratePanel';
import { HistoryPanel } from './panels/HistoryPanel';
import { LayersPanel } from './panels/LayersPanel';
import { ModelManager } from './panels/ModelManager';
import { PropertiesPanel } from './panels/PropertiesPanel';
import { QueuePanel } from './panels/QueuePanel';
import { retryJobs, TextCheckView } from './panels/TextCheckView';
import { Toolbar } from './panels/Toolbar';
import { AppController } from './state/app-controller';
import { EditorStore } from './state/editor-store';
import { EngineJobs } from './state/engine-jobs';
import { GenerationRecorder } from './state/generation-recorder';

interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
}

export function App({ api }: { api: PosterApi }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const t = useMemo(() => translator(lang), [lang]);
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem('poster-studio-lang', l);
    document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
    setLangState(l);
  }, []);
  const [dialog, setDialog] = useState<DialogRequest | null>(null);
  const [modelsOpen, setModelsOpen] = useState(false);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [recoveries, setRecoveries] = useState<Recovery[]>([]);
  const [zoom, setZoom] = useState(1);
  const [showGuides, setShowGuides] = useState(true);
  const [, forceStatus] = useState(0);
  const canvasRef = useRef<PageCanvas | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const tRef = useRef(t);
  tRef.current = t;

  const recorder = useMemo(() => new GenerationRecorder(api), [api]);
  const { store, app, images, engine, jobs } = useMemo(() => {
    const store = new EditorStore();
    const images = new ImageCache(api);
    const engine = new TextEngine(api);
    let toastId = 0;
    const notify = (message: string, kind: 'info' | 'error' = 'info') => {
      const id = ++toastId;
      setToasts((ts) => [...ts.slice(-3), { id, message, kind }]);
      setTimeout(() => setToasts((ts) => ts.filter((x) => x.id !== id)), kind === 'error' ? 9000 : 3500);
    };
    store.onError = (m) => notify(m, 'error');
    engine.onError = (m) => notify(m, 'error');
    const app = new AppController(api, store, images, {
      askSavePath: (defaultPath) => new Promise((resolve) => setDialog({ kind: 'save', defaultPath, resolve })),
      askOpenPath: () => new Promise((resolve) => setDialog({ kind: 'open', resolve })),
      confirmDiscard: () => new Promise((resolve) => setDialog({ kind: 'confirm', message: tRef.current('confirmDiscard'), resolve })),
      notify,
    });
    const jobs = new EngineJobs(api, (e) => app.report(e));
    return { store, app, images, engine, jobs };
  }, [api]);
  const reportError = useCallback((e: unknown) => app.report(e), [app]);
  const [editingId, setEditingId] = useState<string | null>(null);
  const onAddFont = useCallback(
    async (file: File) => {
      try {
        const info = await api.call('fonts.add', { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
        await engine.refreshList();
        app.ui.notify(`✓ ${info.family}`);
      } catch (e) {
        app.ui.notify(`${file.name}: ${(e as Error).message}`, 'error');
      }
    },
    [api, engine, app],
  );
  app.onStatus = () => forceStatus((n) => n + 1);

  const actions = useMemo(
    () =>
      createActions({
        store,
        app,
        canvas: () => canvasRef.current,
        pickImages: () => fileInput.current?.click(),
        editText: (id) => setEditingId(id),
        showPreflight: () => {
          void engine.families().then((fonts) => {
            const findings = preflight(store.getState().doc, {
              families: [...new Set(fonts.map((f) => f.family))],
              textOverflows: (el) => engine.layout(el)?.overflow ?? false,
            });
            setDialog({
              kind: 'preflight',
              findings,
              resolve: (id) => {
                if (id) store.select([id as ElementId]);
              },
            });
          });
        },
      }),
    [store, app, engine],
  );

  useEffect(() => {
    app.start().then(setRecoveries, (e) => app.ui.notify(String(e.message ?? e), 'error'));
    const onKey = (e: KeyboardEvent) => {
      if (!dialogOpen.current) handleKey(e, actions);
    };
    window.addEventListener('keydown', onKey);
    const offMenu = api.on('menu', ({ command }) => runMenuCommand(actions, command));
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (store.getState().dirty) {
        void app.autosaveNow();
        e.preventDefault();
      }
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('beforeunload', beforeUnload);
      offMenu();
    };
  }, [api, app, actions, store]);

  const dialogOpen = useRef(false);
  dialogOpen.current = dialog !== null || modelsOpen;

  const onCanvasReady = useCallback((pc: PageCanvas | null) => {
    canvasRef.current = pc;
    if (pc) {
      const prev = pc.onViewChange;
      pc.onViewChange = () => {
        prev();
        setZoom(pc.zoom);
      };
      setZoom(pc.zoom);
    }
  }, []);

  /** Removes the first offered recovery from the banner and acts on it. */
  const takeRecovery = (act: (r: Recovery) => Promise<void>) => {
    const r = recoveries[0];
    if (!r) return;
    setRecoveries((rs) => rs.slice(1));
    void act(r);
  };

  const title = useEditor(store, (s) => s.doc.title);
  const dirty = useEditor(store, (s) => s.dirty);
  const projectPath = useEditor(store, (s) => s.projectPath);
  useEffect(() => {
    document.title = `${dirty ? '● ' : ''}${title} — ${t('appName')}`;
  }, [title, dirty, t]);

  return (
    <I18nContext.Provider value={{ lang, t, setLang }}>
      <div className="app">
        <Toolbar store={store} actions={actions} zoom={zoom} showGuides={showGuides} setShowGuides={setShowGuides} />
        {recoveries.length > 0 && (
          <div className="banner" role="alert" data-testid="recovery-banner">
            <strong>{t('recoverTitle')}</strong>{' '}
            {t('recoverBody', { title: recoveries[0]!.title, time: new Date(recoveries[0]!.savedAt).toLocaleString() })}
            <button type="button" className="primary" data-testid="recover" onClick={() => takeRecovery((r) => app.recover(r))}>
              {t('recover')}
            </button>
            <button type="button" onClick={() => takeRecovery((r) => app.discardRecovery(r))}>
              {t('discard')}
            </button>
          </div>
        )}
        <div className="workspace">
          <LayersPanel store={store} />
          <CanvasView
            store={store}
            images={images}
            app={app}
            onReady={onCanvasReady}
            showGuides={showGuides}
            engine={engine}
            editingId={editingId}
            setEditingId={setEditingId}
          />
          <div className="right-column">
            <PropertiesPanel store={store} engine={engine} onAddFont={onAddFont} />
            <GeneratePanel
              api={api}
              store={store}
              images={images}
              jobs={jobs}
              report={reportError}
              openModels={() => setModelsOpen(true)}
              recorder={recorder}
            />
            <QueuePanel
              jobs={jobs}
              rowExtra={(row) =>
                // A text-check retry reports in the row of the job it retries, not in its own.
                retryJobs.has(row.job.id) ? null : (
                  <TextCheckView
                    api={api}
                    store={store}
                    images={images}
                    report={reportError}
                    event={{ job: row.job, preview: row.preview, image: row.image }}
                  />
                )
              }
            />
            <HistoryPanel store={store} images={images} recorder={recorder} />
          </div>
        </div>
        <footer className="status" data-testid="status">
          <span>{projectPath ?? t('untitled')}</span>
          <span data-testid="dirty">{dirty ? t('unsaved') : ''}</span>
          <span>{app.lastAutosave ? t('autosaved', { time: new Date(app.lastAutosave).toLocaleTimeString() }) : ''}</span>
        </footer>
        <input
          ref={fileInput}
          type="file"
          accept="image/png,image/jpeg,image/webp"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            if (files.length) void app.importFiles(files);
          }}
        />
        <DialogHost request={dialog} api={api} onClose={() => setDialog(null)} />
        {modelsOpen && <ModelManager api={api} jobs={jobs} onClose={() => setModelsOpen(false)} />}
        <div className="toasts" aria-live="polite">
          {toasts.map((x) => (
            <div key={x.id} className={`toast ${x.kind}`} data-testid={`toast-${x.kind}`}>
              {x.message}
            </div>
          ))}
        </div>
      </div>
    </I18nContext.Provider>
  );
}
