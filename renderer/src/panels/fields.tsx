import { useEffect, useState } from 'react';

/** A number input that commits on Enter or blur, and reverts on Escape or bad input. */
export function NumberField(props: {
  label: string;
  value: number;
  unit?: string;
  min?: number;
  max?: number;
  step?: number;
  digits?: number;
  testid?: string;
  onCommit(v: number): void;
}) {
  const digits = props.digits ?? 2;
  const shown = Number(props.value.toFixed(digits)).toString();
  const [text, setText] = useState(shown);
  useEffect(() => setText(shown), [shown]);
  const commit = () => {
    const v = Number(text.replace(',', '.'));
    if (!Number.isFinite(v) || (props.min !== undefined && v < props.min) || (props.max !== undefined && v > props.max)) {
      setText(shown);
      return;
    }
    if (Number(v.toFixed(digits)) !== Number(shown)) props.onCommit(v);
  };
  return (
    <label className="field">
      <span>{props.label}</span>
      <input
        type="text"
        inputMode="decimal"
        value={text}
        data-testid={props.testid}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
          if (e.key === 'Escape') {
            setText(shown);
            (e.target as HTMLInputElement).blur();
          }
          if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
            e.preventDefault();
            const step = (props.step ?? 1) * (e.shiftKey ? 10 : 1) * (e.key === 'ArrowUp' ? 1 : -1);
            props.onCommit(Math.min(props.max ?? Infinity, Math.max(props.min ?? -Infinity, props.value + step)));
          }
        }}
      />
      {props.unit && <em>{props.unit}</em>}
    </label>
  );
}

export function ColorField(props: {
  label: string;
  value: string | null;
  allowNone?: boolean;
  noneLabel?: string;
  onCommit(v: string | null): void;
}) {
  return (
    <label className="field color">
      <span>{props.label}</span>
      <input
        type="color"
        value={props.value ?? '#000000'}
        disabled={props.value === null}
        onChange={(e) => props.onCommit(e.target.value)}
      />
      {props.allowNone && (
        <label className="check">
          <input type="checkbox" checked={props.value === null} onChange={(e) => props.onCommit(e.target.checked ? null : '#000000')} />
          {props.noneLabel}
        </label>
      )}
    </label>
  );
}
