// Editing a text frame's words: an HTML overlay beside the frame, so Chinese input methods
// (composition) work as in any text field. Each change becomes a command and the canvas
// re-typesets live; composition is committed when the IME finishes.
import { useEffect, useRef, useState } from 'react';
import type { TextElement } from '../../../core/document/schema';
import { applyStyle, diffText, plainText, replaceText } from '../../../core/typeset/runs';
import type { TextRun } from '../../../core/typeset/types';
import type { TextEngine } from '../canvas/text-engine';
import { useEditor } from '../hooks';
import { useI18n } from '../i18n';
import type { EditorStore } from '../state/editor-store';

interface Props {
  store: EditorStore;
  engine: TextEngine;
  elementId: string;
  /** Frame position on screen (CSS px, relative to the canvas host). */
  screenBox(el: TextElement): { left: number; top: number; width: number; height: number };
  onClose(): void;
}

type Which = 'primary' | 'secondary';

export function TextEditor({ store, engine, elementId, screenBox, onClose }: Props) {
  const { t } = useI18n();
  const el = useEditor(store, (s) => s.doc.pages.find((p) => p.id === s.pageId)?.elements.find((e) => e.id === elementId));
  const text = el?.type === 'text' ? el : null;
  const [drafts, setDrafts] = useState<Record<Which, string>>({ primary: '', secondary: '' });
  const composing = useRef(false);
  const focused = useRef<{ which: Which; area: HTMLTextAreaElement } | null>(null);
  const firstArea = useRef<HTMLTextAreaElement>(null);

  // Follow the document (undo, other edits) except while an IME composition is open.
  const primaryText = text ? plainText(text.runs) : '';
  const secondaryText = text?.secondary ? plainText(text.secondary.runs) : '';
  useEffect(() => {
    if (!composing.current) setDrafts({ primary: primaryText, secondary: secondaryText });
  }, [primaryText, secondaryText]);
  useEffect(() => {
    firstArea.current?.focus();
  }, []);
  useEffect(() => {
    if (!text) onClose();
  }, [text, onClose]);
  if (!text) return null;

  const runsOf = (which: Which): TextRun[] => (which === 'primary' ? text.runs : (text.secondary?.runs ?? []));
  const commitRuns = (which: Which, runs: TextRun[], label: string) => {
    const next: TextElement =
      which === 'primary' ? { ...text, runs } : { ...text, secondary: text.secondary ? { ...text.secondary, runs } : null };
    const patch = engine.withGrownHeight(text, which === 'primary' ? { runs } : { secondary: next.secondary });
    store.execute({ type: 'updateElements', pageId: store.page.id, updates: [{ id: text.id, patch }] }, label, {
      mergeKey: `${text.id}:text`,
    });
  };
  const commitText = (which: Which, value: string) => {
    const before = plainText(runsOf(which));
    if (value === before) return;
    const d = diffText(before, value);
    commitRuns(which, replaceText(runsOf(which), d.start, d.end, d.insert), 'Edit text');
  };
  const styleSelection = (patch: Partial<Omit<TextRun, 'text'>>) => {
    const f = focused.current;
    if (!f) return;
    const { selectionStart: a, selectionEnd: b } = f.area;
    if (a === b) return;
    commitRuns(f.which, applyStyle(runsOf(f.which), a, b, patch), 'Style text');
  };

  const box = screenBox(text);
  const area = (which: Which, label: string) => (
    <label className="field column">
      <span>{label}</span>
      <textarea
        ref={which === 'primary' ? firstArea : undefined}
        data-testid={`text-editor-${which}`}
        rows={Math.min(8, Math.max(2, drafts[which].split('\n').length + 1))}
        value={drafts[which]}
        lang={which === 'primary' ? 'zh-CN' : 'en'}
        onFocus={(e) => {
          focused.current = { which, area: e.currentTarget };
        }}
        onCompositionStart={() => {
          composing.current = true;
        }}
        onCompositionEnd={(e) => {
          composing.current = false;
          commitText(which, e.currentTarget.value);
        }}
        onChange={(e) => {
          setDrafts((d) => ({ ...d, [which]: e.target.value }));
          if (!composing.current && !(e.nativeEvent as InputEvent).isComposing) commitText(which, e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClose();
          if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'b') {
            e.preventDefault();
            const f = focused.current;
            const runs = f ? runsOf(f.which) : [];
            const at = f?.area.selectionStart ?? 0;
            let pos = 0;
            const current = runs.find((r) => {
              pos += r.text.length;
              return pos > at;
            });
            styleSelection({ bold: current?.bold ? undefined : true });
          }
        }}
      />
    </label>
  );
  const top = box.top + box.height + 8;
  return (
    <div
      className="text-editor"
      role="dialog"
      aria-label={t('content')}
      style={{ left: Math.max(8, box.left), top, width: Math.max(300, Math.min(520, box.width)) }}
      data-testid="text-editor"
    >
      {area('primary', t('primaryText'))}
      {text.secondary && area('secondary', t('secondaryText'))}
      <div className="row">
        <button
          type="button"
          title={`${t('bold')} (Ctrl+B)`}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => styleSelection({ bold: true })}
        >
          <strong>B</strong>
        </button>
        <input
          type="color"
          title={t('runColour')}
          aria-label={t('runColour')}
          onChange={(e) => styleSelection({ color: e.target.value })}
        />
        <select
          title={t('runSize')}
          aria-label={t('runSize')}
          value=""
          onChange={(e) => {
            if (e.target.value) styleSelection({ size: Number(e.target.value) });
          }}
        >
          <option value="">pt</option>
          {[9, 12, 18, 24, 36, 48, 72, 96, 144].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <div className="spacer" />
        <button type="button" className="primary" onClick={onClose} data-testid="text-editor-done">
          {t('done')}
        </button>
      </div>
    </div>
  );
}
