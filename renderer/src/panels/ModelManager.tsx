// The model manager dialog: installed models (name, size on disk, precision, last check), import a
// model folder with progress, quick or full check, delete an imported model, and the offloading
// plan of the selected model under the memory budgets, which can be changed and are saved.
import { useCallback, useEffect, useState } from 'react';
import type { EngineModel, EngineModelProgress, EnginePlan, PosterApi } from '../../../core/api/contract';
import { useI18n } from '../i18n';
import type { EngineJobs } from '../state/engine-jobs';
import { useEngineJobs } from '../state/engine-jobs';

const UNITS: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** "24G", "512 MB", "1.5TiB" -> bytes; "" -> null (measured); undefined when unreadable. */
export function parseBudget(text: string): number | null | undefined {
  if (!text.trim()) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * (UNITS[(m[2] as string).toUpperCase()] as number));
}

export function formatSize(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 2 ** 10).toFixed(1)} KiB`;
}

const budgetText = (n: number | null) => (n === null ? '' : n % 2 ** 30 === 0 ? `${n / 2 ** 30}G` : `${Math.round(n / 2 ** 20)}M`);

export function ModelManager({ api, jobs, onClose }: { api: PosterApi; jobs: EngineJobs; onClose(): void }) {
  const { t } = useI18n();
  const models = useEngineJobs(jobs, (s) => s.models);
  const [selected, setSelected] = useState<string | null>(jobs.getState().modelId);
  const [plan, setPlan] = useState<EnginePlan | null>(null);
  const [ram, setRam] = useState('');
  const [gpu, setGpu] = useState('');
  const [importPath, setImportPath] = useState('');
  const [progress, setProgress] = useState<EngineModelProgress | null>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);

  const fail = useCallback((e: unknown) => setMessage({ kind: 'error', text: (e as Error)?.message ?? String(e) }), []);

  useEffect(() => {
    void jobs.refreshModels();
    api.call('engine.settings', {}).then((s) => {
      setRam(budgetText(s.ramBudgetBytes));
      setGpu(budgetText(s.gpuBudgetBytes));
    }, fail);
    return api.on('engine.modelProgress', setProgress);
  }, [api, jobs, fail]);

  const current = models?.find((m) => m.id === selected) ?? models?.[0];

  const loadPlan = useCallback(
    (id: string) => {
      setPlan(null);
      api.call('engine.plan', { id, width: 1024, height: 1024, steps: 20, cfg: 4 }).then(setPlan, fail);
    },
    [api, fail],
  );
  const currentId = current?.id;
  useEffect(() => {
    if (currentId) loadPlan(currentId);
  }, [currentId, loadPlan]);

  async function run(what: () => Promise<string | undefined>): Promise<void> {
    setBusy(true);
    setMessage(null);
    try {
      const text = await what();
      if (text) setMessage({ kind: 'ok', text });
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
      setProgress(null);
      await jobs.refreshModels();
    }
  }

  const verify = (m: EngineModel, level: 'fast' | 'full') =>
    run(async () => {
      await api.call('engine.verifyModel', { id: m.id, level });
      return t('verifyOk');
    });

  const remove = (m: EngineModel) =>
    run(async () => {
      setConfirmDelete(null);
      await api.call('engine.deleteModel', { id: m.id });
      setSelected(null);
      return undefined;
    });

  const importFolder = () =>
    run(async () => {
      const m = await api.call('engine.importModel', { path: importPath.trim() });
      setSelected(m.id);
      setImportPath('');
      return `${m.name}: ${t('verifyOk')}`;
    });

  const saveBudgets = () => {
    const r = parseBudget(ram);
    const g = parseBudget(gpu);
    if (r === undefined || g === undefined) return setMessage({ kind: 'error', text: t('budgetInvalid') });
    void run(async () => {
      await api.call('engine.setSettings', { ramBudgetBytes: r, gpuBudgetBytes: g });
      if (current) loadPlan(current.id);
      return undefined;
    });
  };

  const checked = (m: EngineModel) => {
    if (!m.verified) return t('notVerified');
    const time = m.verifiedAt ? new Date(m.verifiedAt).toLocaleString() : '';
    return t(m.verified === 'full' ? 'verifiedFull' : 'verifiedFast', { time });
  };

  return (
    <div className="modal-backdrop" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="modal model-manager" role="dialog" aria-modal="true" aria-label={t('modelManager')} data-testid="model-manager">
        <h3>{t('modelManager')}</h3>
        <table className="models">
          <thead>
            <tr>
              <th>{t('model')}</th>
              <th>{t('modelSize')}</th>
              <th>{t('modelPrecision')}</th>
              <th>{t('modelVerified')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {models?.map((m) => (
              <tr
                key={m.id}
                data-testid="model-row"
                data-model-id={m.id}
                className={m.id === current?.id ? 'selected' : undefined}
                onClick={() => setSelected(m.id)}
              >
                <td>
                  <strong>{m.name}</strong> <span className="hint">{t(m.source === 'bundled' ? 'modelBundled' : 'modelImported')}</span>
                  <div className="hint path">{m.path}</div>
                </td>
                <td>{formatSize(m.bytes)}</td>
                <td data-testid="model-precision">{m.precision ?? '?'}</td>
                <td data-testid="model-verified">{checked(m)}</td>
                <td className="actions">
                  <button type="button" disabled={busy} onClick={() => void verify(m, 'fast')}>
                    {t('verifyFast')}
                  </button>
                  <button type="button" disabled={busy} data-testid="verify-full" onClick={() => void verify(m, 'full')}>
                    {t('verifyFull')}
                  </button>
                  {m.source === 'user' &&
                    (confirmDelete === m.id ? (
                      <span className="confirm">
                        {t('confirmDeleteModel', { name: m.name })}
                        <button type="button" className="danger" data-testid="confirm-delete" onClick={() => void remove(m)}>
                          {t('deleteModel')}
                        </button>
                        <button type="button" onClick={() => setConfirmDelete(null)}>
                          {t('cancel')}
                        </button>
                      </span>
                    ) : (
                      <button type="button" disabled={busy} data-testid="delete-model" onClick={() => setConfirmDelete(m.id)}>
                        {t('deleteModel')}
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <form
          className="import-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (importPath.trim()) void importFolder();
          }}
        >
          <input
            data-testid="import-path"
            placeholder={t('importPath')}
            aria-label={t('importPath')}
            value={importPath}
            onChange={(e) => setImportPath(e.target.value)}
          />
          <button type="submit" disabled={busy || !importPath.trim()}>
            {t('importModel')}
          </button>
        </form>
        {progress && (
          <div className="hint" data-testid="model-progress">
            <progress max={progress.total} value={progress.done} />{' '}
            {t('importing', {
              action: progress.action === 'import' ? t('importModel') : t('verifyFull'),
              file: progress.file,
              percent: Math.floor((100 * progress.done) / Math.max(1, progress.total)),
            })}
          </div>
        )}
        {message && (
          <p
            className={message.kind === 'error' ? 'error' : 'hint'}
            role={message.kind === 'error' ? 'alert' : 'status'}
            data-testid="model-message"
          >
            {message.text}
          </p>
        )}
        <h4>
          {t('offloadPlan')}
          {current ? ` — ${current.name}` : ''}
        </h4>
        <div className="budgets">
          <label>
            {t('ramBudget')}{' '}
            <input
              data-testid="ram-budget"
              value={ram}
              placeholder={plan ? formatSize(plan.ram.bytes) : ''}
              onChange={(e) => setRam(e.target.value)}
            />
          </label>
          <label>
            {t('gpuBudget')}{' '}
            <input
              data-testid="gpu-budget"
              value={gpu}
              placeholder={plan?.gpu ? formatSize(plan.gpu.bytes) : '—'}
              onChange={(e) => setGpu(e.target.value)}
            />
          </label>
          <button type="button" disabled={busy} data-testid="save-budgets" onClick={saveBudgets}>
            {t('saveBudgets')}
          </button>
          <span className="hint">{t('budgetAuto')}</span>
        </div>
        <pre className={`plan${plan && !plan.fits ? ' error' : ''}`} data-testid="model-plan">
          {plan?.text ?? '…'}
        </pre>
        <div className="buttons">
          <button type="button" data-testid="close-models" onClick={onClose}>
            {t('close')}
          </button>
        </div>
      </div>
    </div>
  );
}
