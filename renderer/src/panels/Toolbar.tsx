import type { Actions } from '../actions';
import { useEditor } from '../hooks';
import { useI18n } from '../i18n';
import type { EditorStore } from '../state/editor-store';
import { Icon } from './icons';

interface Props {
  store: EditorStore;
  actions: Actions;
  zoom: number;
  showGuides: boolean;
  setShowGuides(v: boolean): void;
}

const mod = navigator.platform.toLowerCase().includes('mac') ? '⌘' : 'Ctrl+';

interface BtnProps {
  label: string;
  icon: React.ReactNode;
  onClick(): void;
  disabled?: boolean;
  keys?: string;
  testid?: string;
}

function Btn(p: BtnProps) {
  return (
    <button
      type="button"
      className="tool"
      title={p.keys ? `${p.label} (${p.keys})` : p.label}
      aria-label={p.label}
      onClick={p.onClick}
      disabled={p.disabled}
      data-testid={p.testid}
    >
      <span className="icon" aria-hidden>
        {p.icon}
      </span>
    </button>
  );
}

export function Toolbar({ store, actions: a, zoom, showGuides, setShowGuides }: Props) {
  const { t, lang, setLang } = useI18n();
  const s = useEditor(store, (st) => st);
  const hasSel = s.selection.length > 0;
  return (
    <header className="toolbar" role="toolbar">
      <div className="group">
        <Btn label={t('new')} icon={<Icon name="new" />} onClick={a.new} keys={`${mod}N`} testid="new" />
        <Btn label={t('open')} icon={<Icon name="open" />} onClick={a.open} keys={`${mod}O`} testid="open" />
        <Btn label={t('save')} icon={<Icon name="save" />} onClick={a.save} keys={`${mod}S`} testid="save" />
        <Btn label={t('saveAs')} icon="⤓" onClick={a.saveAs} keys={`${mod}Shift+S`} testid="save-as" />
      </div>
      <div className="group">
        <Btn label={t('importImage')} icon={<Icon name="import" />} onClick={a.importImage} keys={`${mod}I`} testid="import" />
        <Btn label={t('rectangle')} icon="▭" onClick={a.addRect} testid="add-rect" />
        <Btn label={t('ellipse')} icon="◯" onClick={a.addEllipse} testid="add-ellipse" />
        <Btn label={t('text')} icon="T" onClick={a.addText} testid="add-text" />
      </div>
      <div className="group">
        <Btn
          label={s.undoLabel ? `${t('undo')}: ${s.undoLabel}` : t('undo')}
          icon="↶"
          onClick={a.undo}
          disabled={!s.canUndo}
          keys={`${mod}Z`}
          testid="undo"
        />
        <Btn
          label={s.redoLabel ? `${t('redo')}: ${s.redoLabel}` : t('redo')}
          icon="↷"
          onClick={a.redo}
          disabled={!s.canRedo}
          keys={`${mod}Shift+Z`}
          testid="redo"
        />
        <Btn label={t('duplicate')} icon={<Icon name="duplicate" />} onClick={a.duplicate} disabled={!hasSel} keys={`${mod}D`} />
        <Btn label={t('delete')} icon={<Icon name="delete" />} onClick={a.delete} disabled={!hasSel} keys="Del" />
      </div>
      <div className="group">
        <Btn label={t('alignLeft')} icon="⇤" onClick={() => a.align('left')} disabled={!hasSel} testid="align-left" />
        <Btn label={t('alignHCenter')} icon="↔" onClick={() => a.align('hcenter')} disabled={!hasSel} />
        <Btn label={t('alignRight')} icon="⇥" onClick={() => a.align('right')} disabled={!hasSel} />
        <Btn label={t('alignTop')} icon="⤒" onClick={() => a.align('top')} disabled={!hasSel} />
        <Btn label={t('alignVCenter')} icon="↕" onClick={() => a.align('vcenter')} disabled={!hasSel} />
        <Btn label={t('alignBottom')} icon="⤓" onClick={() => a.align('bottom')} disabled={!hasSel} />
      </div>
      <div className="group">
        <Btn label={t('bringToFront')} icon="⇈" onClick={() => a.reorder('front')} disabled={!hasSel} keys={`${mod}Shift+]`} />
        <Btn label={t('bringForward')} icon="↑" onClick={() => a.reorder('forward')} disabled={!hasSel} keys={`${mod}]`} />
        <Btn label={t('sendBackward')} icon="↓" onClick={() => a.reorder('backward')} disabled={!hasSel} keys={`${mod}[`} />
        <Btn label={t('sendToBack')} icon="⇊" onClick={() => a.reorder('back')} disabled={!hasSel} keys={`${mod}Shift+[`} />
        <Btn label={t('group')} icon="▣" onClick={a.group} disabled={s.selection.length < 2} keys={`${mod}G`} />
        <Btn label={t('ungroup')} icon="▢" onClick={a.ungroup} disabled={!hasSel} keys={`${mod}Shift+G`} />
      </div>
      <div className="group">
        <Btn label={t('zoomOut')} icon="−" onClick={a.zoomOut} keys={`${mod}-`} />
        <span className="zoom" data-testid="zoom" title={t('zoomLabel')}>
          {/* 96 CSS px per inch: 100% shows the page at its printed size on a standard screen. */}
          {Math.round((zoom / (96 / 25.4)) * 100)}%
        </span>
        <Btn label={t('zoomIn')} icon="+" onClick={a.zoomIn} keys={`${mod}=`} />
        <Btn label={t('zoomFit')} icon="⤢" onClick={a.zoomFit} keys={`${mod}0`} />
        <Btn label={t('preflight')} icon="✓" onClick={a.preflight} testid="preflight" />
        <label className="check" title={t('showGuides')}>
          <input type="checkbox" checked={showGuides} onChange={(e) => setShowGuides(e.target.checked)} />
          {t('bleed')}
        </label>
      </div>
      <div className="spacer" />
      <button type="button" className="lang" onClick={() => setLang(lang === 'en' ? 'zh' : 'en')} data-testid="lang">
        {t('language')}
      </button>
    </header>
  );
}
