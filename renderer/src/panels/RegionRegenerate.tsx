// "Regenerate region" for the selected image element: the user drags a rectangle over a
// thumbnail of the image (or types it in image pixels), the engine repaints only that area with
// the Generate panel's prompt and settings, and the result replaces the element's image as one
// undo step (the new asset added and the element pointed at it together).
import { type PointerEvent as ReactPointerEvent, useEffect, useRef, useState } from 'react';
import type { EngineJobEvent, MaskRect, PosterApi } from '../../../core/api/contract';
import type { Asset, ImageElement, Page } from '../../../core/document/schema';
import type { ImageCache } from '../canvas/image-cache';
import { useEditor } from '../hooks';
import { useI18n } from '../i18n';
import type { EditorStore } from '../state/editor-store';

export interface RegionSettings {
  prompt: string;
  negativePrompt: string;
  steps: number;
  cfg: number;
  seed: number;
  model: string | undefined;
}

const THUMB = 216;

/** A rectangle dragged between two points, clamped to the image and rounded to whole pixels. */
export function dragRect(a: { x: number; y: number }, b: { x: number; y: number }, width: number, height: number): MaskRect {
  const clamp = (v: number, max: number) => Math.max(0, Math.min(max, Math.round(v)));
  const x0 = clamp(Math.min(a.x, b.x), width);
  const y0 = clamp(Math.min(a.y, b.y), height);
  const x1 = clamp(Math.max(a.x, b.x), width);
  const y1 = clamp(Math.max(a.y, b.y), height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Which element each region job repaints (outside React state so the event handler sees it at once). */
type Target = { pageId: Page['id']; elementId: ImageElement['id']; source: string };
const regionJobs = new Map<string, Target>();

export function RegionRegenerate({
  api,
  store,
  images,
  report,
  element,
  settings,
}: {
  api: PosterApi;
  store: EditorStore;
  images: ImageCache;
  report: (e: unknown) => void;
  element: ImageElement | undefined;
  settings: RegionSettings;
}) {
  const { t } = useI18n();
  const asset = useEditor(store, (s) => (element ? s.doc.assets[element.asset] : undefined));
  const [url, setUrl] = useState<string | null>(null);
  const [rect, setRect] = useState<MaskRect | null>(null);
  const [job, setJob] = useState<EngineJobEvent | null>(null);
  const [strength, setStrength] = useState(1);
  const drag = useRef<{ x: number; y: number } | null>(null);

  // A fresh rectangle (the middle half) for each image; the thumbnail from the asset's bytes.
  useEffect(() => {
    if (!asset) return;
    setRect({
      x: Math.round(asset.width / 4),
      y: Math.round(asset.height / 4),
      width: Math.round(asset.width / 2),
      height: Math.round(asset.height / 2),
    });
    let live = true;
    let made: string | null = null;
    api.call('assets.get', { sha256: asset.sha256 }).then(
      ({ bytes, mime }) => {
        if (!live) return;
        made = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }));
        setUrl(made);
      },
      (e) => report(e),
    );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
      setUrl(null);
    };
  }, [api, asset, report]);

  useEffect(
    () =>
      api.on('engine.job', (event) => {
        const target = regionJobs.get(event.job.id);
        if (!target) return;
        setJob((j) => (j && j.job.id === event.job.id ? { ...event, preview: event.preview ?? j.preview } : j));
        if (event.image) {
          regionJobs.delete(event.job.id);
          void replaceRef.current(event, target);
        } else if (/failed|cancelled/.test(event.job.state)) regionJobs.delete(event.job.id);
      }),
    [api],
  );

  // The event handler is registered once; it calls the latest replaceImage through this ref.
  const replaceRef = useRef(replaceImage);
  replaceRef.current = replaceImage;

  async function replaceImage(event: EngineJobEvent, target: Target): Promise<void> {
    const image = event.image;
    if (!image) return;
    try {
      const page = store.getState().doc.pages.find((p) => p.id === target.pageId);
      const el = page?.elements.find((e) => e.id === target.elementId);
      // The element was deleted or given another image meanwhile: keep the user's change.
      if (el?.type !== 'image' || el.asset !== target.source) return;
      const { bytes, mime } = await api.call('assets.get', { sha256: image.sha256 });
      images.prime(image.sha256, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }));
      const before = store.getState().doc.assets[target.source];
      const next: Asset = {
        sha256: image.sha256,
        mime,
        width: image.width,
        height: image.height,
        byteLength: bytes.length,
        name: `${before?.name ?? 'image'} (region)`.slice(0, 500),
      };
      store.execute(
        {
          type: 'batch',
          commands: [
            { type: 'addAssets', assets: [next] },
            { type: 'updateElements', pageId: target.pageId, updates: [{ id: el.id, patch: { asset: next.sha256 } }] },
          ],
        },
        t('regenerateRegion'),
        { select: [el.id] },
      );
    } catch (e) {
      report(e);
    }
  }

  if (!element || !asset || !rect) return null;
  const scale = THUMB / Math.max(asset.width, asset.height);
  const tw = Math.round(asset.width * scale);
  const th = Math.round(asset.height * scale);
  const toImage = (e: ReactPointerEvent<HTMLDivElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    return { x: ((e.clientX - box.left) / box.width) * asset.width, y: ((e.clientY - box.top) / box.height) * asset.height };
  };
  const busy = job !== null && (job.job.state === 'queued' || job.job.state === 'running');
  const empty = rect.width < 1 || rect.height < 1;

  async function start(): Promise<void> {
    if (!element || !asset || !rect || !settings.model || !settings.prompt.trim()) return;
    try {
      const { jobId } = await api.call('engine.generate', {
        prompt: settings.prompt,
        negativePrompt: settings.negativePrompt,
        steps: settings.steps,
        cfg: settings.cfg,
        seed: settings.seed,
        model: settings.model,
        region: { image: asset.sha256, mask: rect, strength },
      });
      regionJobs.set(jobId, { pageId: store.page.id, elementId: element.id, source: asset.sha256 });
      setJob({
        job: {
          id: jobId,
          state: 'queued',
          step: 0,
          steps: settings.steps,
          prompt: settings.prompt,
          negativePrompt: settings.negativePrompt,
          width: asset.width,
          height: asset.height,
          cfg: settings.cfg,
          seed: settings.seed,
          model: settings.model,
          regionOf: asset.sha256,
        },
      });
    } catch (e) {
      report(e);
    }
  }

  const field = (key: keyof MaskRect, max: number) => (
    <label className="field">
      <span>{key}</span>
      <input
        type="number"
        data-testid={`region-${key}`}
        min={0}
        max={max}
        value={rect[key]}
        onChange={(e) => setRect({ ...rect, [key]: Math.max(0, Math.min(max, Math.floor(Number(e.target.value) || 0))) })}
      />
    </label>
  );

  return (
    <div className="region" data-testid="region-panel">
      <h3>{t('regenerateRegion')}</h3>
      <p className="hint">{t('regionHint')}</p>
      <div
        data-testid="region-thumb"
        style={{ position: 'relative', width: tw, height: th, cursor: 'crosshair', touchAction: 'none', userSelect: 'none' }}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          drag.current = toImage(e);
        }}
        onPointerMove={(e) => {
          if (drag.current) setRect(dragRect(drag.current, toImage(e), asset.width, asset.height));
        }}
        onPointerUp={(e) => {
          if (drag.current) setRect(dragRect(drag.current, toImage(e), asset.width, asset.height));
          drag.current = null;
        }}
      >
        {url && <img src={url} alt="" width={tw} height={th} draggable={false} style={{ display: 'block' }} />}
        <div
          data-testid="region-rect"
          style={{
            position: 'absolute',
            left: rect.x * scale,
            top: rect.y * scale,
            width: rect.width * scale,
            height: rect.height * scale,
            outline: '2px dashed #fff',
            boxShadow: '0 0 0 9999px rgba(0, 0, 0, 0.35)',
            pointerEvents: 'none',
          }}
        />
      </div>
      <div className="region-fields">
        {field('x', asset.width - 1)}
        {field('y', asset.height - 1)}
        {field('width', asset.width - rect.x)}
        {field('height', asset.height - rect.y)}
      </div>
      <label className="field" title={t('regionStrengthHint')}>
        <span>{t('regionStrength')}</span>
        <input
          type="number"
          data-testid="region-strength"
          min={0.1}
          max={1}
          step={0.1}
          value={strength}
          onChange={(e) => setStrength(Math.max(0.1, Math.min(1, Number(e.target.value) || 1)))}
        />
      </label>
      <button
        type="button"
        data-testid="region-start"
        disabled={busy || empty || !settings.model || !settings.prompt.trim()}
        onClick={() => void start()}
      >
        {t('regenerateRegion')}
      </button>
      {job && (
        <div className="region-job" data-testid="region-job" data-state={job.job.state}>
          {job.preview && <img src={job.preview} alt="" width={32} height={32} style={{ imageRendering: 'pixelated' }} />}
          <progress max={job.job.steps} value={job.job.step} />
          {job.job.state === 'failed' && <span className="hint">{t('jobFailed', { error: job.job.error ?? '' })}</span>}
        </div>
      )}
    </div>
  );
}
