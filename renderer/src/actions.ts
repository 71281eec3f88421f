// Every user action in one table, so toolbar buttons, keyboard shortcuts and the desktop menu
// all run the same code.
import type { MenuCommand } from '../../core/api/contract';
import { createShape, createText } from '../../core/document/factory';
import type { AlignEdge } from '../../core/document/geometry';
import { align, duplicate, group, moveBy, remove, reorder, type ZMove } from '../../core/document/operations';
import type { PageCanvas } from './canvas/page-canvas';
import type { AppController } from './state/app-controller';
import type { EditorStore } from './state/editor-store';

export interface ActionDeps {
  store: EditorStore;
  app: AppController;
  canvas: () => PageCanvas | null;
  pickImages: () => void;
  editText: (id: string) => void;
  showPreflight: () => void;
}

export function createActions({ store, app, canvas, pickImages, editText, showPreflight }: ActionDeps) {
  const sel = () => store.getState().selection;
  const page = () => store.page;
  const centreBox = (w: number, h: number) => {
    const p = page();
    return { x: (p.width - w) / 2, y: (p.height - h) / 2, width: w, height: h };
  };
  const a = {
    new: () => void app.newDocument(),
    open: () => void app.open(),
    save: () => void app.save(),
    saveAs: () => void app.saveAs(),
    importImage: () => pickImages(),
    undo: () => store.undo(),
    redo: () => store.redo(),
    delete: () => {
      if (sel().length) store.execute(remove(page(), sel()), 'Delete', { select: [] });
    },
    duplicate: () => {
      if (!sel().length) return;
      const { command, newIds } = duplicate(page(), sel());
      store.execute(command, 'Duplicate', { select: newIds });
    },
    nudge: (dx: number, dy: number) => {
      if (sel().length) store.execute(moveBy(page(), sel(), dx, dy), 'Nudge', { mergeKey: `nudge:${sel().join(',')}` });
    },
    align: (edge: AlignEdge) => {
      if (sel().length) store.execute(align(page(), sel(), edge), 'Align');
    },
    reorder: (move: ZMove) => {
      if (sel().length) store.execute(reorder(page(), sel(), move), 'Arrange');
    },
    group: () => {
      if (sel().length < 2) return;
      const { command, groupId } = group(page().id, sel());
      store.execute(command, 'Group', { select: [groupId] });
    },
    ungroup: () => {
      const ids = sel();
      const groups = page().elements.filter((e) => ids.includes(e.id) && e.type === 'group');
      if (!groups.length) return;
      const childIds = groups.flatMap((g) => (g.type === 'group' ? g.children.map((c) => c.id) : []));
      store.execute(
        { type: 'batch', commands: groups.map((g) => ({ type: 'ungroup' as const, pageId: page().id, groupId: g.id })) },
        'Ungroup',
        {
          select: childIds,
        },
      );
    },
    addRect: () => {
      const p = page();
      const w = Math.round(p.width / 3);
      const el = createShape('rect', centreBox(w, Math.round(w * 0.6)));
      store.execute({ type: 'addElements', pageId: p.id, elements: [el] }, 'Add rectangle', { select: [el.id] });
    },
    addEllipse: () => {
      const p = page();
      const w = Math.round(p.width / 3);
      const el = createShape('ellipse', centreBox(w, w));
      store.execute({ type: 'addElements', pageId: p.id, elements: [el] }, 'Add ellipse', { select: [el.id] });
    },
    addText: () => {
      const p = page();
      const el = createText(centreBox(Math.round(p.width * 0.6), 30), '双语海报');
      el.secondary = { runs: [{ text: 'Bilingual poster' }], ratio: 0.5, gap: 6, arrangement: 'stacked' };
      // New frames grow with their text; the fit setting switches this off.
      el.style = { ...el.style, fit: 'grow' };
      store.execute({ type: 'addElements', pageId: p.id, elements: [el] }, 'Add text', { select: [el.id] });
      editText(el.id);
    },
    zoomIn: () => canvas()?.zoomBy(1.25),
    zoomOut: () => canvas()?.zoomBy(0.8),
    zoomFit: () => canvas()?.fit(),
    selectAll: () =>
      store.select(
        page()
          .elements.filter((e) => !e.hidden && !e.locked)
          .map((e) => e.id),
      ),
    deselect: () => store.select([]),
    preflight: () => showPreflight(),
    editSelectedText: () => {
      const ids = sel();
      const el = ids.length === 1 ? page().elements.find((e) => e.id === ids[0]) : undefined;
      if (el?.type === 'text' && !el.locked) editText(el.id);
    },
  };
  return a;
}

export type Actions = ReturnType<typeof createActions>;

export function runMenuCommand(actions: Actions, command: MenuCommand): void {
  const fn = (actions as unknown as Record<MenuCommand, (() => void) | undefined>)[command];
  fn?.();
}

const isTyping = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');

/**
 * Keyboard shortcuts, handled here in both shells: the desktop menu shows the same accelerators
 * without registering them (registerAccelerator: false), so each key runs exactly once.
 */
export function handleKey(e: KeyboardEvent, actions: Actions): boolean {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod) {
    // Global shortcuts work even while a field has focus, except undo/redo in text fields.
    if (key === 's') return run(e, e.shiftKey ? actions.saveAs : actions.save);
    if (key === 'o') return run(e, actions.open);
    if (key === 'n') return run(e, actions.new);
    if (isTyping(e.target)) return false;
    if (key === 'z') return run(e, e.shiftKey ? actions.redo : actions.undo);
    if (key === 'y') return run(e, actions.redo);
    if (key === 'd') return run(e, actions.duplicate);
    if (key === 'i') return run(e, actions.importImage);
    if (key === 'a') return run(e, actions.selectAll);
    if (key === 'g') return run(e, e.shiftKey ? actions.ungroup : actions.group);
    if (key === '=' || key === '+') return run(e, actions.zoomIn);
    if (key === '-') return run(e, actions.zoomOut);
    if (key === '0') return run(e, actions.zoomFit);
    if (key === ']') return run(e, () => actions.reorder(e.shiftKey ? 'front' : 'forward'));
    if (key === '[') return run(e, () => actions.reorder(e.shiftKey ? 'back' : 'backward'));
    return false;
  }
  if (isTyping(e.target)) return false;
  const step = e.shiftKey ? 10 : 1;
  switch (e.key) {
    case 'Delete':
    case 'Backspace':
      return run(e, actions.delete);
    case 'Escape':
      return run(e, actions.deselect);
    case 'Enter':
      return run(e, actions.editSelectedText);
    case 'ArrowLeft':
      return run(e, () => actions.nudge(-step, 0));
    case 'ArrowRight':
      return run(e, () => actions.nudge(step, 0));
    case 'ArrowUp':
      return run(e, () => actions.nudge(0, -step));
    case 'ArrowDown':
      return run(e, () => actions.nudge(0, step));
  }
  return false;
}

function run(e: KeyboardEvent, fn: () => void): boolean {
  e.preventDefault();
  fn();
  return true;
}
