// Generate an image with the local engine: model, prompt, negative prompt, size (the selected
// frame's or the page's aspect), steps, CFG and seed; the jobs themselves are in the queue panel.
// A finished image lands on the canvas filling its frame (or centred on the page), as one undo step.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { EngineJobEvent, PosterApi } from '../../../core/api/contract';
import { createImageFor } from '../../../core/document/factory';
import type { Asset, Page } from '../../../core/document/schema';
import { MAX_PAINT_TEXT } from '../../../core/paint-text';
import type { ImageCache } from '../canvas/image-cache';
import { useEditor } from '../hooks';
import { useI18n } from '../i18n';
import type { EditorStore } from '../state/editor-store';
import { type EngineJobs, type JobRow, useEngineJobs } from '../state/engine-jobs';
import type { GenerationRecorder } from '../state/generation-recorder';
import { RegionRegenerate } from './RegionRegenerate';
import { retryJobs } from './TextCheckView';

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
  jobs,
  report,
  openModels,
  recorder,
}: {
  api: PosterApi;
  store: EditorStore;
  images: ImageCache;
  jobs: EngineJobs;
  report: (e: unknown) => void;
  openModels(): void;
  recorder: GenerationRecorder;
}) {
  const { t } = useI18n();
  const page = useEditor(store, (s) => s.doc.pages.find((p) => p.id === s.pageId) ?? (s.doc.pages[0] as Page));
  const selection = useEditor(store, (s) => s.selection);
  const models = useEngineJobs(jobs, (s) => s.models);
  const modelId = useEngineJobs(jobs, (s) => s.modelId);
  const [prompt, setPrompt] = useState('');
  const [negative, setNegative] = useState('');
  const [paintText, setPaintText] = useState('');
  const [steps, setSteps] = useState(20);
  const [cfg, setCfg] = useState(4);
  const [seed, setSeed] = useState(randomSeed);
  // "Use settings" in the History panel fills the form.
  useEffect(
    () =>
      recorder.onApplySettings((s) => {
        setPrompt(s.prompt);
        setNegative(s.negativePrompt);
        setSteps(s.steps);
        setCfg(s.cfg);
        setSeed(s.seed);
      }),
    [recorder],
  );

  const frame = useMemo(() => {
    if (selection.length !== 1) return undefined;
    return page.elements.find((e) => e.id === selection[0]);
  }, [page, selection]);
  const size = frame ? sizeFor(frame.width, frame.height) : sizeFor(page.width, page.height);

  useEffect(() => {
    void jobs.refreshModels();
  }, [jobs]);

  useEffect(() => jobs.onImage((event, row) => void placeRef.current(event, row)), [jobs]);

  // The event handler is registered once; it calls the latest `place` through this ref.
  const placeRef = useRef(place);
  placeRef.current = place;

  async function place(event: EngineJobEvent, row: JobRow): Promise<void> {
    const image = event.image;
    // A region job replaces its image (RegionRegenerate); a text-check retry replaces its original's.
    if (!image || event.job.regionOf || retryJobs.has(event.job.id)) return;
    try {
      const t0 = performance.now();
      const { bytes, mime } = await api.call('assets.get', { sha256: image.sha256 });
      performance.measure('poster:place-fetch', { start: t0 });
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
      const target = row.target;
      const frameEl = target ? current.elements.find((e) => e.id === target) : undefined;
      const modelName = models?.find((m) => m.id === event.job.model)?.name ?? event.job.model;
      const entry = recorder.entryFor(event, asset, modelName);
      const el = createImageFor(current, asset);
      if (frameEl)
        Object.assign(el, { x: frameEl.x, y: frameEl.y, width: frameEl.width, height: frameEl.height, rotation: frameEl.rotation });
      store.execute(
        {
          type: 'batch',
          commands: [
            { type: 'addAssets', assets: [asset] },
            { type: 'addGenerations', entries: [entry] },
            { type: 'addElements', pageId: current.id, elements: [el] },
          ],
        },
        t('generateImage'),
        { select: [el.id] },
      );
      performance.measure('poster:place', { start: t0 });
    } catch (e) {
      report(e);
    }
  }

  async function start(): Promise<void> {
    const model = models?.find((m) => m.id === modelId);
    if (!model || !prompt.trim()) return;
    const text = paintText.trim();
    const args = {
      prompt,
      negativePrompt: negative,
      width: size.width,
      height: size.height,
      steps,
      cfg,
      seed,
      model: model.id,
      ...(text ? { paintText: text } : {}),
    };
    await jobs.generate(args, frame?.id);
  }

  return (
    <section className="panel generate" aria-label={t('generateImage')} data-testid="generate-panel">
      <h2>{t('generateImage')}</h2>
      {models && models.length === 0 && <p className="hint">{t('noModel')}</p>}
      <label className="field model-picker">
        <span>{t('model')}</span>
        <select data-testid="gen-model" value={modelId ?? ''} onChange={(e) => jobs.selectModel(e.target.value)}>
          {models?.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
        <button type="button" data-testid="open-models" onClick={openModels}>
          {t('manageModels')}
        </button>
      </label>
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
      <RegionRegenerate
        {...{ api, store, images, report }}
        element={frame?.type === 'image' ? frame : undefined}
        settings={{ prompt, negativePrompt: negative, steps, cfg, seed, model: modelId ?? undefined }}
      />
    </section>
  );
}
