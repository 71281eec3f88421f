import type { Element } from '../../../core/document/schema';
import type { ElementId } from '../../../core/ids';
import { useEditor } from '../hooks';
import { useI18n } from '../i18n';
import type { EditorStore } from '../state/editor-store';
import { Icon } from './icons';

const ICON: Record<Element['type'], React.ReactNode> = { image: <Icon name="image" size={14} />, shape: '▭', text: 'T', group: '▣' };

const FLAGS = [
  { key: 'hidden', on: 'eyeOff', off: 'eye' },
  { key: 'locked', on: 'lock', off: 'unlock' },
] as const;

/** Elements top-most first, as designers expect; click selects, modifier-click adds. */
export function LayersPanel({ store }: { store: EditorStore }) {
  const { t } = useI18n();
  const elements = useEditor(store, (s) => s.doc.pages.find((p) => p.id === s.pageId)?.elements ?? []);
  const selection = useEditor(store, (s) => s.selection);
  const pageId = useEditor(store, (s) => s.pageId);
  const toggle = (el: Element, key: 'hidden' | 'locked') =>
    store.execute(
      { type: 'updateElements', pageId, updates: [{ id: el.id, patch: { [key]: !el[key] } }] },
      key === 'hidden' ? 'Show/hide' : 'Lock/unlock',
    );
  const click = (e: React.MouseEvent, id: ElementId) => {
    if (e.shiftKey || e.metaKey || e.ctrlKey) {
      store.select(selection.includes(id) ? selection.filter((x) => x !== id) : [...selection, id]);
    } else store.select([id]);
  };
  return (
    <aside className="panel layers" aria-label={t('layers')}>
      <h2>{t('layers')}</h2>
      {elements.length === 0 && <p className="empty">{t('emptyLayers')}</p>}
      <ul data-testid="layers">
        {[...elements].reverse().map((el) => (
          <li key={el.id} className={selection.includes(el.id) ? 'selected' : ''} onClick={(e) => click(e, el.id)} data-id={el.id}>
            <span className="kind" aria-hidden>
              {ICON[el.type]}
            </span>
            <span className="name">{el.name}</span>
            {FLAGS.map((f) => (
              <button
                key={f.key}
                type="button"
                className={`mini${el[f.key] ? ' on' : ''}`}
                title={t(f.key)}
                aria-pressed={el[f.key]}
                onClick={(e) => {
                  e.stopPropagation();
                  toggle(el, f.key);
                }}
              >
                <Icon name={el[f.key] ? f.on : f.off} size={14} />
              </button>
            ))}
          </li>
        ))}
      </ul>
    </aside>
  );
}
