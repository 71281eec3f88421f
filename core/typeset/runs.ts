// Editing styled runs as plain text: the editor changes characters in a text field, and these
// functions carry each run's style across the edit (inserted text takes the style of the
// character before it).
import type { TextRun } from './types';

type Style = Omit<TextRun, 'text'>;

export const plainText = (runs: readonly TextRun[]): string => runs.map((r) => r.text).join('');

const styleOf = ({ text: _t, ...style }: TextRun): Style => style;
const sameStyle = (a: Style, b: Style) => a.bold === b.bold && a.color === b.color && a.size === b.size;

/** Merges neighbours with equal styles and drops empty runs (one empty run stays for an empty text). */
export function normaliseRuns(runs: readonly TextRun[]): TextRun[] {
  const out: TextRun[] = [];
  for (const r of runs) {
    if (!r.text) continue;
    const last = out[out.length - 1];
    if (last && sameStyle(styleOf(last), styleOf(r))) out[out.length - 1] = { ...last, text: last.text + r.text };
    else out.push({ ...r });
  }
  if (out.length === 0) return [{ ...(runs[0] ? styleOf(runs[0]) : {}), text: '' }];
  return out;
}

/** Splits runs so that `at` (UTF-16 offset) falls on a run boundary. */
function splitAt(runs: TextRun[], at: number): TextRun[] {
  const out: TextRun[] = [];
  let pos = 0;
  for (const r of runs) {
    const end = pos + r.text.length;
    if (at > pos && at < end) {
      out.push({ ...r, text: r.text.slice(0, at - pos) }, { ...r, text: r.text.slice(at - pos) });
    } else out.push(r);
    pos = end;
  }
  return out;
}

/** Replaces text[start, end) with `insert`. */
export function replaceText(runs: readonly TextRun[], start: number, end: number, insert: string): TextRun[] {
  let parts = splitAt(splitAt([...runs], start), end);
  let pos = 0;
  const out: TextRun[] = [];
  let inserted = false;
  let styleBefore: Style | null = null;
  for (const r of parts) {
    const rEnd = pos + r.text.length;
    if (rEnd <= start) {
      out.push(r);
      if (r.text) styleBefore = styleOf(r);
    } else if (pos >= end) {
      if (!inserted) {
        out.push({ ...(styleBefore ?? styleOf(r)), text: insert });
        inserted = true;
      }
      out.push(r);
    }
    pos = rEnd;
  }
  if (!inserted) out.push({ ...(styleBefore ?? (runs[0] ? styleOf(runs[0]) : {})), text: insert });
  parts = out;
  return normaliseRuns(parts);
}

/** Sets style fields on text[start, end); `undefined` values remove the field. */
export function applyStyle(runs: readonly TextRun[], start: number, end: number, patch: Partial<Style>): TextRun[] {
  const parts = splitAt(splitAt([...runs], start), end);
  let pos = 0;
  const out = parts.map((r) => {
    const inside = pos >= start && pos + r.text.length <= end && r.text.length > 0;
    pos += r.text.length;
    if (!inside) return r;
    const next: TextRun = { ...r, ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
    return next;
  });
  return normaliseRuns(out);
}

/** The edit that turns `before` into `after`: one replaced range (common prefix and suffix kept). */
export function diffText(before: string, after: string): { start: number; end: number; insert: string } {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before[endB - 1] === after[endA - 1]) {
    endB--;
    endA--;
  }
  return { start, end: endB, insert: after.slice(start, endA) };
}
