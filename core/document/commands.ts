// Edits are commands: plain data applied to an immutable document. Applying a command returns
// the new document and the command that undoes it, so history is a list of command pairs.
import type { ElementId, GenerationId, PageId } from '../ids';
import { boundsOf, childToParent, unionBounds } from './geometry';
import {
  type Asset,
  type Element,
  ElementSchema,
  type GenerationEntry,
  GenerationEntrySchema,
  type GroupElement,
  MAX_GENERATIONS,
  type Page,
  PageSchema,
  type PosterDocument,
} from './schema';
import { formatZodError } from './validate';

/** Element fields a command may change; id and type are fixed for an element's life. */
export type ElementPatch = Partial<Omit<Element, 'id' | 'type'>> & Record<string, unknown>;
export type PagePatch = Partial<Pick<Page, 'name' | 'width' | 'height' | 'bleed' | 'safeMargin' | 'background'>>;

export type Command =
  | { type: 'addElements'; pageId: PageId; elements: Element[]; index?: number }
  | { type: 'removeElements'; pageId: PageId; ids: ElementId[] }
  | { type: 'updateElements'; pageId: PageId; updates: { id: ElementId; patch: ElementPatch }[] }
  | { type: 'setOrder'; pageId: PageId; order: ElementId[] }
  | { type: 'updatePage'; pageId: PageId; patch: PagePatch }
  | { type: 'setTitle'; title: string }
  | { type: 'addAssets'; assets: Asset[] }
  | { type: 'removeAssets'; sha256s: string[] }
  | { type: 'replaceElements'; pageId: PageId; elements: Element[] }
  /** Adds entries to the generation history (at the end, or at `index`). */
  | { type: 'addGenerations'; entries: GenerationEntry[]; index?: number }
  | { type: 'removeGenerations'; ids: GenerationId[] }
  | { type: 'group'; pageId: PageId; ids: ElementId[]; groupId: ElementId; name?: string }
  | { type: 'ungroup'; pageId: PageId; groupId: ElementId }
  | { type: 'batch'; commands: Command[] };

export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface Applied {
  doc: PosterDocument;
  inverse: Command;
}

function pageIndex(doc: PosterDocument, pageId: PageId): number {
  const i = doc.pages.findIndex((p) => p.id === pageId);
  if (i < 0) throw new CommandError(`No page ${pageId}`);
  return i;
}

function withPage(doc: PosterDocument, pageId: PageId, fn: (page: Page) => Page): PosterDocument {
  const i = pageIndex(doc, pageId);
  const pages = doc.pages.slice();
  pages[i] = fn(pages[i] as Page);
  return { ...doc, pages };
}

export function getPage(doc: PosterDocument, pageId: PageId): Page {
  return doc.pages[pageIndex(doc, pageId)] as Page;
}

function indexOfElement(page: Page, id: ElementId): number {
  const i = page.elements.findIndex((e) => e.id === id);
  if (i < 0) throw new CommandError(`No element ${id} on page ${page.id}`);
  return i;
}

// A group's children may be replaced (resizing a group scales them); validation checks them.
function idsIn(el: Element): string[] {
  return el.type === 'group' ? [el.id, ...el.children.flatMap(idsIn)] : [el.id];
}

function allElementIds(doc: PosterDocument): Set<string> {
  return new Set(doc.pages.flatMap((p) => p.elements.flatMap(idsIn)));
}

const PagePatchSchema = PageSchema.pick({
  name: true,
  width: true,
  height: true,
  bleed: true,
  safeMargin: true,
  background: true,
}).partial();

const FIXED_KEYS = new Set(['id', 'type']);

function applyOne(doc: PosterDocument, cmd: Command): Applied {
  switch (cmd.type) {
    case 'addElements': {
      const page = getPage(doc, cmd.pageId);
      const ids = allElementIds(doc);
      for (const el of cmd.elements) {
        for (const id of idsIn(el)) {
          if (ids.has(id)) throw new CommandError(`Element ${id} already exists`);
          ids.add(id);
        }
        const check = ElementSchema.safeParse(el);
        if (!check.success) throw new CommandError(`Invalid ${el.type}: ${formatZodError(check.error).message}`);
      }
      const index = cmd.index ?? page.elements.length;
      if (index < 0 || index > page.elements.length) throw new CommandError(`Index ${index} out of range`);
      const next = withPage(doc, cmd.pageId, (p) => {
        const elements = p.elements.slice();
        elements.splice(index, 0, ...cmd.elements);
        return { ...p, elements };
      });
      return { doc: next, inverse: { type: 'removeElements', pageId: cmd.pageId, ids: cmd.elements.map((e) => e.id) } };
    }
    case 'removeElements': {
      const page = getPage(doc, cmd.pageId);
      const remove = new Set(cmd.ids);
      for (const id of cmd.ids) indexOfElement(page, id);
      // Undo restores each element at its old index, lowest first, so indices stay right.
      const restores: Command[] = [];
      page.elements.forEach((el, i) => {
        if (remove.has(el.id)) restores.push({ type: 'addElements', pageId: cmd.pageId, elements: [el], index: i });
      });
      const next = withPage(doc, cmd.pageId, (p) => ({ ...p, elements: p.elements.filter((e) => !remove.has(e.id)) }));
      return { doc: next, inverse: { type: 'batch', commands: restores } };
    }
    case 'updateElements': {
      const page = getPage(doc, cmd.pageId);
      const elements = page.elements.slice();
      const undo: { id: ElementId; patch: ElementPatch }[] = [];
      for (const { id, patch } of cmd.updates) {
        const i = indexOfElement(page, id);
        const el = elements[i] as Element;
        const before: ElementPatch = {};
        for (const key of Object.keys(patch)) {
          if (FIXED_KEYS.has(key)) throw new CommandError(`Field ${key} cannot be changed`);
          if (!(key in el)) throw new CommandError(`A ${el.type} element has no field ${key}`);
          before[key] = (el as unknown as Record<string, unknown>)[key];
        }
        const updated = { ...el, ...patch } as Element;
        const check = ElementSchema.safeParse(updated);
        if (!check.success) throw new CommandError(`Invalid ${el.type}: ${formatZodError(check.error).message}`);
        elements[i] = updated;
        undo.unshift({ id, patch: before });
      }
      return {
        doc: withPage(doc, cmd.pageId, (p) => ({ ...p, elements })),
        inverse: { type: 'updateElements', pageId: cmd.pageId, updates: undo },
      };
    }
    case 'setOrder': {
      const page = getPage(doc, cmd.pageId);
      const byId = new Map(page.elements.map((e) => [e.id, e]));
      if (cmd.order.length !== page.elements.length || new Set(cmd.order).size !== cmd.order.length) {
        throw new CommandError('Order must list every element of the page once');
      }
      const elements = cmd.order.map((id) => {
        const el = byId.get(id);
        if (!el) throw new CommandError(`No element ${id} on page ${page.id}`);
        return el;
      });
      return {
        doc: withPage(doc, cmd.pageId, (p) => ({ ...p, elements })),
        inverse: { type: 'setOrder', pageId: cmd.pageId, order: page.elements.map((e) => e.id) },
      };
    }
    case 'updatePage': {
      const page = getPage(doc, cmd.pageId);
      const before: PagePatch = {};
      for (const key of Object.keys(cmd.patch) as (keyof PagePatch)[]) {
        if (!['name', 'width', 'height', 'bleed', 'safeMargin', 'background'].includes(key)) {
          throw new CommandError(`Field ${key} cannot be changed on a page`);
        }
        (before as Record<string, unknown>)[key] = page[key];
      }
      const check = PagePatchSchema.safeParse(cmd.patch);
      if (!check.success) throw new CommandError(`Invalid page setting: ${formatZodError(check.error).message}`);
      return {
        doc: withPage(doc, cmd.pageId, (p) => ({ ...p, ...cmd.patch })),
        inverse: { type: 'updatePage', pageId: cmd.pageId, patch: before },
      };
    }
    case 'setTitle':
      return { doc: { ...doc, title: cmd.title }, inverse: { type: 'setTitle', title: doc.title } };
    case 'addAssets': {
      const assets = { ...doc.assets };
      const added: string[] = [];
      const replaced: Asset[] = [];
      for (const a of cmd.assets) {
        const previous = assets[a.sha256];
        if (previous) replaced.push(previous);
        else added.push(a.sha256);
        assets[a.sha256] = a;
      }
      const inverse: Command = { type: 'removeAssets', sha256s: added };
      return {
        doc: { ...doc, assets },
        inverse: replaced.length ? { type: 'batch', commands: [inverse, { type: 'addAssets', assets: replaced }] } : inverse,
      };
    }
    case 'removeAssets': {
      const assets = { ...doc.assets };
      const removed: Asset[] = [];
      for (const sha of cmd.sha256s) {
        const a = assets[sha];
        if (a) removed.push(a);
        delete assets[sha];
      }
      return { doc: { ...doc, assets }, inverse: { type: 'addAssets', assets: removed } };
    }
    case 'addGenerations': {
      const ids = new Set(doc.generations.map((g) => g.id));
      for (const entry of cmd.entries) {
        const check = GenerationEntrySchema.safeParse(entry);
        if (!check.success) throw new CommandError(`Invalid history entry: ${formatZodError(check.error).message}`);
        if (ids.has(entry.id)) throw new CommandError(`History entry ${entry.id} already exists`);
        ids.add(entry.id);
        if (!doc.assets[entry.asset]) throw new CommandError(`History entry ${entry.id} refers to an image the document does not list`);
      }
      if (doc.generations.length + cmd.entries.length > MAX_GENERATIONS) {
        throw new CommandError(`The history holds at most ${MAX_GENERATIONS} images; delete some first`);
      }
      const index = cmd.index ?? doc.generations.length;
      if (index < 0 || index > doc.generations.length) throw new CommandError(`Index ${index} out of range`);
      const generations = doc.generations.slice();
      generations.splice(index, 0, ...cmd.entries);
      return { doc: { ...doc, generations }, inverse: { type: 'removeGenerations', ids: cmd.entries.map((g) => g.id) } };
    }
    case 'removeGenerations': {
      const remove = new Set<string>(cmd.ids);
      const known = new Set<string>(doc.generations.map((g) => g.id));
      for (const id of cmd.ids) if (!known.has(id)) throw new CommandError(`No history entry ${id}`);
      // Undo puts each entry back at its old index, lowest first, so indices stay right.
      const restores: Command[] = [];
      doc.generations.forEach((g, i) => {
        if (remove.has(g.id)) restores.push({ type: 'addGenerations', entries: [g], index: i });
      });
      return {
        doc: { ...doc, generations: doc.generations.filter((g) => !remove.has(g.id)) },
        inverse: { type: 'batch', commands: restores },
      };
    }
    case 'group': {
      const page = getPage(doc, cmd.pageId);
      if (cmd.ids.length < 1) throw new CommandError('Nothing to group');
      if (allElementIds(doc).has(cmd.groupId)) throw new CommandError(`Element ${cmd.groupId} already exists`);
      const members = new Set(cmd.ids);
      const indices = cmd.ids.map((id) => indexOfElement(page, id));
      const picked = page.elements.filter((e) => members.has(e.id));
      const box = unionBounds(picked.map(boundsOf)) as NonNullable<ReturnType<typeof unionBounds>>;
      const group: GroupElement = {
        id: cmd.groupId,
        name: cmd.name ?? 'Group',
        x: box.x,
        y: box.y,
        width: Math.max(box.width, 0.01),
        height: Math.max(box.height, 0.01),
        rotation: 0,
        opacity: 1,
        locked: false,
        hidden: false,
        type: 'group',
        children: picked.map((e) => ({ ...e, x: e.x - box.x, y: e.y - box.y })),
      };
      // The group takes the z-position of its topmost member.
      const top = Math.max(...indices);
      const elements: Element[] = [];
      page.elements.forEach((e, i) => {
        if (!members.has(e.id)) elements.push(e);
        if (i === top) elements.push(group);
      });
      return {
        doc: withPage(doc, cmd.pageId, (p) => ({ ...p, elements })),
        inverse: { type: 'replaceElements', pageId: cmd.pageId, elements: page.elements },
      };
    }
    case 'ungroup': {
      const page = getPage(doc, cmd.pageId);
      const i = indexOfElement(page, cmd.groupId);
      const group = page.elements[i] as Element;
      if (group.type !== 'group') throw new CommandError(`${cmd.groupId} is not a group`);
      const children = group.children.map((c) => childToParent(c, group));
      const elements = page.elements.slice();
      elements.splice(i, 1, ...children);
      return {
        doc: withPage(doc, cmd.pageId, (p) => ({ ...p, elements })),
        inverse: { type: 'replaceElements', pageId: cmd.pageId, elements: page.elements },
      };
    }
    case 'replaceElements': {
      const page = getPage(doc, cmd.pageId);
      if (new Set(cmd.elements.map((e) => e.id)).size !== cmd.elements.length) throw new CommandError('Duplicate element ids');
      return {
        doc: withPage(doc, cmd.pageId, (p) => ({ ...p, elements: cmd.elements })),
        inverse: { type: 'replaceElements', pageId: cmd.pageId, elements: page.elements },
      };
    }
    case 'batch': {
      let current = doc;
      const inverses: Command[] = [];
      for (const c of cmd.commands) {
        const r = applyCommand(current, c);
        current = r.doc;
        inverses.unshift(r.inverse);
      }
      return { doc: current, inverse: { type: 'batch', commands: inverses } };
    }
  }
}

/** Applies a command; throws CommandError (leaving `doc` untouched) when it does not fit. */
export function applyCommand(doc: PosterDocument, cmd: Command): Applied {
  return applyOne(doc, cmd);
}
