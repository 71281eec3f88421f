// The Fabric canvas as a view of one page of the document. sync() makes the canvas match the
// store; finished gestures become commands; selection flows back to the store. Scene units
// are millimetres with the page trim's top-left at (0, 0); zoom is screen px per mm.
import { ActiveSelection, type FabricObject, Point, Rect, type TPointerEventInfo, util } from 'fabric';
import type { ElementPatch } from '../../../core/document/commands';
import type { Element, Page } from '../../../core/document/schema';
import type { ElementId } from '../../../core/ids';
import type { EditorStore } from '../state/editor-store';
import { installTextEngine, viewOf } from './elements/registry';
import { elementIdOf, type ViewContext } from './elements/types';
import type { ImageCache } from './image-cache';
import { LayeredCanvas } from './layered-canvas';
import { drawGuides, type GuideOptions } from './overlays';
import type { TextEngine } from './text-engine';

const MIN_ZOOM = 0.02;
const MAX_ZOOM = 80;

interface Entry {
  obj: FabricObject;
  el: Element;
}

export class PageCanvas {
  readonly canvas: LayeredCanvas;
  private readonly entries = new Map<ElementId, Entry>();
  private readonly pageRect: Rect;
  private readonly ctx: ViewContext;
  private syncing = false;
  private userZoomed = false;
  private pageSizeKey = '';
  private spaceDown = false;
  private panning: { x: number; y: number } | null = null;
  private unsubscribe: () => void;
  private resizeObserver: ResizeObserver;
  guides: GuideOptions = { showBleed: true, showSafe: true };
  onViewChange: () => void = () => {};
  /** A text frame was double-clicked. */
  onEditText: (id: ElementId) => void = () => {};
  onFirstPaint: (() => void) | null = null;

  constructor(
    private readonly host: HTMLElement,
    canvasEl: HTMLCanvasElement,
    private readonly store: EditorStore,
    images: ImageCache,
    engine: TextEngine,
  ) {
    installTextEngine(engine);
    engine.onFontsLoaded = () => this.refreshText();
    this.canvas = new LayeredCanvas(canvasEl, {
      preserveObjectStacking: true,
      backgroundColor: '#c8c8d0',
      selectionColor: 'rgba(40, 120, 230, 0.12)',
      selectionBorderColor: '#2878e6',
      uniformScaling: false,
      enableRetinaScaling: true,
      fireMiddleClick: true,
      stopContextMenu: true,
    });
    this.ctx = { images, requestRender: () => this.canvas.requestRenderAll() };
    this.pageRect = new Rect({
      selectable: false,
      evented: false,
      originX: 'left',
      originY: 'top',
      objectCaching: false,
      excludeFromExport: true,
    });
    this.canvas.add(this.pageRect);
    this.bindEvents();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(host);
    this.unsubscribe = store.subscribe(() => this.sync());
    this.resize();
    this.sync();
  }

  dispose(): void {
    this.unsubscribe();
    this.resizeObserver.disconnect();
    void this.canvas.dispose();
  }

  get zoom(): number {
    return this.canvas.viewportTransform[0];
  }

  /** Page-trim origin in CSS pixels relative to the canvas element, and px per mm. */
  get view(): { zoom: number; originX: number; originY: number } {
    const v = this.canvas.viewportTransform;
    return { zoom: v[0], originX: v[4], originY: v[5] };
  }

  private get page(): Page {
    return this.store.page;
  }

  // ---- document -> canvas ------------------------------------------------------------

  sync(): void {
    this.syncing = true;
    try {
      const page = this.page;
      const b = page.bleed;
      // A new page size refits the view unless the user has zoomed or panned themselves.
      const sizeKey = `${page.id}:${page.width}x${page.height}+${b}`;
      if (sizeKey !== this.pageSizeKey) {
        this.pageSizeKey = sizeKey;
        if (!this.userZoomed) this.fit();
      }
      this.pageRect.set({
        left: -b,
        top: -b,
        width: page.width + 2 * b,
        height: page.height + 2 * b,
        fill: page.background,
        strokeWidth: 0,
      });
      const active = this.canvas.getActiveObject();
      // Objects inside an ActiveSelection hold group-relative coordinates; release them first.
      if (active instanceof ActiveSelection) this.canvas.discardActiveObject();
      const seen = new Set<ElementId>();
      page.elements.forEach((el, i) => {
        seen.add(el.id);
        const entry = this.entries.get(el.id);
        if (!entry) {
          const obj = viewOf(el).create(el, this.ctx);
          this.entries.set(el.id, { obj, el });
          this.canvas.insertAt(i + 1, obj);
        } else if (entry.el !== el) {
          const view = viewOf(el);
          if (view.update) view.update(entry.obj, el, this.ctx);
          else {
            const obj = view.create(el, this.ctx);
            this.canvas.remove(entry.obj);
            this.canvas.insertAt(i + 1, obj);
            entry.obj = obj;
          }
          entry.el = el;
        }
      });
      for (const [id, entry] of this.entries) {
        if (!seen.has(id)) {
          this.canvas.remove(entry.obj);
          this.entries.delete(id);
        }
      }
      // Z-order: the page rectangle first, then elements bottom to top.
      const objects = this.canvas.getObjects();
      page.elements.forEach((el, i) => {
        const obj = this.entries.get(el.id)?.obj;
        if (obj && objects[i + 1] !== obj) this.canvas.moveObjectTo(obj, i + 1);
      });
      this.syncSelection();
      this.canvas.requestRenderAll();
    } finally {
      this.syncing = false;
    }
  }

  private syncSelection(): void {
    const ids = this.store.getState().selection;
    const objs = ids.map((id) => this.entries.get(id)?.obj).filter((o): o is FabricObject => Boolean(o?.visible));
    const current = this.canvas.getActiveObjects();
    if (objs.length === current.length && objs.every((o) => current.includes(o))) return;
    this.canvas.discardActiveObject();
    if (objs.length === 1) this.canvas.setActiveObject(objs[0]!);
    else if (objs.length > 1) this.canvas.setActiveObject(new ActiveSelection(objs, { canvas: this.canvas }));
  }

  /** Re-typesets every text frame (fonts arrived). */
  private refreshPending = false;

  private refreshText(): void {
    // Never interrupt a gesture: fonts that arrive mid-drag are applied when it ends.
    if (this.canvas._currentTransform) {
      this.refreshPending = true;
      return;
    }
    this.refreshPending = false;
    const hasText = (el: Element): boolean => el.type === 'text' || (el.type === 'group' && el.children.some(hasText));
    this.syncing = true;
    try {
      this.canvas.discardActiveObject();
      for (const [id, entry] of this.entries) {
        if (!hasText(entry.el)) continue;
        // Force a fresh view of this element: drop it and let sync rebuild it.
        this.canvas.remove(entry.obj);
        this.entries.delete(id);
      }
    } finally {
      this.syncing = false;
    }
    this.sync();
  }

  /** The frame of an element in CSS pixels relative to the canvas host (unrotated box). */
  screenBox(el: { x: number; y: number; width: number; height: number }): { left: number; top: number; width: number; height: number } {
    const v = this.canvas.viewportTransform;
    return { left: v[4] + el.x * v[0], top: v[5] + el.y * v[0], width: el.width * v[0], height: el.height * v[0] };
  }

  // ---- canvas -> document ------------------------------------------------------------

  private bindEvents(): void {
    const c = this.canvas;
    const selectionChanged = () => {
      if (this.syncing) return;
      const ids = c
        .getActiveObjects()
        .map(elementIdOf)
        .filter((id): id is string => Boolean(id)) as ElementId[];
      this.store.select(ids);
    };
    c.on('selection:created', selectionChanged);
    c.on('selection:updated', selectionChanged);
    c.on('selection:cleared', selectionChanged);
    c.on('object:modified', (e) => this.commitTransform(e.target, e.action));
    c.on('mouse:dblclick', (e) => {
      const id = e.target ? (elementIdOf(e.target) as ElementId | undefined) : undefined;
      const entry = id ? this.entries.get(id) : undefined;
      if (id && entry?.el.type === 'text' && !entry.el.locked) this.onEditText(id);
    });
    // With localStorage.posterProfile = '1', each render is a performance measure (for the bench).
    const profile = localStorage.getItem('posterProfile') === '1';
    if (profile) c.on('before:render', () => performance.mark('poster:render-start'));
    c.on('after:render', ({ ctx }) => {
      drawGuides(ctx, c.viewportTransform, this.page, c.getWidth(), c.getHeight(), this.guides);
      if (profile) performance.measure('poster:render', 'poster:render-start');
      if (this.onFirstPaint) {
        const cb = this.onFirstPaint;
        this.onFirstPaint = null;
        cb();
      }
    });
    c.on('mouse:wheel', (opt) => this.onWheel(opt as TPointerEventInfo<WheelEvent>));
    c.on('mouse:down:before', (opt) => {
      const e = opt.e as MouseEvent;
      if (e.button === 1 || this.spaceDown) {
        this.panning = { x: e.clientX, y: e.clientY };
        c.selection = false;
      }
    });
    c.on('mouse:move', (opt) => {
      if (!this.panning) return;
      const e = opt.e as MouseEvent;
      c.relativePan(new Point(e.clientX - this.panning.x, e.clientY - this.panning.y));
      this.panning = { x: e.clientX, y: e.clientY };
      this.userZoomed = true;
      this.onViewChange();
    });
    c.on('mouse:up', () => {
      if (this.refreshPending) queueMicrotask(() => this.refreshText());
      if (this.panning) {
        this.panning = null;
        c.selection = true;
      }
    });
  }

  setSpaceDown(down: boolean): void {
    this.spaceDown = down;
    this.canvas.skipTargetFind = down;
    this.canvas.defaultCursor = down ? 'grab' : 'default';
  }

  private commitTransform(target: FabricObject | undefined, action: string | undefined): void {
    if (!target) return;
    const objects = target instanceof ActiveSelection ? target.getObjects() : [target];
    const updates: { id: ElementId; patch: ElementPatch }[] = [];
    for (const obj of objects) {
      const id = elementIdOf(obj) as ElementId | undefined;
      const entry = id ? this.entries.get(id) : undefined;
      if (!id || !entry) continue;
      const d = util.qrDecompose(obj.calcTransformMatrix());
      const patch = viewOf(entry.el).readBack(obj, entry.el, {
        cx: d.translateX,
        cy: d.translateY,
        angle: d.angle,
        scaleX: d.scaleX,
        scaleY: d.scaleY,
      });
      updates.push({ id, patch: roundPatch(patch) });
    }
    if (updates.length === 0) return;
    const label = action?.startsWith('scale') || action === 'resizing' ? 'Resize' : action === 'rotate' ? 'Rotate' : 'Move';
    const ok = this.store.execute({ type: 'updateElements', pageId: this.page.id, updates }, label);
    // A refused edit (e.g. out of range) snaps objects back to the document.
    if (!ok) {
      for (const { id } of updates) {
        const entry = this.entries.get(id);
        if (entry) viewOf(entry.el).update?.(entry.obj, entry.el, this.ctx);
      }
      this.canvas.requestRenderAll();
    }
  }

  // ---- view ----------------------------------------------------------------------------

  private resize(): void {
    const { clientWidth: w, clientHeight: h } = this.host;
    if (w === 0 || h === 0) return;
    this.canvas.setDimensions({ width: w, height: h });
    if (!this.userZoomed) this.fit();
    else this.canvas.requestRenderAll();
  }

  /** Fits the page with its bleed into the view, with a margin. */
  fit(): void {
    const page = this.page;
    const w = this.canvas.getWidth();
    const h = this.canvas.getHeight();
    const margin = 32;
    const pw = page.width + 2 * page.bleed;
    const ph = page.height + 2 * page.bleed;
    const z = Math.max(MIN_ZOOM, Math.min((w - 2 * margin) / pw, (h - 2 * margin) / ph));
    this.canvas.setViewportTransform([z, 0, 0, z, (w - page.width * z) / 2, (h - page.height * z) / 2]);
    this.userZoomed = false;
    this.onViewChange();
  }

  zoomBy(factor: number, at?: Point): void {
    const z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.zoom * factor));
    const point = at ?? new Point(this.canvas.getWidth() / 2, this.canvas.getHeight() / 2);
    this.canvas.zoomToPoint(point, z);
    this.userZoomed = true;
    this.onViewChange();
  }

  private onWheel(opt: TPointerEventInfo<WheelEvent>): void {
    const e = opt.e;
    e.preventDefault();
    if (e.ctrlKey || e.metaKey) {
      this.zoomBy(Math.exp(-e.deltaY * 0.002), new Point(e.offsetX, e.offsetY));
    } else {
      this.canvas.relativePan(new Point(-e.deltaX, -e.deltaY));
      this.userZoomed = true;
      this.onViewChange();
    }
  }

  /** Converts a client (CSS px) position to page millimetres. */
  clientToPage(clientX: number, clientY: number): { x: number; y: number } {
    const rect = this.canvas.upperCanvasEl.getBoundingClientRect();
    const v = this.canvas.viewportTransform;
    return { x: (clientX - rect.left - v[4]) / v[0], y: (clientY - rect.top - v[5]) / v[0] };
  }
}

function roundPatch(p: ElementPatch): ElementPatch {
  const out: ElementPatch = { ...p };
  for (const k of ['x', 'y', 'width', 'height'] as const) {
    const v = out[k];
    if (typeof v === 'number') out[k] = Math.round(v * 1000) / 1000;
  }
  return out;
}
