// Document editing: commands and their inverses, undo/redo history, user operations
// (move, duplicate, z-order, align, group/ungroup) and page-size units.
import { describe, expect, it } from 'vitest';
import { applyCommand, type Command, CommandError } from '../../core/document/commands';
import { boundsOf, centreOf, rotateAbout } from '../../core/document/geometry';
import { History } from '../../core/document/history';
import { align, duplicate, group, moveBy, reorder } from '../../core/document/operations';
import type { Element, GroupElement, Page, PosterDocument } from '../../core/document/schema';
import { parseDocument } from '../../core/document/validate';
import type { ElementId } from '../../core/ids';
import { inchToMm, matchPreset, PAGE_PRESETS, presetSize } from '../../core/units';
import { docWith, groupOf, rect, testImage, text } from '../helpers/fixtures';

const page0 = (doc: PosterDocument): Page => doc.pages[0]!;
const pid = (doc: PosterDocument) => page0(doc).id;
const ids = (doc: PosterDocument) => page0(doc).elements.map((e) => e.id);
const find = (doc: PosterDocument, id: string): Element => {
  const el = page0(doc).elements.find((e) => e.id === id);
  if (!el) throw new Error(`no ${id}`);
  return el;
};

/** Four elements a..d, bottom to top. */
function abcd(): PosterDocument {
  return docWith([
    rect('el:a', 10, 10, 20, 10),
    rect('el:b', 40, 20, 10, 30),
    text('el:c', 100, 50, 60, 15),
    rect('el:d', 5, 200, 30, 30, { locked: true }),
  ]);
}

/** Applies cmd, checks it changed the doc, then checks its inverse restores the exact previous doc. */
function expectExactInverse(doc: PosterDocument, cmd: Command): PosterDocument {
  const snapshot = structuredClone(doc);
  const { doc: next, inverse } = applyCommand(doc, cmd);
  expect(next).not.toEqual(snapshot);
  expect(doc).toEqual(snapshot); // the input is never mutated
  const { doc: back } = applyCommand(next, inverse);
  expect(back).toEqual(snapshot);
  return next;
}

describe('commands and their inverses', () => {
  it('addElements inserts at the given index and its inverse removes exactly those', () => {
    const doc = abcd();
    const next = expectExactInverse(doc, { type: 'addElements', pageId: pid(doc), elements: [rect('el:x', 0, 0, 5, 5)], index: 1 });
    expect(ids(next)).toEqual(['el:a', 'el:x', 'el:b', 'el:c', 'el:d']);
  });

  it('removeElements of non-adjacent elements: undo puts each back at its old z-position', () => {
    const doc = abcd();
    const next = expectExactInverse(doc, { type: 'removeElements', pageId: pid(doc), ids: ['el:d', 'el:b'] });
    expect(ids(next)).toEqual(['el:a', 'el:c']);
  });

  it('updateElements on several elements (one patched twice) is undone to the original values', () => {
    const doc = abcd();
    const next = expectExactInverse(doc, {
      type: 'updateElements',
      pageId: pid(doc),
      updates: [
        { id: 'el:a', patch: { x: 99, rotation: 45 } },
        { id: 'el:c', patch: { runs: [{ text: 'Changed', bold: true }] } },
        { id: 'el:a', patch: { x: 150, opacity: 0.5 } },
      ],
    });
    expect(find(next, 'el:a')).toMatchObject({ x: 150, rotation: 45, opacity: 0.5 });
    expect(find(next, 'el:c')).toMatchObject({ runs: [{ text: 'Changed', bold: true }] });
  });

  it('setOrder, updatePage and setTitle are undone exactly', () => {
    const doc = abcd();
    expect(ids(expectExactInverse(doc, { type: 'setOrder', pageId: pid(doc), order: ['el:d', 'el:c', 'el:a', 'el:b'] }))).toEqual([
      'el:d',
      'el:c',
      'el:a',
      'el:b',
    ]);
    const resized = expectExactInverse(doc, {
      type: 'updatePage',
      pageId: pid(doc),
      patch: { width: 420, height: 297, background: '#000000' },
    });
    expect(page0(resized)).toMatchObject({ width: 420, height: 297, background: '#000000' });
    expect(expectExactInverse(doc, { type: 'setTitle', title: '海报 Poster' }).title).toBe('海报 Poster');
  });

  it('addAssets and removeAssets are undone exactly', () => {
    const img = testImage(3, 2, 'a.png');
    const doc = abcd();
    const withAsset = expectExactInverse(doc, { type: 'addAssets', assets: [img.asset] });
    expectExactInverse(withAsset, { type: 'removeAssets', sha256s: [img.asset.sha256] });
  });

  it('addAssets of an already listed image (new name) is undone to the old entry', () => {
    const img = testImage(3, 2, 'first.png');
    const doc = { ...abcd(), assets: { [img.asset.sha256]: img.asset } };
    expectExactInverse(doc, { type: 'addAssets', assets: [{ ...img.asset, name: 'second.png' }] });
  });

  it('group and ungroup are undone exactly', () => {
    const doc = abcd();
    const grouped = expectExactInverse(doc, { type: 'group', pageId: pid(doc), ids: ['el:a', 'el:c'], groupId: 'el:g' });
    expect(ids(grouped)).toEqual(['el:b', 'el:g', 'el:d']);
    expectExactInverse(grouped, { type: 'ungroup', pageId: pid(doc), groupId: 'el:g' });
  });

  it('a batch applies in order and its inverse unwinds in reverse', () => {
    const doc = abcd();
    const next = expectExactInverse(doc, {
      type: 'batch',
      commands: [
        { type: 'addElements', pageId: pid(doc), elements: [rect('el:x', 1, 1, 5, 5)] },
        { type: 'updateElements', pageId: pid(doc), updates: [{ id: 'el:x', patch: { x: 50 } }] },
        { type: 'removeElements', pageId: pid(doc), ids: ['el:a'] },
        { type: 'setOrder', pageId: pid(doc), order: ['el:x', 'el:b', 'el:c', 'el:d'] },
      ],
    });
    expect(ids(next)).toEqual(['el:x', 'el:b', 'el:c', 'el:d']);
    expect(find(next, 'el:x').x).toBe(50);
  });

  describe('refused commands throw CommandError and leave the document untouched', () => {
    const doc = abcd();
    const p = pid(doc);
    const cases: [string, Command][] = [
      ['unknown element in update', { type: 'updateElements', pageId: p, updates: [{ id: 'el:nope', patch: { x: 1 } }] }],
      ['unknown element in remove', { type: 'removeElements', pageId: p, ids: ['el:a', 'el:nope'] }],
      ['negative width', { type: 'updateElements', pageId: p, updates: [{ id: 'el:a', patch: { width: -5 } }] }],
      ['bad colour', { type: 'updateElements', pageId: p, updates: [{ id: 'el:a', patch: { fill: 'red' } }] }],
      ['field the type lacks', { type: 'updateElements', pageId: p, updates: [{ id: 'el:a', patch: { runs: [] } }] }],
      ['changing the id', { type: 'updateElements', pageId: p, updates: [{ id: 'el:a', patch: { id: 'el:z' } }] }],
      ['incomplete order', { type: 'setOrder', pageId: p, order: ['el:a', 'el:b', 'el:c'] }],
      ['duplicate add', { type: 'addElements', pageId: p, elements: [rect('el:b', 0, 0, 1, 1)] }],
      ['group of unknown', { type: 'group', pageId: p, ids: ['el:a', 'el:nope'], groupId: 'el:g' }],
      ['ungroup of a non-group', { type: 'ungroup', pageId: p, groupId: 'el:a' }],
      ['ungroup of unknown', { type: 'ungroup', pageId: p, groupId: 'el:nope' }],
      ['page on an unknown page', { type: 'addElements', pageId: 'page:nope', elements: [rect('el:x', 0, 0, 1, 1)] }],
      [
        'batch failing half-way',
        {
          type: 'batch',
          commands: [
            { type: 'updateElements', pageId: p, updates: [{ id: 'el:a', patch: { x: 77 } }] },
            { type: 'updateElements', pageId: p, updates: [{ id: 'el:b', patch: { height: 0 } }] },
          ],
        },
      ],
    ];
    for (const [name, cmd] of cases) {
      it(name, () => {
        const snapshot = structuredClone(doc);
        expect(() => applyCommand(doc, cmd)).toThrow(CommandError);
        expect(doc).toEqual(snapshot);
      });
    }

    it('an invalid element patch names the field in the error', () => {
      expect(() => applyCommand(doc, { type: 'updateElements', pageId: p, updates: [{ id: 'el:a', patch: { width: -5 } }] })).toThrow(
        /width/,
      );
    });

    it('updatePage with a negative page width is refused (a page must stay valid)', () => {
      const snapshot = structuredClone(doc);
      expect(() => applyCommand(doc, { type: 'updatePage', pageId: p, patch: { width: -5 } })).toThrow(CommandError);
      expect(doc).toEqual(snapshot);
    });
  });
});

describe('History', () => {
  const nudge = (h: History, doc: PosterDocument, dx: number, now: number, key = 'nudge:el:a') =>
    h.execute(doc, moveBy(page0(doc), ['el:a'], dx, 0), { label: 'Nudge', mergeKey: key, now });

  it('undo and redo walk through every state in order', () => {
    const h = new History();
    const s0 = abcd();
    const s1 = h.execute(s0, { type: 'setTitle', title: 'One' }, { label: 'Rename' });
    const s2 = h.execute(s1, moveBy(page0(s1), ['el:a'], 5, 5), { label: 'Move' });
    const s3 = h.execute(s2, { type: 'removeElements', pageId: pid(s2), ids: ['el:c'] }, { label: 'Delete' });
    expect(h.undoLabel).toBe('Delete');
    const u1 = h.undo(s3);
    expect(u1).toEqual(s2);
    expect(h.redoLabel).toBe('Delete');
    const u2 = h.undo(u1);
    expect(u2).toEqual(s1);
    const u3 = h.undo(u2);
    expect(u3).toEqual(s0);
    expect(h.canUndo).toBe(false);
    expect(h.undo(u3)).toBe(u3); // nothing more to undo
    const r1 = h.redo(u3);
    expect(r1).toEqual(s1);
    const r2 = h.redo(r1);
    expect(r2).toEqual(s2);
    expect(h.redo(r2)).toEqual(s3);
    expect(h.canRedo).toBe(false);
  });

  it('a new edit after undo clears the redo list', () => {
    const h = new History();
    const s0 = abcd();
    const s1 = h.execute(s0, { type: 'setTitle', title: 'One' }, { label: 'Rename' });
    const back = h.undo(s1);
    expect(h.canRedo).toBe(true);
    const s2 = h.execute(back, { type: 'setTitle', title: 'Two' }, { label: 'Rename' });
    expect(h.canRedo).toBe(false);
    expect(h.redo(s2)).toBe(s2);
    expect(h.undo(s2)).toEqual(s0);
  });

  it('a run of nudges within the merge window is reverted by one undo', () => {
    const h = new History();
    const s0 = abcd();
    let doc = s0;
    for (let i = 0; i < 10; i++) doc = nudge(h, doc, 1, 1000 + i * 200);
    expect(find(doc, 'el:a').x).toBe(20);
    const back = h.undo(doc);
    expect(back).toEqual(s0);
    expect(h.canUndo).toBe(false);
    // and one redo replays the whole run
    expect(find(h.redo(back), 'el:a').x).toBe(20);
  });

  it('nudges separated by more than the window, or with another key, are separate steps', () => {
    const h = new History();
    const s0 = abcd();
    const s1 = nudge(h, s0, 1, 1000);
    const s2 = nudge(h, s1, 1, 3000); // 2 s later
    const s3 = nudge(h, s2, 1, 3100, 'nudge:el:b');
    expect(h.undo(s3)).toEqual(s2);
    expect(h.undo(s2)).toEqual(s1);
    expect(h.undo(s1)).toEqual(s0);
  });

  it('a save splits a run of nudges so undo returns to the saved state', () => {
    const h = new History();
    const s1 = nudge(h, abcd(), 1, 1000);
    h.markSaved();
    expect(h.dirty).toBe(false);
    const s2 = nudge(h, s1, 1, 1100);
    expect(h.dirty).toBe(true);
    expect(h.undo(s2)).toEqual(s1);
    expect(h.dirty).toBe(false);
  });

  it('the dirty flag follows markSaved, undo and redo', () => {
    const h = new History();
    expect(h.dirty).toBe(false);
    const s1 = h.execute(abcd(), { type: 'setTitle', title: 'One' }, { label: 'Rename' });
    expect(h.dirty).toBe(true);
    h.markSaved();
    expect(h.dirty).toBe(false);
    const u = h.undo(s1);
    expect(h.dirty).toBe(true);
    h.redo(u);
    expect(h.dirty).toBe(false);
  });

  it('a refused command records nothing', () => {
    const h = new History();
    const doc = abcd();
    expect(() =>
      h.execute(doc, { type: 'updateElements', pageId: pid(doc), updates: [{ id: 'el:a', patch: { width: -5 } }] }, { label: 'x' }),
    ).toThrow(CommandError);
    expect(h.canUndo).toBe(false);
    expect(h.dirty).toBe(false);
  });

  it('keeps at most `limit` undo steps', () => {
    const h = new History(3);
    let doc = abcd();
    for (let i = 0; i < 5; i++) doc = h.execute(doc, { type: 'setTitle', title: `T${i}` }, { label: `Step ${i}` });
    for (let i = 0; i < 3; i++) doc = h.undo(doc);
    expect(h.canUndo).toBe(false);
    expect(doc.title).toBe('T1');
  });
});

describe('operations', () => {
  it('moveBy moves unlocked elements and skips locked ones', () => {
    const doc = abcd();
    const { doc: next } = applyCommand(doc, moveBy(page0(doc), ['el:a', 'el:d'], 3, -2));
    expect(find(next, 'el:a')).toMatchObject({ x: 13, y: 8 });
    expect(find(next, 'el:d')).toEqual(find(doc, 'el:d'));
  });

  it('duplicate makes copies with fresh ids, offset by 5 mm, each directly above its original', () => {
    const doc = docWith([...page0(abcd()).elements, groupOf('el:g', { x: 0, y: 0, width: 10, height: 10 }, [rect('el:gc', 1, 1, 2, 2)])]);
    const { command, newIds } = duplicate(page0(doc), ['el:a', 'el:g']);
    const { doc: next } = applyCommand(doc, command);
    expect(newIds).toHaveLength(2);
    expect(ids(next)).toEqual(['el:a', newIds[0], 'el:b', 'el:c', 'el:d', 'el:g', newIds[1]]);
    const [ca, cg] = newIds.map((id) => find(next, id)) as [Element, GroupElement];
    expect(ca).toEqual({ ...find(doc, 'el:a'), id: ca.id, x: 15, y: 15 });
    expect(cg.type).toBe('group');
    expect(cg.children[0]!.id).not.toBe('el:gc');
    const all = new Set([...ids(doc), ...newIds, cg.children[0]!.id, 'el:gc']);
    expect(all.size).toBe(ids(doc).length + 4);
    expect(() => parseDocument(next)).not.toThrow();
  });

  it('reorder moves the selection to front, back, one forward and one backward', () => {
    const doc = abcd();
    const order = (ids2: ElementId[], move: Parameters<typeof reorder>[2]) => ids(applyCommand(doc, reorder(page0(doc), ids2, move)).doc);
    expect(order(['el:a', 'el:b'], 'front')).toEqual(['el:c', 'el:d', 'el:a', 'el:b']);
    expect(order(['el:c', 'el:d'], 'back')).toEqual(['el:c', 'el:d', 'el:a', 'el:b']);
    expect(order(['el:a'], 'forward')).toEqual(['el:b', 'el:a', 'el:c', 'el:d']);
    expect(order(['el:a', 'el:b'], 'forward')).toEqual(['el:c', 'el:a', 'el:b', 'el:d']);
    expect(order(['el:a', 'el:c'], 'forward')).toEqual(['el:b', 'el:a', 'el:d', 'el:c']);
    expect(order(['el:d'], 'forward')).toEqual(['el:a', 'el:b', 'el:c', 'el:d']);
    expect(order(['el:c'], 'backward')).toEqual(['el:a', 'el:c', 'el:b', 'el:d']);
    expect(order(['el:b', 'el:d'], 'backward')).toEqual(['el:b', 'el:a', 'el:d', 'el:c']);
    expect(order(['el:a'], 'backward')).toEqual(['el:a', 'el:b', 'el:c', 'el:d']);
  });

  it('one element aligns to the page trim on every edge', () => {
    const doc = abcd(); // A3: 297 × 420
    const a = (edge: Parameters<typeof align>[2]) => find(applyCommand(doc, align(page0(doc), ['el:a'], edge)).doc, 'el:a');
    expect(a('left')).toMatchObject({ x: 0, y: 10 });
    expect(a('right')).toMatchObject({ x: 277, y: 10 });
    expect(a('hcenter')).toMatchObject({ x: 138.5, y: 10 });
    expect(a('top')).toMatchObject({ x: 10, y: 0 });
    expect(a('bottom')).toMatchObject({ x: 10, y: 410 });
    expect(a('vcenter')).toMatchObject({ x: 10, y: 205 });
  });

  it('several elements align to their common bounds; locked ones stay', () => {
    const doc = abcd(); // a: x 10..30, b: x 40..50, c: x 100..160, y 10..65 overall
    const run = (edge: Parameters<typeof align>[2]) => applyCommand(doc, align(page0(doc), ['el:a', 'el:b', 'el:c', 'el:d'], edge)).doc;
    const left = run('left');
    expect([find(left, 'el:a').x, find(left, 'el:b').x, find(left, 'el:c').x]).toEqual([10, 10, 10]);
    expect(find(left, 'el:d')).toEqual(find(doc, 'el:d'));
    const right = run('right');
    expect([find(right, 'el:a').x, find(right, 'el:b').x, find(right, 'el:c').x]).toEqual([140, 150, 100]);
    const mid = run('vcenter'); // bounds y 10..65 → centre 37.5
    expect([find(mid, 'el:a').y, find(mid, 'el:b').y, find(mid, 'el:c').y]).toEqual([32.5, 22.5, 30]);
    const bottom = run('bottom');
    expect([find(bottom, 'el:a').y, find(bottom, 'el:b').y, find(bottom, 'el:c').y]).toEqual([55, 35, 50]);
  });

  it('a rotated element aligns by its drawn (rotated) bounds', () => {
    // 40 × 10 box turned 90°: drawn 10 wide and 40 tall, centred on the box centre.
    const doc = docWith([rect('el:r', 100, 100, 40, 10, { rotation: 90 }), rect('el:s', 0, 0, 10, 10)]);
    const left = find(applyCommand(doc, align(page0(doc), ['el:r'], 'left')).doc, 'el:r');
    expect(left.x).toBeCloseTo(-15, 9);
    expect(boundsOf(left).x).toBeCloseTo(0, 9);
    const top = find(applyCommand(doc, align(page0(doc), ['el:r'], 'top')).doc, 'el:r');
    expect(top.y).toBeCloseTo(15, 9);
    // with another element: the union's bottom is the rotated one's drawn bottom (105 + 20)
    const both = applyCommand(doc, align(page0(doc), ['el:r', 'el:s'], 'bottom')).doc;
    expect(boundsOf(find(both, 'el:s')).y + 10).toBeCloseTo(125, 9);
    expect(find(both, 'el:s').y).toBeCloseTo(115, 9);
  });

  it('group then ungroup puts every element back where it was on the page', () => {
    const doc = docWith([rect('el:a', 10, 10, 20, 10, { rotation: 30 }), text('el:b', 50, 30, 10, 10), rect('el:c', 200, 200, 5, 5)]);
    const { command, groupId } = group(pid(doc), ['el:a', 'el:b']);
    const grouped = applyCommand(doc, command).doc;
    const g = find(grouped, groupId) as GroupElement;
    expect(ids(grouped)).toEqual([groupId, 'el:c']);
    const box = boundsOf(find(doc, 'el:a'));
    expect(g.x).toBeCloseTo(box.x, 9);
    expect(g.y).toBeCloseTo(Math.min(box.y, 30), 9);
    const un = applyCommand(grouped, { type: 'ungroup', pageId: pid(doc), groupId }).doc;
    expect(ids(un)).toEqual(['el:a', 'el:b', 'el:c']);
    for (const id of ['el:a', 'el:b']) {
      const [before, after] = [find(doc, id), find(un, id)];
      expect(after.x).toBeCloseTo(before.x, 9);
      expect(after.y).toBeCloseTo(before.y, 9);
      expect(after.rotation).toBeCloseTo(before.rotation, 9);
      expect(after.width).toBe(before.width);
    }
  });

  it('ungrouping a group turned 90° turns its children about the group centre', () => {
    // c is turned 10° and lies well inside the a–b box, so the group box is exactly a ∪ b.
    const doc = docWith([rect('el:a', 10, 10, 20, 10), rect('el:b', 50, 30, 10, 10), rect('el:c', 30, 20, 10, 10, { rotation: 10 })]);
    const grouped = applyCommand(doc, { type: 'group', pageId: pid(doc), ids: ['el:a', 'el:b', 'el:c'], groupId: 'el:g' }).doc;
    const g = find(grouped, 'el:g');
    expect(g).toMatchObject({ x: 10, y: 10, width: 50, height: 30 });
    const turned = applyCommand(grouped, {
      type: 'updateElements',
      pageId: pid(doc),
      updates: [{ id: 'el:g', patch: { rotation: 90 } }],
    }).doc;
    const un = applyCommand(turned, { type: 'ungroup', pageId: pid(doc), groupId: 'el:g' }).doc;
    const gc = { x: 35, y: 25 };
    for (const id of ['el:a', 'el:b', 'el:c']) {
      const before = find(doc, id);
      const after = find(un, id);
      const c = rotateAbout(centreOf(before), gc, 90);
      expect(centreOf(after).x).toBeCloseTo(c.x, 9);
      expect(centreOf(after).y).toBeCloseTo(c.y, 9);
      expect(after.rotation).toBeCloseTo(before.rotation + 90, 9);
      expect([after.width, after.height]).toEqual([before.width, before.height]);
    }
    // a's centre (20, 15) is 15 left and 10 above the group centre; a quarter turn clockwise
    // puts it 10 right and 15 above: (45, 10).
    expect(centreOf(find(un, 'el:a')).x).toBeCloseTo(45, 9);
    expect(centreOf(find(un, 'el:a')).y).toBeCloseTo(10, 9);
  });
});

describe('page sizes', () => {
  it('presets give portrait sizes and landscape swaps the sides', () => {
    expect(presetSize('A3', 'portrait')).toEqual({ widthMm: 297, heightMm: 420 });
    expect(presetSize('A3', 'landscape')).toEqual({ widthMm: 420, heightMm: 297 });
    expect(presetSize('A4', 'portrait')).toEqual({ widthMm: 210, heightMm: 297 });
    expect(presetSize('nope', 'portrait')).toBeNull();
  });

  it('24 × 36 in is 609.6 × 914.4 mm', () => {
    const s = presetSize('24x36in', 'portrait')!;
    expect(s.widthMm).toBeCloseTo(609.6, 9);
    expect(s.heightMm).toBeCloseTo(914.4, 9);
    expect(inchToMm(1)).toBe(25.4);
  });

  it('matchPreset recognises a size in either orientation, within 0.5 mm', () => {
    expect(matchPreset(297, 420)).toEqual({ id: 'A3', orientation: 'portrait' });
    expect(matchPreset(420, 297)).toEqual({ id: 'A3', orientation: 'landscape' });
    expect(matchPreset(914.4, 609.6)).toEqual({ id: '24x36in', orientation: 'landscape' });
    expect(matchPreset(210.3, 296.8)).toEqual({ id: 'A4', orientation: 'portrait' });
    expect(matchPreset(300, 400)).toBeNull();
    for (const p of PAGE_PRESETS) expect(matchPreset(p.widthMm, p.heightMm)?.id).toBe(p.id);
  });
});

describe('element ids stay unique across the document', () => {
  it('adding an element whose id is a group child elsewhere is refused', () => {
    const doc = docWith([groupOf('el:g', { x: 0, y: 0, width: 10, height: 10 }, [rect('el:child', 1, 1, 2, 2)])]);
    expect(() => applyCommand(doc, { type: 'addElements', pageId: pid(doc), elements: [rect('el:child', 0, 0, 1, 1)] })).toThrow(
      CommandError,
    );
    expect(() => applyCommand(doc, { type: 'group', pageId: pid(doc), ids: ['el:g'], groupId: 'el:child' })).toThrow(CommandError);
  });

  it('adding an invalid element is refused', () => {
    const doc = docWith([]);
    const bad = { ...rect('el:x', 0, 0, 10, 10), width: -1 };
    expect(() => applyCommand(doc, { type: 'addElements', pageId: pid(doc), elements: [bad] })).toThrow(/width/);
  });
});
