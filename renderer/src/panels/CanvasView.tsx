import { useEffect, useRef, useState } from 'react';
import type { ImageCache } from '../canvas/image-cache';
import { PageCanvas } from '../canvas/page-canvas';
import type { TextEngine } from '../canvas/text-engine';
import { useI18n } from '../i18n';
import type { AppController } from '../state/app-controller';
import type { EditorStore } from '../state/editor-store';
import { TextEditor } from './TextEditor';

interface Props {
  store: EditorStore;
  images: ImageCache;
  app: AppController;
  onReady(canvas: PageCanvas | null): void;
  showGuides: boolean;
  engine: TextEngine;
  editingId: string | null;
  setEditingId(id: string | null): void;
}

/** Hosts the Fabric canvas and exposes its view (zoom, origin) as data attributes for tests. */
export function CanvasView({ store, images, app, onReady, showGuides, engine, editingId, setEditingId }: Props) {
  const hostRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const pcRef = useRef<PageCanvas | null>(null);
  const [dragging, setDragging] = useState(false);
  const { t } = useI18n();

  useEffect(() => {
    const host = hostRef.current;
    const el = canvasRef.current;
    if (!host || !el) return;
    const pc = new PageCanvas(host, el, store, images, engine);
    pc.onEditText = (id) => setEditingId(id);
    pcRef.current = pc;
    const publish = () => {
      const v = pc.view;
      host.dataset.zoom = String(v.zoom);
      host.dataset.originX = String(v.originX);
      host.dataset.originY = String(v.originY);
    };
    pc.onViewChange = publish;
    pc.onFirstPaint = () => performance.mark('poster:first-canvas-paint');
    publish();
    onReady(pc);
    const onKey = (e: KeyboardEvent) => {
      if (e.code === 'Space' && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement)) {
        if (e.type === 'keydown') e.preventDefault();
        pc.setSpaceDown(e.type === 'keydown');
      }
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('keyup', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('keyup', onKey);
      onReady(null);
      pc.dispose();
      pcRef.current = null;
    };
  }, [store, images, onReady, engine, setEditingId]);

  useEffect(() => {
    const pc = pcRef.current;
    if (!pc) return;
    pc.guides = { showBleed: showGuides, showSafe: showGuides };
    pc.canvas.requestRenderAll();
  }, [showGuides]);

  const onDrop = (e: React.DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = Array.from(e.dataTransfer.files);
    const pc = pcRef.current;
    if (!files.length || !pc) return;
    void app.importFiles(files, pc.clientToPage(e.clientX, e.clientY));
  };

  return (
    <div
      className={`canvas-host${dragging ? ' dragging' : ''}`}
      ref={hostRef}
      data-testid="canvas-host"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <canvas ref={canvasRef} />
      {dragging && <div className="drop-hint">{t('dropHere')}</div>}
      {editingId && pcRef.current && (
        <TextEditor
          store={store}
          engine={engine}
          elementId={editingId}
          screenBox={(el) => pcRef.current?.screenBox(el) ?? { left: 0, top: 0, width: 300, height: 0 }}
          onClose={() => setEditingId(null)}
        />
      )}
    </div>
  );
}
