// A Fabric canvas that keeps drags fast on busy pages. While a gesture moves, scales or rotates
// the selection, everything below it and everything above it is rendered once into two bitmaps;
// each frame then draws: below bitmap, the moving objects, above bitmap. Frame cost stops
// growing with the number of elements on the page.
import { Canvas, type FabricObject } from 'fabric';

interface LayerCache {
  transform: object;
  viewport: string;
  below: HTMLCanvasElement;
  above: HTMLCanvasElement;
  moving: Set<FabricObject>;
  /** Static objects stacked between moving ones, drawn live in their place. */
  first: number;
  last: number;
}

export class LayeredCanvas extends Canvas {
  private layers: LayerCache | null = null;

  override _renderObjects(ctx: CanvasRenderingContext2D, objects: FabricObject[]): void {
    const transform = this._currentTransform;
    if (!transform || ctx !== this.getContext() || objects.length < 50) {
      this.layers = null;
      super._renderObjects(ctx, objects);
      return;
    }
    const layers = this.layersFor(ctx, objects, transform);
    if (!layers) {
      super._renderObjects(ctx, objects);
      return;
    }
    const drawBitmap = (bitmap: HTMLCanvasElement) => {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(bitmap, 0, 0);
      ctx.restore();
    };
    drawBitmap(layers.below);
    super._renderObjects(ctx, objects.slice(layers.first, layers.last + 1));
    drawBitmap(layers.above);
  }

  private layersFor(ctx: CanvasRenderingContext2D, objects: FabricObject[], transform: object): LayerCache | null {
    const viewport = `${this.viewportTransform.join(',')}:${ctx.canvas.width}x${ctx.canvas.height}`;
    const moving = new Set(this.getActiveObjects());
    const cached = this.layers;
    if (cached && cached.transform === transform && cached.viewport === viewport && sameSet(cached.moving, moving)) return cached;
    const indices = objects.map((o, i) => (moving.has(o) ? i : -1)).filter((i) => i >= 0);
    if (indices.length === 0) return null;
    const first = indices[0]!;
    const last = indices[indices.length - 1]!;
    const paint = (part: FabricObject[]) => {
      const c = document.createElement('canvas');
      c.width = ctx.canvas.width;
      c.height = ctx.canvas.height;
      const g = c.getContext('2d');
      if (!g) return c;
      g.setTransform(ctx.getTransform());
      g.imageSmoothingEnabled = ctx.imageSmoothingEnabled;
      super._renderObjects(g, part);
      return c;
    };
    this.layers = {
      transform,
      viewport,
      moving,
      first,
      last,
      below: paint(objects.slice(0, first)),
      above: paint(objects.slice(last + 1)),
    };
    return this.layers;
  }
}

function sameSet<T>(a: Set<T>, b: Set<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
