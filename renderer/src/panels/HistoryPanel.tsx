// The project's generation history: every generated image with the settings that made it.
// Use its settings again, place it again (one undo step), compare 2-4 variants side by side at
// one scale, or delete it from the history (also undoable).
import { useEffect, useMemo, useRef, useState } from 'react';
import { createImageFor } from '../../../core/document/factory';
import type { GenerationEntry } from '../../../core/document/schema';
import type { GenerationId } from '../../../core/ids';
import type { ImageCache } from '../canvas/image-cache';
import { useEditor } from '../hooks';
import { type Translate, useI18n } from '../i18n';
import type { EditorStore } from '../state/editor-store';
import type { GenerationRecorder } from '../state/generation-recorder';

const THUMB = 56;
const MAX_COMPARE = 4;
/** Entries drawn at first (and added per "show more"): a long history stays quick to open. */
const PAGE = 60;

/** Draws a project image into a canvas of `width` x `height` CSS pixels. */
/** The settings of a generation in one line: seed, size, steps, CFG and how long it took. */
function metaLine(t: Translate, g: GenerationEntry): string {
  return t('historyMeta', {
    seed: g.seed,
    width: g.width,
    height: g.height,
    steps: g.steps,
    cfg: g.cfg,
    seconds: (g.durationMs / 1000).toFixed(1),
  });
}

function AssetImage({
  images,
  sha256,
  width,
  height,
  testid,
}: {
  images: ImageCache;
  sha256: string;
  width: number;
  height: number;
  testid?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let live = true;
    setReady(false);
    images.get(sha256).then(
      (source) => {
        const canvas = ref.current;
        if (!live || !canvas) return;
        const dpr = window.devicePixelRatio || 1;
        canvas.width = Math.max(1, Math.round(width * dpr));
        canvas.height = Math.max(1, Math.round(height * dpr));
        const ctx = canvas.getContext('2d');
        if (!ctx) return;
        ctx.imageSmoothingQuality = 'high';
        ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
        setReady(true);
      },
      () => {},
    );
    return () => {
      live = false;
    };
  }, [images, sha256, width, height]);
  return <canvas ref={ref} style={{ width, height }} data-testid={testid} data-ready={ready ? '1' : '0'} data-asset={sha256} />;
}

/** Fits w x h inside box x box, keeping the aspect. */
const fitBox = (w: number, h: number, box: number) => {
  const s = box / Math.max(w, h);
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) };
};

export function HistoryPanel({ store, images, recorder }: { store: EditorStore; images: ImageCache; recorder: GenerationRecorder }) {
  const { t } = useI18n();
  const generations = useEditor(store, (s) => s.doc.generations);
  const newestFirst = useMemo(() => generations.slice().reverse(), [generations]);
  const [picked, setPicked] = useState<GenerationId[]>([]);
  const [comparing, setComparing] = useState(false);
  const [shown, setShown] = useState(PAGE);
  // Entries deleted (or undone away) drop out of the comparison.
  const live = picked.filter((id) => generations.some((g) => g.id === id));

  const togglePick = (id: GenerationId) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : p.length >= MAX_COMPARE ? p : [...p, id]));

  const placeAgain = (g: GenerationEntry) => {
    const { doc, selection } = store.getState();
    const asset = doc.assets[g.asset];
    if (!asset) return;
    const page = store.page;
    const el = createImageFor(page, asset);
    const frame = selection.length === 1 ? page.elements.find((e) => e.id === selection[0]) : undefined;
    if (frame) {
      // Inside the selected frame, centred, keeping the image's aspect.
      const s = Math.min(frame.width / asset.width, frame.height / asset.height);
      const width = asset.width * s;
      const height = asset.height * s;
      Object.assign(el, {
        x: frame.x + (frame.width - width) / 2,
        y: frame.y + (frame.height - height) / 2,
        width,
        height,
        rotation: frame.rotation,
      });
    }
    store.execute({ type: 'addElements', pageId: page.id, elements: [el] }, t('historyPlaceAgain'), { select: [el.id] });
  };

  return (
    <section className="panel history" aria-label={t('history')} data-testid="history-panel">
      <h2>
        {t('history')} ({generations.length})
      </h2>
      {generations.length === 0 && <p className="hint">{t('historyEmpty')}</p>}
      {generations.length > 0 && (
        <div className="history-compare-bar">
          <button type="button" data-testid="history-compare" disabled={live.length < 2} onClick={() => setComparing(true)}>
            {t('historyCompare', { count: live.length })}
          </button>
          {live.length < 2 && <span className="hint">{t('historyCompareHint')}</span>}
        </div>
      )}
      <ul className="history-list" data-testid="history-list">
        {newestFirst.slice(0, shown).map((g) => {
          const thumb = fitBox(g.width, g.height, THUMB);
          return (
            <li key={g.id} data-testid="history-entry" data-id={g.id}>
              <label className="history-thumb" title={t('historyPick')}>
                <input
                  type="checkbox"
                  data-testid="history-pick"
                  checked={live.includes(g.id)}
                  disabled={!live.includes(g.id) && live.length >= MAX_COMPARE}
                  onChange={() => togglePick(g.id)}
                />
                <AssetImage images={images} sha256={g.asset} width={thumb.width} height={thumb.height} testid="history-thumb" />
              </label>
              <div className="history-info">
                <div className="history-prompt" data-testid="history-prompt" title={g.prompt}>
                  {g.prompt}
                </div>
                <div className="hint" data-testid="history-meta" title={t('historyModel', { name: g.model.name })}>
                  {metaLine(t, g)}
                </div>
                <div className="hint">
                  <time dateTime={g.createdAt}>{new Date(g.createdAt).toLocaleString()}</time>
                </div>
                <div className="history-actions">
                  <button type="button" data-testid="history-use" onClick={() => recorder.applySettings(g)}>
                    {t('historyUseSettings')}
                  </button>
                  <button type="button" data-testid="history-place" onClick={() => placeAgain(g)}>
                    {t('historyPlaceAgain')}
                  </button>
                  <button
                    type="button"
                    data-testid="history-delete"
                    aria-label={t('historyDelete')}
                    title={t('historyDelete')}
                    onClick={() => store.execute({ type: 'removeGenerations', ids: [g.id] }, t('historyDelete'))}
                  >
                    ×
                  </button>
                </div>
              </div>
            </li>
          );
        })}
      </ul>
      {newestFirst.length > shown && (
        <button type="button" data-testid="history-more" onClick={() => setShown((n) => n + PAGE)}>
          {t('historyMore', { count: Math.min(PAGE, newestFirst.length - shown) })}
        </button>
      )}
      {comparing && live.length >= 2 && (
        <CompareDialog
          images={images}
          entries={live.map((id) => generations.find((g) => g.id === id) as GenerationEntry)}
          onClose={() => setComparing(false)}
        />
      )}
    </section>
  );
}

/** The picked entries side by side, every image drawn at the same scale (pixels per image pixel). */
function CompareDialog({ images, entries, onClose }: { images: ImageCache; entries: GenerationEntry[]; onClose(): void }) {
  const { t } = useI18n();
  const gap = 12;
  const availW = Math.min(1400, window.innerWidth * 0.92) - 40 - gap * (entries.length - 1);
  const availH = window.innerHeight * 0.6;
  const scale = Math.min(availW / entries.reduce((sum, g) => sum + g.width, 0), availH / Math.max(...entries.map((g) => g.height)));
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div
      className="modal-backdrop"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
        e.stopPropagation();
      }}
    >
      <div className="modal compare" role="dialog" aria-modal="true" aria-label={t('historyCompareTitle')} data-testid="compare-dialog">
        <h3>{t('historyCompareTitle')}</h3>
        <div className="compare-row" style={{ gap }}>
          {entries.map((g) => (
            <figure key={g.id} data-testid="compare-item" data-scale={scale.toFixed(6)} style={{ width: Math.round(g.width * scale) }}>
              <AssetImage
                images={images}
                sha256={g.asset}
                width={Math.round(g.width * scale)}
                height={Math.round(g.height * scale)}
                testid="compare-image"
              />
              <figcaption>
                <div className="history-prompt" title={g.prompt}>
                  {g.prompt}
                </div>
                <div className="hint">{metaLine(t, g)}</div>
              </figcaption>
            </figure>
          ))}
        </div>
        <div className="buttons">
          <button ref={close} type="button" className="primary" data-testid="compare-close" onClick={onClose}>
            {t('close')}
          </button>
        </div>
      </div>
    </div>
  );
}
