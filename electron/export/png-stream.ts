// A PNG encoder that takes rows a strip at a time, so an A0 poster at 300 dpi (about 140
// million pixels) never has to sit in memory as one bitmap. Writes the DPI (pHYs chunk).

import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3) over several byte ranges, as PNG chunks use it. */
export function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (const b of p) c = (CRC[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(head.subarray(4), data), 0);
  return Buffer.concat([head, data, crc]);
}

export interface PngSink {
  /** Appends RGB rows (width × 3 bytes each). */
  writeRows(rgb: Uint8Array, rows: number): Promise<void>;
  /** Finishes the file and moves it into place. */
  close(): Promise<void>;
  /** Drops the partial file. */
  abort(): Promise<void>;
}

/** International text chunks (iTXt, UTF-8), so Chinese prompts survive as written. */
function textChunks(text: Record<string, string>): Buffer[] {
  return Object.entries(text).map(([key, value]) => {
    const k = Buffer.from(key.replace(/[^\x20-\x7e]/g, '_').slice(0, 79), 'latin1');
    return chunk('iTXt', Buffer.concat([k, Buffer.from([0, 0, 0, 0, 0]), Buffer.from(value, 'utf8')]));
  });
}

function headerChunks(width: number, height: number, dpi: number | undefined, text: Record<string, string>): Buffer[] {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const out = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (dpi) {
    const phys = Buffer.alloc(9);
    const ppm = Math.round(dpi / 0.0254);
    phys.writeUInt32BE(ppm, 0);
    phys.writeUInt32BE(ppm, 4);
    phys[8] = 1; // metres
    out.push(chunk('pHYs', phys));
  }
  return [...out, ...textChunks(text)];
}

/** A whole RGB image to PNG bytes in memory (previews, generated images). */
export function encodePng(
  rgb: Uint8Array,
  width: number,
  height: number,
  opts: { dpi?: number; text?: Record<string, string> } = {},
): Uint8Array {
  const stride = width * 3;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let r = 0; r < height; r++) raw.set(rgb.subarray(r * stride, (r + 1) * stride), r * (stride + 1) + 1);
  // A plain Uint8Array, not a Buffer: Buffer's toJSON would defeat the API codec.
  const png = Buffer.concat([
    ...headerChunks(width, height, opts.dpi, opts.text ?? {}),
    chunk('IDAT', zlib.deflateSync(raw, { level: 6 })),
    chunk('IEND', new Uint8Array()),
  ]);
  return new Uint8Array(png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength));
}

/** Reads the iTXt/tEXt chunks of a PNG. */
export function readPngText(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  while (at + 8 <= buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    if (type === 'tEXt' || type === 'iTXt') {
      const nul = data.indexOf(0);
      const key = data.toString('latin1', 0, nul);
      if (type === 'tEXt') out[key] = data.toString('latin1', nul + 1);
      else {
        let p = nul + 3;
        p = data.indexOf(0, p) + 1; // language tag
        p = data.indexOf(0, p) + 1; // translated keyword
        out[key] = data.toString('utf8', p);
      }
    }
    at += 12 + len;
  }
  return out;
}

/** Opens `target` for a width × height RGB PNG at `dpi`; the file appears only on close(). */
export async function openPng(
  target: string,
  width: number,
  height: number,
  dpi: number,
  text: Record<string, string> = {},
): Promise<PngSink> {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const out = createWriteStream(tmp);
  const write = (b: Uint8Array) => new Promise<void>((res, rej) => out.write(b, (e) => (e ? rej(e) : res())));
  for (const c of headerChunks(width, height, dpi, text)) await write(c);
  const deflate = zlib.createDeflate({ level: 6 });
  const pending: Promise<void>[] = [];
  deflate.on('data', (d: Buffer) => pending.push(write(chunk('IDAT', d))));
  let written = 0;
  return {
    async writeRows(rgb, rows) {
      const stride = width * 3;
      const buf = Buffer.alloc(rows * (stride + 1));
      for (let r = 0; r < rows; r++) buf.set(rgb.subarray(r * stride, (r + 1) * stride), r * (stride + 1) + 1);
      written += rows;
      if (!deflate.write(buf)) await new Promise((res) => deflate.once('drain', res));
    },
    async close() {
      if (written !== height) throw new Error(`PNG has ${written} of ${height} rows`);
      await new Promise<void>((res) => {
        deflate.once('end', () => res());
        deflate.end();
      });
      await Promise.all(pending);
      await write(chunk('IEND', new Uint8Array()));
      await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
      await fsp.rename(tmp, target);
    },
    async abort() {
      deflate.destroy();
      out.destroy();
      await fsp.unlink(tmp).catch(() => {});
    },
  };
}
