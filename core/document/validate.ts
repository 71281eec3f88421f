// Parsing untrusted document JSON: version check, migrations, schema validation, with errors
// that name the bad field ("pages[0].elements[3].width: expected number").
import type { z } from 'zod';
import { DEFAULT_TEXT_STYLE } from '../typeset/types';
import { DOCUMENT_FORMAT, DOCUMENT_VERSION, DocumentSchema, MAX_GROUP_DEPTH, type PosterDocument } from './schema';

export class DocumentError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'newer-version' | 'not-a-document',
    readonly path?: string,
  ) {
    super(message);
    this.name = 'DocumentError';
  }
}

/** A migration turns a document of version n (the key) into version n + 1. */
export type Migrations = Record<number, (doc: Record<string, unknown>) => Record<string, unknown>>;

type Json = Record<string, unknown>;

/** Visits every element of every page, groups included, replacing each with `fn`'s result. */
function mapElements(doc: Json, fn: (el: Json) => Json): Json {
  const walk = (els: unknown): unknown =>
    Array.isArray(els)
      ? els.map((el) => {
          if (!el || typeof el !== 'object') return el;
          const mapped = fn(el as Json);
          return Array.isArray(mapped.children) ? { ...mapped, children: walk(mapped.children) } : mapped;
        })
      : els;
  const pages = Array.isArray(doc.pages)
    ? doc.pages.map((p) => (p && typeof p === 'object' ? { ...(p as Json), elements: walk((p as Json).elements) } : p))
    : doc.pages;
  return { ...doc, pages };
}

export const MIGRATIONS: Migrations = {
  // 1 -> 2: plain-text frames become styled runs with a full text style.
  1: (doc) =>
    mapElements(doc, (el) => {
      if (el.type !== 'text') return el;
      const { text, fontSize, color, align, ...rest } = el;
      return {
        ...rest,
        runs: [{ text: typeof text === 'string' ? text : '' }],
        style: { ...DEFAULT_TEXT_STYLE, fontSize, color, align, lastLineAlign: 'left' },
        secondary: null,
      };
    }),
  // 2 -> 3: projects keep a generation history; older files start with an empty one.
  2: (doc) => ({ ...doc, generations: [] }),
};

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(document)';
}

export function formatZodError(error: z.ZodError): { message: string; path: string } {
  const issue = error.issues[0];
  const path = formatPath(issue?.path ?? []);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  return { message: `${path}: ${issue?.message ?? 'invalid'}${more}`, path };
}

/** Deepest group nesting in the (not yet validated) pages, found without recursion. */
function groupDepth(doc: Record<string, unknown>): number {
  let max = 0;
  const stack: [unknown, number][] = [];
  if (Array.isArray(doc.pages)) for (const p of doc.pages) if (p && Array.isArray(p.elements)) stack.push([p.elements, 0]);
  while (stack.length) {
    const [els, d] = stack.pop() as [unknown[], number];
    for (const el of els) {
      const children = (el as { children?: unknown } | null)?.children;
      if (Array.isArray(children)) {
        max = Math.max(max, d + 1);
        stack.push([children, d + 1]);
      }
    }
  }
  return max;
}

function depthExceeds(value: unknown, limit: number): boolean {
  // Iterative so a hostile, deeply nested file cannot overflow the stack in the validator.
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop() as [unknown, number];
    if (d > limit) return true;
    if (v && typeof v === 'object') for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

export function migrateDocument(
  raw: unknown,
  migrations: Migrations = MIGRATIONS,
  currentVersion: number = DOCUMENT_VERSION,
): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DocumentError('This is not a Poster Studio document (expected a JSON object).', 'not-a-document');
  }
  let doc = raw as Record<string, unknown>;
  if (doc.format !== DOCUMENT_FORMAT) {
    throw new DocumentError('This is not a Poster Studio document (format field missing or wrong).', 'not-a-document', 'format');
  }
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new DocumentError('version: expected a whole number ≥ 1', 'invalid', 'version');
  }
  if (version > currentVersion) {
    throw new DocumentError(
      `This project was saved by a newer version of Poster Studio (document format ${version}; this app reads up to ${currentVersion}). Update the app to open it; the file was not changed.`,
      'newer-version',
      'version',
    );
  }
  for (let v = version; v < currentVersion; v++) {
    const step = migrations[v];
    if (!step) throw new DocumentError(`No migration from document format ${v} to ${v + 1}.`, 'invalid', 'version');
    doc = { ...step(doc), version: v + 1 };
  }
  return doc;
}

/** Validates untrusted data as a current-version document, migrating older versions first. */
export function parseDocument(raw: unknown, migrations: Migrations = MIGRATIONS): PosterDocument {
  const migrated = migrateDocument(raw, migrations);
  // Bounded depth first, so the recursive schema below cannot overflow the stack.
  if (depthExceeds(migrated, MAX_GROUP_DEPTH * 2 + 16) || groupDepth(migrated) > MAX_GROUP_DEPTH) {
    throw new DocumentError(`Groups are nested too deeply (limit ${MAX_GROUP_DEPTH}).`, 'invalid');
  }
  const result = DocumentSchema.safeParse(migrated);
  if (!result.success) {
    const { message, path } = formatZodError(result.error);
    throw new DocumentError(`Invalid document: ${message}`, 'invalid', path);
  }
  return result.data;
}

export function parseDocumentJson(text: string, migrations?: Migrations): PosterDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DocumentError(`document.json is not valid JSON (${(e as Error).message}).`, 'invalid');
  }
  return parseDocument(raw, migrations);
}
