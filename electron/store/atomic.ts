// Atomic file replacement: write a temp file beside the target, flush it to disk, rename it
// over the target. A crash or a failed write leaves the old file as it was.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** The file operations atomicWrite uses; tests substitute failing ones. */
export interface AtomicFs {
  open(
    p: string,
    flags: string,
    mode?: number,
  ): Promise<{
    write(data: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
    sync(): Promise<void>;
    close(): Promise<void>;
  }>;
  rename(from: string, to: string): Promise<void>;
  unlink(p: string): Promise<void>;
}

const nodeFs: AtomicFs = {
  open: (p, flags, mode) => fsp.open(p, flags, mode),
  rename: (a, b) => fsp.rename(a, b),
  unlink: (p) => fsp.unlink(p),
};

/** Writes `data` (one buffer, or chunks written in order, never joined in memory) atomically. */
export async function atomicWrite(target: string, data: Uint8Array | readonly Uint8Array[], fs: AtomicFs = nodeFs): Promise<void> {
  const chunks = data instanceof Uint8Array ? [data] : data;
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: Awaited<ReturnType<AtomicFs['open']>> | null = null;
  try {
    handle = await fs.open(tmp, 'wx', 0o644);
    let position = 0;
    for (const chunk of chunks) {
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset, position + offset);
        if (bytesWritten <= 0) throw new Error('write made no progress (disk full?)');
        offset += bytesWritten;
      }
      position += chunk.length;
    }
    await handle.sync();
    await handle.close();
    handle = null;
    await fs.rename(tmp, target);
  } catch (err) {
    if (handle) await handle.close().catch(() => {});
    await fs.unlink(tmp).catch(() => {});
    throw err;
  }
  // Make the rename itself durable where the platform allows syncing a directory.
  await fsp
    .open(dir, 'r')
    .then(async (h) => {
      await h.sync().catch(() => {});
      await h.close();
    })
    .catch(() => {});
}
