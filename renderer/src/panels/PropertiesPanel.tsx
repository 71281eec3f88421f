import type { ElementPatch } from '../../../core/document/commands';
import type { Element, Page } from '../../../core/document/schema';
import { matchPreset, PAGE_PRESETS, presetSize } from '../../../core/units';
import type { TextEngine } from '../canvas/text-engine';
import { useEditor } from '../hooks';
import { useI18n } from '../i18n';
import { PRESET_LABELS_ZH } from '../i18n/strings';
import type { EditorStore } from '../state/editor-store';
import { ColorField, NumberField } from './fields';
import { TextSettings } from './TextSettings';

export function PropertiesPanel({
  store,
  engine,
  onAddFont,
}: {
  store: EditorStore;
  engine: TextEngine;
  onAddFont(file: File): Promise<void>;
}) {
  const { t } = useI18n();
  const page = useEditor(store, (s) => s.doc.pages.find((p) => p.id === s.pageId)!);
  const selection = useEditor(store, (s) => s.selection);
  const assets = useEditor(store, (s) => s.doc.assets);
  const selected = page.elements.filter((e) => selection.includes(e.id));
  return (
    <aside className="panel properties" aria-label={t('properties')}>
      <h2>{t('properties')}</h2>
      {selected.length === 0 && <PageSettings store={store} page={page} />}
      {selected.length === 1 && (
        <ElementSettings store={store} page={page} el={selected[0]!} assets={assets} engine={engine} onAddFont={onAddFont} />
      )}
      {selected.length > 1 && <p className="hint">{t('multiSelection', { n: selected.length })}</p>}
    </aside>
  );
}

const PAGE_FIELDS = [
  { key: 'width', min: 10, max: 10000 },
  { key: 'height', min: 10, max: 10000 },
  { key: 'bleed', min: 0, max: 50 },
  { key: 'safeMargin', min: 0, max: 500 },
] as const;

function PageSettings({ store, page }: { store: EditorStore; page: Page }) {
  const { t, lang } = useI18n();
  const match = matchPreset(page.width, page.height);
  const orientation = page.width > page.height ? 'landscape' : 'portrait';
  const update = (patch: Partial<Page>, label = 'Page settings') =>
    store.execute({ type: 'updatePage', pageId: page.id, patch }, label, { mergeKey: `page:${Object.keys(patch).join()}` });
  const setPreset = (id: string, o: 'portrait' | 'landscape') => {
    const size = presetSize(id, o);
    if (size) update({ width: size.widthMm, height: size.heightMm }, 'Page size');
  };
  return (
    <div className="section" data-testid="page-settings">
      <p className="hint">{t('noSelection')}</p>
      <label className="field">
        <span>{t('size')}</span>
        <select
          data-testid="page-preset"
          value={match?.id ?? 'custom'}
          onChange={(e) => {
            if (e.target.value !== 'custom') setPreset(e.target.value, orientation);
          }}
        >
          {PAGE_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {(lang === 'zh' && PRESET_LABELS_ZH[p.id]) || p.label}
            </option>
          ))}
          <option value="custom">{t('custom')}</option>
        </select>
      </label>
      <div className="row">
        {(['portrait', 'landscape'] as const).map((o) => (
          <label key={o} className="check">
            <input
              type="radio"
              name="orientation"
              checked={orientation === o}
              onChange={() => update({ width: page.height, height: page.width }, 'Page orientation')}
              data-testid={`orientation-${o}`}
            />
            {t(o)}
          </label>
        ))}
      </div>
      {PAGE_FIELDS.map((f) => (
        <NumberField
          key={f.key}
          label={t(f.key)}
          unit="mm"
          value={page[f.key]}
          min={f.min}
          max={f.max}
          onCommit={(v) => update({ [f.key]: v })}
          testid={`page-${f.key}`}
        />
      ))}
      <ColorField label={t('background')} value={page.background} onCommit={(v) => v && update({ background: v })} />
    </div>
  );
}

function ElementSettings({
  store,
  page,
  el,
  assets,
  engine,
  onAddFont,
}: {
  store: EditorStore;
  page: Page;
  el: Element;
  assets: Record<string, { width: number; height: number }>;
  engine: TextEngine;
  onAddFont(file: File): Promise<void>;
}) {
  const { t } = useI18n();
  const set = (patch: ElementPatch, field: string) =>
    store.execute(
      {
        type: 'updateElements',
        pageId: page.id,
        // A frame that follows its text resizes when its text settings change.
        updates: [
          { id: el.id, patch: el.type === 'text' && field !== 'height' ? (engine.withGrownHeight(el, patch) as ElementPatch) : patch },
        ],
      },
      'Edit properties',
      { mergeKey: `${el.id}:${field}` },
    );
  const num = (key: 'x' | 'y' | 'width' | 'height', label: string, min?: number) => (
    <NumberField label={label} unit="mm" value={el[key]} min={min} onCommit={(v) => set({ [key]: v }, key)} testid={`el-${key}`} />
  );
  const asset = el.type === 'image' ? assets[el.asset] : undefined;
  const dpi = asset ? Math.min(asset.width / (el.width / 25.4), asset.height / (el.height / 25.4)) : 0;
  return (
    <div className="section" data-testid="element-settings">
      <label className="field">
        <span>{t('name')}</span>
        <input
          type="text"
          defaultValue={el.name}
          key={el.id + el.name}
          onBlur={(e) => e.target.value !== el.name && set({ name: e.target.value.slice(0, 200) }, 'name')}
        />
      </label>
      <div className="grid2">
        {num('x', 'X')}
        {num('y', 'Y')}
        {num('width', t('width'), 0.1)}
        {num('height', t('height'), 0.1)}
      </div>
      <NumberField
        label={t('rotation')}
        unit="°"
        value={el.rotation}
        min={-360}
        max={360}
        onCommit={(v) => set({ rotation: v }, 'rotation')}
        testid="el-rotation"
      />
      <NumberField
        label={t('opacity')}
        unit="%"
        value={el.opacity * 100}
        min={0}
        max={100}
        digits={0}
        onCommit={(v) => set({ opacity: v / 100 }, 'opacity')}
      />
      {el.type === 'shape' && (
        <>
          <ColorField label={t('fill')} value={el.fill} allowNone noneLabel={t('none')} onCommit={(v) => set({ fill: v }, 'fill')} />
          <ColorField
            label={t('stroke')}
            value={el.stroke}
            allowNone
            noneLabel={t('none')}
            onCommit={(v) => set({ stroke: v, strokeWidth: v && el.strokeWidth === 0 ? 1 : el.strokeWidth }, 'stroke')}
          />
          <NumberField
            label={t('strokeWidth')}
            unit="mm"
            value={el.strokeWidth}
            min={0}
            max={1000}
            step={0.25}
            onCommit={(v) => set({ strokeWidth: v }, 'strokeWidth')}
          />
          {el.shape === 'rect' && (
            <NumberField
              label={t('cornerRadius')}
              unit="mm"
              value={el.cornerRadius}
              min={0}
              onCommit={(v) => set({ cornerRadius: v }, 'cornerRadius')}
            />
          )}
        </>
      )}
      {el.type === 'text' && <TextSettings el={el} engine={engine} set={set} onAddFont={onAddFont} />}
      {asset && (
        <div className="info" data-testid="image-info">
          <div>
            {t('imagePixels')}: {asset.width} × {asset.height}
          </div>
          <div className={dpi < 100 ? 'bad' : dpi < 300 ? 'warn' : 'good'}>
            {t('effectiveDpi')}: {Math.round(dpi)} dpi {dpi < 100 ? `— ${t('veryLowDpi')}` : dpi < 300 ? `— ${t('lowDpi')}` : ''}
          </div>
        </div>
      )}
    </div>
  );
}
