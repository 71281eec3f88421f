// Display copies of project images. The project keeps every image at full resolution; the
// canvas draws a copy no larger than MAX_SIDE pixels so huge scans stay fast to pan and zoom.
import type { PosterApi } from '../../../core/api/contract';

const MAX_SIDE = 2048;

export class ImageCache {
  private readonly items = new Map<string, Promise<HTMLCanvasElement>>();

  constructor(private readonly api: PosterApi) {}

  /** Primes the cache with bytes the renderer already has (a just-imported file). */
  prime(sha256: string, blob: Blob): void {
    if (!this.items.has(sha256)) this.items.set(sha256, this.decode(blob));
  }

  get(sha256: string): Promise<HTMLCanvasElement> {
    let p = this.items.get(sha256);
    if (!p) {
      p = this.api.call('assets.get', { sha256 }).then(({ mime, bytes }) => this.decode(new Blob([bytes as BlobPart], { type: mime })));
      // A failed load may succeed later (e.g. after the project is reopened).
      p.catch(() => this.items.delete(sha256));
      this.items.set(sha256, p);
    }
    return p;
  }

  private async decode(blob: Blob): Promise<HTMLCanvasElement> {
    const bitmap = await createImageBitmap(blob);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('2D canvas unavailable');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return canvas;
  }
}
