// The engine's jobs in the order they run: a progress bar and the live step preview each, cancel,
// retry (the same settings as a new job), moving waiting jobs up and down (buttons or drag), and
// failures in words with what to do. Rows re-render only when their own job changes.
import { memo, type ReactNode, useCallback, useState } from 'react';
import { useI18n } from '../i18n';
import { type EngineJobs, type JobRow, useEngineJobs } from '../state/engine-jobs';
import { explainJobError } from './job-errors';

export interface QueuePanelProps {
  jobs: EngineJobs;
  /** Extra content under a row (the text check of its image, say). */
  rowExtra?: (row: JobRow) => ReactNode;
}

export function QueuePanel({ jobs, rowExtra }: QueuePanelProps) {
  const { t } = useI18n();
  const rows = useEngineJobs(jobs, (s) => s.rows);
  const [dragged, setDragged] = useState<string | null>(null);
  const queued = rows.filter((r) => r.job.state === 'queued').map((r) => r.job.id);

  const cancel = useCallback((id: string) => void jobs.cancel(id), [jobs]);
  const retry = useCallback((id: string) => void jobs.retry(id), [jobs]);
  const move = useCallback(
    (id: string, delta: number) => {
      const at = jobs.queuedIds().indexOf(id);
      if (at >= 0) void jobs.moveTo(id, at + delta);
    },
    [jobs],
  );
  const drop = useCallback(
    (onto: string) => {
      if (dragged && dragged !== onto) void jobs.moveTo(dragged, jobs.queuedIds().indexOf(onto));
      setDragged(null);
    },
    [jobs, dragged],
  );

  return (
    <section className="panel queue" aria-label={t('queue')} data-testid="queue-panel">
      <h2>{t('queue')}</h2>
      {rows.length === 0 && <p className="hint">{t('queueEmpty')}</p>}
      <ul className="jobs" data-testid="gen-jobs">
        {rows.map((r) => (
          <JobRowView
            key={r.job.id}
            row={r}
            queuedIndex={queued.indexOf(r.job.id)}
            queuedCount={queued.length}
            cancel={cancel}
            retry={retry}
            move={move}
            onDragStart={setDragged}
            onDrop={drop}
            extra={rowExtra?.(r)}
          />
        ))}
      </ul>
    </section>
  );
}

interface RowProps {
  row: JobRow;
  queuedIndex: number;
  queuedCount: number;
  cancel(id: string): void;
  retry(id: string): void;
  move(id: string, delta: number): void;
  onDragStart(id: string | null): void;
  onDrop(onto: string): void;
  extra?: ReactNode;
}

const JobRowView = memo(function JobRowView({ row, queuedIndex, queuedCount, cancel, retry, move, onDragStart, onDrop, extra }: RowProps) {
  const { t } = useI18n();
  const job = row.job;
  const id = job.id;
  const waiting = job.state === 'queued';
  const label =
    job.state === 'running'
      ? t('jobRunning', { step: job.step, steps: job.steps })
      : t(
          job.state === 'done'
            ? 'jobDone'
            : job.state === 'cancelled'
              ? 'jobCancelled'
              : job.state === 'failed'
                ? 'jobFailed'
                : 'jobQueued',
          {
            error: '',
          },
        );
  const why = job.state === 'failed' ? explainJobError(job.error) : undefined;
  return (
    <li
      data-testid="gen-job"
      data-job-id={id}
      data-state={job.state}
      className={waiting ? 'waiting' : undefined}
      draggable={waiting}
      title={waiting ? t('jobDragHint') : undefined}
      onDragStart={(e) => {
        e.dataTransfer.effectAllowed = 'move';
        e.dataTransfer.setData('text/plain', id);
        onDragStart(id);
      }}
      onDragEnd={() => onDragStart(null)}
      onDragOver={(e) => {
        if (waiting) e.preventDefault();
      }}
      onDrop={(e) => {
        e.preventDefault();
        if (waiting) onDrop(id);
      }}
    >
      <div className="job-thumb">
        {row.preview && <img src={row.preview} alt="" width={48} height={48} data-testid="gen-preview" decoding="async" />}
      </div>
      <div className="job-body">
        <div className="job-prompt" data-testid="job-prompt">
          {job.prompt}
        </div>
        <progress max={job.steps} value={job.state === 'done' ? job.steps : job.step} />
        <div className="hint" data-testid="job-state">
          {label.replace(/[:：]\s*$/, '')} · {job.width}×{job.height} · {job.seed}
        </div>
        {why && (
          <div className="job-error" role="alert" data-testid="job-error">
            <strong>{t(why.what)}</strong> {t(why.fix)}
            <div className="hint">{job.error}</div>
          </div>
        )}
        {extra && <div className="job-extra">{extra}</div>}
      </div>
      <div className="job-actions">
        {waiting && (
          <>
            <button
              type="button"
              data-testid="job-up"
              aria-label={t('moveUp')}
              title={t('moveUp')}
              disabled={queuedIndex <= 0}
              onClick={() => move(id, -1)}
            >
              ↑
            </button>
            <button
              type="button"
              data-testid="job-down"
              aria-label={t('moveDown')}
              title={t('moveDown')}
              disabled={queuedIndex < 0 || queuedIndex >= queuedCount - 1}
              onClick={() => move(id, 1)}
            >
              ↓
            </button>
          </>
        )}
        {(waiting || job.state === 'running') && (
          <button type="button" data-testid="gen-cancel" onClick={() => cancel(id)}>
            {t('cancel')}
          </button>
        )}
        {(job.state === 'failed' || job.state === 'cancelled') && (
          <button type="button" data-testid="job-retry" onClick={() => retry(id)}>
            {t('retry')}
          </button>
        )}
      </div>
    </li>
  );
});
