// Editing operations a user performs, each turned into one command for the history.
import { type ElementId, newElementId, type PageId } from '../ids';
import type { Command } from './commands';
import { type AlignEdge, alignDelta, type Box, boundsOf, unionBounds } from './geometry';
import type { Element, Page, PosterDocument } from './schema';

const pick = (page: Page, ids: readonly ElementId[]) => {
  const set = new Set(ids);
  return page.elements.filter((e) => set.has(e.id));
};

export function moveBy(page: Page, ids: readonly ElementId[], dx: number, dy: number): Command {
  return {
    type: 'updateElements',
    pageId: page.id,
    updates: pick(page, ids)
      .filter((e) => !e.locked)
      .map((e) => ({ id: e.id, patch: { x: e.x + dx, y: e.y + dy } })),
  };
}

function withFreshIds(el: Element): Element {
  if (el.type === 'group') return { ...el, id: newElementId(), children: el.children.map(withFreshIds) };
  return { ...el, id: newElementId() };
}

/** Copies placed directly above their originals in z-order, offset by `offset` mm. */
export function duplicate(page: Page, ids: readonly ElementId[], offset = 5): { command: Command; newIds: ElementId[] } {
  const set = new Set(ids);
  const commands: Command[] = [];
  const newIds: ElementId[] = [];
  let inserted = 0;
  page.elements.forEach((e, i) => {
    if (!set.has(e.id)) return;
    const copy = { ...withFreshIds(e), x: e.x + offset, y: e.y + offset };
    inserted += 1;
    commands.push({ type: 'addElements', pageId: page.id, elements: [copy], index: i + inserted });
    newIds.push(copy.id);
  });
  return { command: { type: 'batch', commands }, newIds };
}

export function remove(page: Page, ids: readonly ElementId[]): Command {
  return { type: 'removeElements', pageId: page.id, ids: pick(page, ids).map((e) => e.id) };
}

export type ZMove = 'front' | 'back' | 'forward' | 'backward';

export function reorder(page: Page, ids: readonly ElementId[], move: ZMove): Command {
  const set = new Set(ids);
  const order = page.elements.map((e) => e.id);
  let next: ElementId[];
  if (move === 'front') next = [...order.filter((id) => !set.has(id)), ...order.filter((id) => set.has(id))];
  else if (move === 'back') next = [...order.filter((id) => set.has(id)), ...order.filter((id) => !set.has(id))];
  else {
    next = order.slice();
    // Swap each selected element with its unselected neighbour, walking away from the move.
    const step = move === 'forward' ? 1 : -1;
    const indices = next.map((id, i) => (set.has(id) ? i : -1)).filter((i) => i >= 0);
    if (step === 1) indices.reverse();
    for (const i of indices) {
      const j = i + step;
      if (j < 0 || j >= next.length || set.has(next[j] as ElementId)) continue;
      [next[i], next[j]] = [next[j] as ElementId, next[i] as ElementId];
    }
  }
  return { type: 'setOrder', pageId: page.id, order: next };
}

/**
 * Aligns the selection: one element aligns to the page trim, several align to their common
 * bounds (as in most layout tools).
 */
export function align(page: Page, ids: readonly ElementId[], edge: AlignEdge): Command {
  const els = pick(page, ids).filter((e) => !e.locked);
  const target: Box =
    els.length === 1
      ? { x: 0, y: 0, width: page.width, height: page.height }
      : (unionBounds(els.map(boundsOf)) ?? { x: 0, y: 0, width: page.width, height: page.height });
  return {
    type: 'updateElements',
    pageId: page.id,
    updates: els.map((e) => {
      const d = alignDelta(e, target, edge);
      return { id: e.id, patch: { x: e.x + d.x, y: e.y + d.y } };
    }),
  };
}

export function group(pageId: PageId, ids: readonly ElementId[]): { command: Command; groupId: ElementId } {
  const groupId = newElementId();
  return { command: { type: 'group', pageId, ids: [...ids], groupId }, groupId };
}

/** Assets no element refers to any more; saved files leave them out. */
export function referencedAssets(pages: readonly Page[]): Set<string> {
  const used = new Set<string>();
  const visit = (els: readonly Element[]) => {
    for (const e of els) {
      if (e.type === 'image') used.add(e.asset);
      if (e.type === 'group') visit(e.children);
    }
  };
  for (const p of pages) visit(p.elements);
  return used;
}

/** Assets a saved project must carry: those the pages use and those in the generation history. */
export function keptAssets(doc: Pick<PosterDocument, 'pages' | 'generations'>): Set<string> {
  const kept = referencedAssets(doc.pages);
  for (const g of doc.generations) kept.add(g.asset);
  return kept;
}
