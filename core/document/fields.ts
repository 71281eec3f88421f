// Template fields: a text frame named "@name" is a field. Its main text is set with
// `name=…`, its second-language text with `name.en=…`. Used by `poster render --set` and by
// CSV batches (one output per row).
import type { Element, PosterDocument, TextElement } from './schema';
import { imageSlots, setSlotPrompt } from './slots';

export class FieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldError';
  }
}

function textFields(els: readonly Element[], out: TextElement[] = []): TextElement[] {
  for (const el of els) {
    if (el.type === 'text' && el.name.startsWith('@')) out.push(el);
    if (el.type === 'group') textFields(el.children, out);
  }
  return out;
}

/** Field names a document offers ("title", "title.en", …). */
export function fieldNames(doc: PosterDocument): string[] {
  const names: string[] = [];
  for (const p of doc.pages) {
    for (const el of textFields(p.elements)) {
      const n = el.name.slice(1);
      names.push(n);
      if (el.secondary) names.push(`${n}.en`);
    }
  }
  for (const slot of imageSlots(doc)) names.push(slot.field);
  return [...new Set(names)];
}

function setText(el: TextElement, key: string, value: string): TextElement {
  const keepStyle = (runs: TextElement['runs']) => [{ ...(runs[0] ?? {}), text: value }];
  if (key.endsWith('.en')) {
    if (!el.secondary) throw new FieldError(`Field ${key}: this frame has no second-language text.`);
    return { ...el, secondary: { ...el.secondary, runs: keepStyle(el.secondary.runs) } };
  }
  return { ...el, runs: keepStyle(el.runs) };
}

/** Returns the document with the given fields filled; unknown field names are an error. */
export function applyFields(doc: PosterDocument, values: Record<string, string>): PosterDocument {
  const known = new Set(fieldNames(doc));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) throw new FieldError(`Unknown field "${key}". This template has: ${[...known].join(', ') || '(no fields)'}.`);
  }
  const map = (els: Element[]): Element[] =>
    els.map((el) => {
      if (el.type === 'group') return { ...el, children: map(el.children) };
      if (el.type !== 'text' || !el.name.startsWith('@')) return el;
      let next = el;
      const n = el.name.slice(1);
      if (values[n] !== undefined) next = setText(next, n, values[n] as string);
      if (values[`${n}.en`] !== undefined) next = setText(next, `${n}.en`, values[`${n}.en`] as string);
      return next;
    });
  let out: PosterDocument = { ...doc, pages: doc.pages.map((p) => ({ ...p, elements: map(p.elements) })) };
  for (const slot of imageSlots(doc)) {
    const prompt = values[slot.field];
    if (prompt !== undefined) out = setSlotPrompt(out, slot.field, prompt);
  }
  return out;
}

/** RFC 4180 CSV: quoted fields, doubled quotes, line breaks inside quotes, a BOM. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new FieldError('The CSV file ends inside a quoted field.');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}
