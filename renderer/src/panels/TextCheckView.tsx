// The text check of a finished job that asked for "text to paint": runs OCR on the image (in
// the engine process, through the API), shows what it read, the character accuracy and where it
// differs, and offers two fixes: retry with new seeds until the text reads right (the best image
// replaces the placed one), or put an exact vector text frame where the painted text is.
import { useEffect, useRef, useState } from 'react';
import type { EngineJob, EngineJobEvent, PosterApi } from '../../../core/api/contract';
import type { Asset, ImageElement, Page } from '../../../core/document/schema';
import { paintedTextPlace, vectorTextElements } from '../../../core/text-replace';
import { MAX_RETRIES, type RetryAttempt, type RetryImage, retryUntilMatch } from '../../../core/text-retry';
import type { ImageCache } from '../canvas/image-cache';
import { useI18n } from '../i18n';
import type { EditorStore } from '../state/editor-store';

/**
 * Jobs started by a retry: their images are candidates, not placed on the canvas when they
 * finish (the panel that places finished images skips these ids).
 */
export const retryJobs = new Set<string>();

const randomSeed = () => Math.floor(Math.random() * 2 ** 32);

/** Runs one job like `job` with another seed and resolves with its image (rejects if it fails or is cancelled). */
function generateLike(api: PosterApi, job: EngineJob, seed: number): Promise<RetryImage> {
  return new Promise((resolve, reject) => {
    let id: string | undefined;
    const early: EngineJobEvent[] = [];
    const settle = (event: EngineJobEvent): boolean => {
      if (event.image) resolve(event.image);
      else if (event.job.state === 'failed') reject(new Error(event.job.error ?? 'The retry job failed.'));
      else if (event.job.state === 'cancelled') reject(new Error('The retry job was cancelled.'));
      else return false;
      off();
      return true;
    };
    const off = api.on('engine.job', (event) => {
      if (id === undefined) early.push(event);
      else if (event.job.id === id) settle(event);
    });
    api
      .call('engine.generate', {
        prompt: job.prompt,
        negativePrompt: job.negativePrompt,
        width: job.width,
        height: job.height,
        steps: job.steps,
        cfg: job.cfg,
        seed,
        model: job.model,
        paintText: job.paintText,
      })
      .then(({ jobId }) => {
        retryJobs.add(jobId);
        id = jobId;
        for (const e of early) if (e.job.id === jobId && settle(e)) return;
      })
      .catch((e: unknown) => {
        off();
        reject(e);
      });
  });
}

/** The image element showing `sha256` (the current page first), with its page. */
function findImage(pages: Page[], current: Page, sha256: string): { page: Page; el: ImageElement } | undefined {
  for (const page of [current, ...pages.filter((p) => p.id !== current.id)]) {
    const el = page.elements.find((e): e is ImageElement => e.type === 'image' && e.asset === sha256);
    if (el) return { page, el };
  }
  return undefined;
}

/** The median colour around a pixel box of an image (what lies behind painted text), as #rrggbb. */
async function colourAround(blob: Blob, box: { x0: number; y0: number; x1: number; y1: number }): Promise<string | null> {
  const bitmap = await createImageBitmap(blob);
  const c = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = c.getContext('2d');
  if (!g) return null;
  g.drawImage(bitmap, 0, 0);
  const x0 = Math.max(0, Math.floor(box.x0) - 2);
  const y0 = Math.max(0, Math.floor(box.y0) - 2);
  const x1 = Math.min(bitmap.width - 1, Math.ceil(box.x1) + 2);
  const y1 = Math.min(bitmap.height - 1, Math.ceil(box.y1) + 2);
  const data = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const rs: number[] = [];
  const gs: number[] = [];
  const bs: number[] = [];
  const take = (x: number, y: number) => {
    const i = (y * bitmap.width + x) * 4;
    rs.push(data[i] ?? 0);
    gs.push(data[i + 1] ?? 0);
    bs.push(data[i + 2] ?? 0);
  };
  for (let x = x0; x <= x1; x++) {
    take(x, y0);
    take(x, y1);
  }
  for (let y = y0; y <= y1; y++) {
    take(x0, y);
    take(x1, y);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
  return `#${[med(rs), med(gs), med(bs)].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

const luminance = (hex: string) => {
  const v = Number.parseInt(hex.slice(1), 16);
  return (0.2126 * ((v >> 16) & 255) + 0.7152 * ((v >> 8) & 255) + 0.0722 * (v & 255)) / 255;
};

export function TextCheckView({
  api,
  store,
  images,
  report,
  event,
}: {
  api: PosterApi;
  store: EditorStore;
  images: ImageCache;
  report: (e: unknown) => void;
  event: EngineJobEvent;
}) {
  const { t } = useI18n();
  const job = event.job;
  const text = job.paintText ?? '';
  // The image the check is about: the job's, or the best one a retry put in its place.
  const [current, setCurrent] = useState<RetryAttempt | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tries, setTries] = useState(4);
  const [retry, setRetry] = useState<{ n: number; of: number; best: number } | null>(null);
  const [cover, setCover] = useState(false);
  const started = useRef(false);

  useEffect(() => {
    const image = event.image;
    if (!image || !text || started.current) return;
    started.current = true;
    api.call('engine.textCheck', { sha256: image.sha256, expected: text }).then(
      (check) => setCurrent({ seed: job.seed, image, check }),
      (e: unknown) => setError((e as Error)?.message ?? String(e)),
    );
  }, [api, event.image, text, job.seed]);

  if (!text || !event.image) return null;
  if (error)
    return (
      <div className="text-check" data-testid="tc-error">
        {t('textCheckFailed', { error })}
      </div>
    );
  if (!current)
    return (
      <div className="text-check hint" data-testid="tc-pending">
        {t('textChecking')}
      </div>
    );

  const { check } = current;

  async function assetFor(image: RetryImage): Promise<{ asset: Asset; blob: Blob }> {
    const { bytes, mime } = await api.call('assets.get', { sha256: image.sha256 });
    const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime });
    images.prime(image.sha256, blob);
    return {
      asset: {
        sha256: image.sha256,
        mime,
        width: image.width,
        height: image.height,
        byteLength: bytes.length,
        name: job.prompt.slice(0, 60),
      },
      blob,
    };
  }

  async function runRetry(): Promise<void> {
    if (!current) return;
    setRetry({ n: 0, of: tries, best: current.check.accuracy });
    try {
      const result = await retryUntilMatch(
        {
          generate: (seed) => generateLike(api, job, seed),
          check: (image) => api.call('engine.textCheck', { sha256: image.sha256, expected: text }),
          nextSeed: randomSeed,
        },
        {
          tries,
          initial: current,
          onAttempt: (_a, n, best) => setRetry({ n, of: tries, best: best.check.accuracy }),
        },
      );
      const best = result.best;
      if (best && best.image.sha256 !== current.image.sha256) {
        // The best try takes the place of the image on the canvas, as one undo step.
        const found = findImage(store.getState().doc.pages, store.page, current.image.sha256);
        const { asset } = await assetFor(best.image);
        if (found)
          store.execute(
            {
              type: 'batch',
              commands: [
                { type: 'addAssets', assets: [asset] },
                { type: 'updateElements', pageId: found.page.id, updates: [{ id: found.el.id, patch: { asset: best.image.sha256 } }] },
              ],
            },
            t('textRetry'),
          );
        setCurrent(best);
      }
    } catch (e) {
      report(e);
    } finally {
      setRetry(null);
    }
  }

  async function replace(): Promise<void> {
    if (!current) return;
    const found = findImage(store.getState().doc.pages, store.page, current.image.sha256);
    if (!found) {
      report(new Error(t('textReplaceNoImage')));
      return;
    }
    try {
      const { el, page } = found;
      const place = paintedTextPlace(current.check.lines, el, current.image.width, current.image.height);
      // The colour behind the text (sampled from the image's pixels) decides the cover and a readable text colour.
      const px = {
        x0: ((place.x - el.x) / el.width) * current.image.width,
        x1: ((place.x + place.width - el.x) / el.width) * current.image.width,
        y0: ((place.y - el.y) / el.height) * current.image.height,
        y1: ((place.y + place.height - el.y) / el.height) * current.image.height,
      };
      const { blob } = await assetFor(current.image);
      const behind = await colourAround(blob, px).catch(() => null);
      const color = behind && luminance(behind) < 0.5 ? '#ffffff' : '#1a1a1a';
      const elements = vectorTextElements(text, place, { color, cover: cover ? (behind ?? '#ffffff') : null });
      const index = page.elements.findIndex((e) => e.id === el.id) + 1;
      const textEl = elements[elements.length - 1];
      store.execute({ type: 'addElements', pageId: page.id, elements, index }, t('textReplace'), { select: textEl ? [textEl.id] : [] });
    } catch (e) {
      report(e);
    }
  }

  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return (
    <div className="text-check" data-testid="text-check" data-accuracy={check.accuracy}>
      <div>
        {t('textCheckRead')}{' '}
        {check.read ? <q data-testid="tc-read">{check.read}</q> : <span data-testid="tc-read">{t('textCheckNothing')}</span>} ·{' '}
        <strong data-testid="tc-accuracy">{pct(check.accuracy)}</strong>
        {current.seed !== job.seed && <span data-testid="tc-best-seed"> · {t('textRetryBest', { seed: current.seed })}</span>}
      </div>
      <div className="tc-diff" data-testid="tc-diff" title={t('textCheckLegend')}>
        {check.diff.map((d, i) =>
          d.op === 'wrong' ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: the runs are fixed for this result
            <span key={i} className="tc-wrong" data-op="wrong" title={t('textCheckWrong', { read: d.read })}>
              {d.text}
            </span>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: the runs are fixed for this result
            <span key={i} className={`tc-${d.op}`} data-op={d.op}>
              {d.text}
            </span>
          ),
        )}
      </div>
      {check.accuracy < 1 && (
        <div className="tc-actions">
          <label>
            {t('textRetryTries')}{' '}
            <input
              type="number"
              data-testid="tc-tries"
              min={1}
              max={MAX_RETRIES}
              value={tries}
              disabled={retry !== null}
              onChange={(e) => setTries(Math.max(1, Math.min(MAX_RETRIES, Math.floor(Number(e.target.value) || 1))))}
            />
          </label>
          <button type="button" data-testid="tc-retry" disabled={retry !== null} onClick={() => void runRetry()}>
            {t('textRetry')}
          </button>
          {retry && (
            <span className="hint" data-testid="tc-progress">
              {t('textRetryProgress', { n: retry.n, of: retry.of, best: pct(retry.best) })}
            </span>
          )}
          <label>
            <input type="checkbox" data-testid="tc-cover" checked={cover} onChange={(e) => setCover(e.target.checked)} />{' '}
            {t('textReplaceCover')}
          </label>
          <button type="button" data-testid="tc-replace" disabled={retry !== null} onClick={() => void replace()}>
            {t('textReplace')}
          </button>
        </div>
      )}
    </div>
  );
}
