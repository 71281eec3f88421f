// Generate an image with the local engine: prompt, negative prompt, size (the selected frame's
// or the page's aspect), steps, CFG and seed; jobs with live step previews and cancel; a finished
// image lands on the canvas filling the selected frame (or centred on the page), as one undo step.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { EngineJobEvent, EngineModel, PosterApi } from '../../../core/api/contract';
import { createImageFor } from '../../../core/document/factory';
import type { Asset, Page } from '../../../core/document/schema';
import { MAX_PAINT_TEXT } from '../../../core/paint-text';
import type { ImageCache } from '../canvas/image-cache';
import { useEditor } from '../hooks';
import { useI18n } from '../i18n';
import type { EditorStore } from '../state/editor-store';
import { retryJobs, TextCheckView } from './TextCheckView';

interface JobView {
  event: EngineJobEvent;
  /** The frame the image was asked for (element id), if one was selected. */
  target?: string;
}

/** Width x height, multiples of 16, long side `long`, for a frame of w x h mm. */
export function sizeFor(w: number, h: number, long = 1024): { width: number; height: number } {
  const s = long / Math.max(w, h);
  const r = (v: number) => Math.max(64, Math.min(2048, Math.round((v * s) / 16) * 16));
  return { width: r(w), height: r(h) };
}

const randomSeed = () => Math.floor(Math.random() * 2 ** 32);

export function GeneratePanel({
  api,
  store,
  images,
  report,
}: {
  api: PosterApi;
  store: EditorStore;
  images: ImageCache;
  report: (e: unknown) => void;
}) {
  const { t } = useI18n();
  const page = useEditor(store, (s) => s.doc.pages.find((p) => p.id === s.pageId) ?? (s.doc.pages[0] as Page));
  const selection = useEditor(store, (s) => s.selection);
  const [models, setModels] = useState<EngineModel[] | null>(null);
  const [prompt, setPrompt] = useState('');
  const [negative, setNegative] = useState('');
  const [paintText, setPaintText] = useState('');
  const [steps, setSteps] = useState(20);
  const [cfg, setCfg] = useState(4);
  const [seed, setSeed] = useState(randomSeed);
  const [jobs, setJobs] = useState<JobView[]>([]);

  const frame = useMemo(() => {
    if (selection.length !== 1) return undefined;
    return page.elements.find((e) => e.id === selection[0]);
  }, [page, selection]);
  const size = frame ? sizeFor(frame.width, frame.height) : sizeFor(page.width, page.height);

  useEffect(() => {
    api.call('engine.models', {}).then(setModels, (e) => {
      setModels([]);
      report(e);
    });
  }, [api, report]);

  useEffect(
    () =>
      api.on('engine.job', (event) => {
        setJobs((list) =>
          list.map((j) => (j.event.job.id === event.job.id ? { ...j, event: { ...event, preview: event.preview ?? j.event.preview } } : j)),
        );
        if (event.image && !retryJobs.has(event.job.id)) void placeRef.current(event);
      }),
    [api],
  );

  // The event handler is registered once; it calls the latest `place` through this ref.
  const placeRef = useRef(place);
  placeRef.current = place;

  async function place(event: EngineJobEvent): Promise<void> {
    const image = event.image;
    if (!image) return;
    try {
      const { bytes, mime } = await api.call('assets.get', { sha256: image.sha256 });
      images.prime(image.sha256, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }));
      const asset: Asset = {
        sha256: image.sha256,
        mime,
        width: image.width,
        height: image.height,
        byteLength: bytes.length,
        name: event.job.prompt.slice(0, 60),
      };
      const current = store.page;
      const target = jobsTarget.get(event.job.id);
      const frameEl = target ? current.elements.find((e) => e.id === target) : undefined;
      const el = createImageFor(current, asset);
      if (frameEl)
        Object.assign(el, { x: frameEl.x, y: frameEl.y, width: frameEl.width, height: frameEl.height, rotation: frameEl.rotation });
      store.execute(
        {
          type: 'batch',
          commands: [
            { type: 'addAssets', assets: [asset] },
            { type: 'addElements', pageId: current.id, elements: [el] },
          ],
        },
        t('generateImage'),
        { select: [el.id] },
      );
    } catch (e) {
      report(e);
    }
  }

  async function start(): Promise<void> {
    const model = models?.[0];
    if (!model || !prompt.trim()) return;
    try {
      const { jobId } = await api.call('engine.generate', {
        prompt,
        negativePrompt: negative,
        width: size.width,
        height: size.height,
        steps,
        cfg,
        seed,
        model: model.id,
        ...(paintText.trim() ? { paintText: paintText.trim() } : {}),
      });
      if (frame) jobsTarget.set(jobId, frame.id);
      setJobs((list) => [
        {
          event: {
            job: {
              id: jobId,
              state: 'queued',
              step: 0,
              steps,
              prompt,
              negativePrompt: negative,
              width: size.width,
              height: size.height,
              cfg,
              seed,
              model: model.id,
              ...(paintText.trim() ? { paintText: paintText.trim() } : {}),
            },
          },
          target: frame?.id,
        },
        ...list,
      ]);
    } catch (e) {
      report(e);
    }
  }

  const label = (j: JobView) => {
    const job = j.event.job;
    if (job.state === 'running') return t('jobRunning', { step: job.step, steps: job.steps });
    if (job.state === 'failed') return t('jobFailed', { error: job.error ?? '' });
    return t(job.state === 'done' ? 'jobDone' : job.state === 'cancelled' ? 'jobCancelled' : 'jobQueued');
  };

  return (
    <section className="panel generate" aria-label={t('generateImage')} data-testid="generate-panel">
      <h2>{t('generateImage')}</h2>
      {models && models.length === 0 && <p className="hint">{t('noModel')}</p>}
      <label className="field">
        <span>{t('prompt')}</span>
        <textarea
          data-testid="gen-prompt"
          rows={3}
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
          placeholder="红色渐变背景，金色圆点 / red gradient with gold dots"
        />
      </label>
      <label className="field">
        <span>{t('negativePrompt')}</span>
        <input data-testid="gen-negative" value={negative} onChange={(e) => setNegative(e.target.value)} />
      </label>
      <label className="field">
        <span>{t('paintText')}</span>
        <input
          data-testid="gen-paint-text"
          maxLength={MAX_PAINT_TEXT}
          value={paintText}
          onChange={(e) => setPaintText(e.target.value)}
          placeholder={t('paintTextHint')}
        />
      </label>
      <div className="field">
        <span>{t('generateSize')}</span>
        <span data-testid="gen-size">
          {size.width} × {size.height} · {frame ? t('generateIntoFrame') : t('generateIntoPage')}
        </span>
      </div>
      <label className="field">
        <span>{t('steps')}</span>
        <input
          type="number"
          min={1}
          max={100}
          value={steps}
          onChange={(e) => setSteps(Math.max(1, Math.min(100, Number(e.target.value) || 1)))}
        />
      </label>
      <label className="field">
        <span>{t('guidance')}</span>
        <input
          type="number"
          min={1}
          max={20}
          step={0.5}
          value={cfg}
          onChange={(e) => setCfg(Math.max(1, Math.min(20, Number(e.target.value) || 1)))}
        />
      </label>
      <label className="field">
        <span>{t('seed')}</span>
        <input
          data-testid="gen-seed"
          type="number"
          min={0}
          value={seed}
          onChange={(e) => setSeed(Math.max(0, Math.min(2 ** 32 - 1, Math.floor(Number(e.target.value) || 0))))}
        />
        <button type="button" onClick={() => setSeed(randomSeed())}>
          {t('randomSeed')}
        </button>
      </label>
      <button
        type="button"
        className="primary"
        data-testid="gen-start"
        disabled={!models?.length || !prompt.trim()}
        onClick={() => void start()}
      >
        {t('generate')}
      </button>
      <ul className="jobs" data-testid="gen-jobs">
        {jobs.map((j) => (
          <li key={j.event.job.id} data-testid="gen-job" data-state={j.event.job.state}>
            {j.event.preview && (
              <img src={j.event.preview} alt="" width={48} height={48} data-testid="gen-preview" style={{ imageRendering: 'pixelated' }} />
            )}
            <div>
              <div className="job-prompt">{j.event.job.prompt}</div>
              <progress max={j.event.job.steps} value={j.event.job.step} />
              <div className="hint">{label(j)}</div>
            </div>
            {(j.event.job.state === 'queued' || j.event.job.state === 'running') && (
              <button
                type="button"
                data-testid="gen-cancel"
                onClick={() => void api.call('engine.cancel', { jobId: j.event.job.id }).catch(report)}
              >
                {t('cancel')}
              </button>
            )}
            <TextCheckView api={api} store={store} images={images} report={report} event={j.event} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Which frame each job fills (kept outside React state so the event handler sees it at once). */
const jobsTarget = new Map<string, string>();
