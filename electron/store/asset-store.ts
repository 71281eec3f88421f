// Image bytes of the open projects, by sha256. Documents refer to assets by hash only; the
// bytes live here (and in saved .poster files), never in the undo history.
import type { Asset } from '../../core/document/schema';
import { readImageInfo } from '../../core/image-info';
import { type AssetBytes, sha256Hex } from './project-file';

export class AssetStore {
  private readonly items = new Map<string, AssetBytes>();

  /** Checks the image header, hashes the bytes and keeps them; the same bytes are kept once. */
  put(name: string, bytes: Uint8Array): Asset {
    const info = readImageInfo(bytes);
    const sha256 = sha256Hex(bytes);
    if (!this.items.has(sha256)) this.items.set(sha256, { mime: info.mime, bytes: bytes.slice() });
    return { sha256, mime: info.mime, width: info.width, height: info.height, byteLength: bytes.length, name: name.slice(0, 500) };
  }

  add(sha256: string, asset: AssetBytes): void {
    this.items.set(sha256, asset);
  }

  get(sha256: string): AssetBytes | undefined {
    return this.items.get(sha256);
  }

  get size(): number {
    return this.items.size;
  }
}
