// Text frame settings: faces, size, spacing, alignment, Chinese typesetting rules, vertical
// writing, bilingual block, and fitting.
import { useEffect, useState } from 'react';
import type { FontInfo } from '../../../core/api/contract';
import type { ElementPatch } from '../../../core/document/commands';
import type { TextElement } from '../../../core/document/schema';
import type { TextStyle } from '../../../core/typeset/types';
import type { TextEngine } from '../canvas/text-engine';
import { useI18n } from '../i18n';
import { ColorField, NumberField } from './fields';

interface Props {
  el: TextElement;
  engine: TextEngine;
  set(patch: ElementPatch, field: string): void;
  onAddFont(file: File): Promise<void>;
}

export function TextSettings({ el, engine, set, onAddFont }: Props) {
  const { t } = useI18n();
  const [fonts, setFonts] = useState<FontInfo[]>([]);
  useEffect(() => {
    void engine.families().then(setFonts);
  }, [engine]);
  const style = el.style;
  const setStyle = (patch: Partial<TextStyle>, field: string) => set({ style: { ...style, ...patch } }, `style.${field}`);
  const families = (script: 'latin' | 'cjk') => [...new Set(fonts.filter((f) => f.script === script).map((f) => f.family))];
  const selectField = <K extends keyof TextStyle>(p: { k: K; label: string; options: [TextStyle[K], string][]; testid?: string }) => (
    <label className="field">
      <span>{p.label}</span>
      <select
        value={String(style[p.k])}
        data-testid={p.testid}
        onChange={(e) => {
          const opt = p.options.find(([v]) => String(v) === e.target.value);
          if (opt) setStyle({ [p.k]: opt[0] } as Partial<TextStyle>, String(p.k));
        }}
      >
        {p.options.map(([v, label]) => (
          <option key={String(v)} value={String(v)}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
  const toggleField = (p: { k: 'vertical' | 'compressPunctuation' | 'hanLatinSpacing'; label: string; testid?: string }) => (
    <label className="check">
      <input type="checkbox" checked={style[p.k]} data-testid={p.testid} onChange={(e) => setStyle({ [p.k]: e.target.checked }, p.k)} />
      {p.label}
    </label>
  );
  const sec = el.secondary;
  return (
    <div className="section text-settings" data-testid="text-settings">
      <p className="hint">{t('editTextHint')}</p>
      {selectField({ k: 'cjkFamily', label: t('cjkFont'), options: families('cjk').map((f) => [f, f]), testid: 'cjk-family' })}
      {selectField({ k: 'latinFamily', label: t('latinFont'), options: families('latin').map((f) => [f, f]), testid: 'latin-family' })}
      <label className="field">
        <span />
        <input
          type="file"
          accept=".ttf,.otf,.ttc,font/ttf,font/otf"
          aria-label={t('addFont')}
          title={t('addFont')}
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void onAddFont(f).then(() => engine.families().then(setFonts));
          }}
        />
      </label>
      <NumberField
        label={t('fontSize')}
        unit="pt"
        value={style.fontSize}
        min={1}
        max={5000}
        onCommit={(v) => setStyle({ fontSize: v }, 'fontSize')}
        testid="text-size"
      />
      <ColorField label={t('colour')} value={style.color} onCommit={(v) => v && setStyle({ color: v }, 'color')} />
      <NumberField
        label={t('lineHeight')}
        unit="×"
        value={style.lineHeight}
        min={0.5}
        max={5}
        step={0.05}
        onCommit={(v) => setStyle({ lineHeight: v }, 'lineHeight')}
      />
      <NumberField
        label={t('tracking')}
        unit="‰"
        value={style.tracking}
        min={-500}
        max={2000}
        step={10}
        digits={0}
        onCommit={(v) => setStyle({ tracking: v }, 'tracking')}
      />
      <NumberField
        label={t('paragraphSpacing')}
        unit="pt"
        value={style.paragraphSpacing}
        min={0}
        max={2000}
        onCommit={(v) => setStyle({ paragraphSpacing: v }, 'paragraphSpacing')}
      />
      {selectField({
        k: 'align',
        label: t('align'),
        options: [
          ['left', t('alignStart')],
          ['center', t('alignCentre')],
          ['right', t('alignEnd')],
          ['justify', t('justify')],
        ],
        testid: 'text-align',
      })}
      {style.align === 'justify' &&
        selectField({
          k: 'lastLineAlign',
          label: t('lastLine'),
          options: [
            ['left', t('alignStart')],
            ['center', t('alignCentre')],
            ['right', t('alignEnd')],
            ['justify', t('justify')],
          ],
        })}
      {selectField({
        k: 'kinsoku',
        label: t('kinsoku'),
        options: [
          ['none', t('kinsokuNone')],
          ['basic', t('kinsokuBasic')],
          ['gb', 'GB/T 15834'],
          ['strict', t('kinsokuStrict')],
        ],
      })}
      {selectField({
        k: 'overlongWords',
        label: t('longWords'),
        options: [
          ['break', t('breakWord')],
          ['hyphenate', t('hyphenate')],
        ],
      })}
      {selectField({
        k: 'fit',
        label: t('fit'),
        options: [
          ['none', t('fitNone')],
          ['shrink', t('fitShrink')],
          ['grow', t('fitGrow')],
        ],
        testid: 'text-fit',
      })}
      {toggleField({ k: 'compressPunctuation', label: t('compressPunct') })}
      {toggleField({ k: 'hanLatinSpacing', label: t('hanLatinSpacing') })}
      {toggleField({ k: 'vertical', label: t('vertical'), testid: 'text-vertical' })}
      <label className="check">
        <input
          type="checkbox"
          data-testid="bilingual"
          checked={sec !== null}
          onChange={(e) =>
            set({ secondary: e.target.checked ? { runs: [{ text: '' }], ratio: 0.5, gap: 6, arrangement: 'stacked' } : null }, 'secondary')
          }
        />
        {t('bilingual')}
      </label>
      {sec && (
        <>
          <NumberField
            label={t('ratio')}
            unit="×"
            value={sec.ratio}
            min={0.1}
            max={3}
            step={0.05}
            onCommit={(v) => set({ secondary: { ...sec, ratio: v } }, 'secondary.ratio')}
          />
          <NumberField
            label={t('gap')}
            unit="pt"
            value={sec.gap}
            min={0}
            max={2000}
            onCommit={(v) => set({ secondary: { ...sec, gap: v } }, 'secondary.gap')}
          />
          <label className="field">
            <span>{t('arrangement')}</span>
            <select
              value={sec.arrangement}
              onChange={(e) =>
                set({ secondary: { ...sec, arrangement: e.target.value as 'stacked' | 'side-by-side' } }, 'secondary.arrangement')
              }
            >
              <option value="stacked">{t('stacked')}</option>
              <option value="side-by-side">{t('sideBySide')}</option>
            </select>
          </label>
        </>
      )}
    </div>
  );
}
