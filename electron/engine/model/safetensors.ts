/**
 * safetensors files: a little-endian u64 header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the data. The reader treats the file as hostile (header
 * size, JSON, dtypes, ranges inside the file, no overlaps, sizes matching shapes) and reads
 * single tensors by range, never whole shards.
 */
import { open, rename, stat } from 'node:fs/promises';

export type SafeDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<SafeDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface TensorEntry {
  name: string;
  dtype: SafeDType;
  shape: number[];
  file: string;
  /** Absolute byte offset in the file. */
  offset: number;
  byteLength: number;
}

export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    detail: string,
    readonly code: 'bad-header' | 'truncated' = 'bad-header',
  ) {
    super(`${file}: ${detail}`);
    this.name = 'SafetensorsError';
  }
}

const MAX_HEADER = 100 * 2 ** 20;

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

export function floatToHalf(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >> 10;
  return sign | half;
}

export function floatToBf16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0] as number;
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Raw little-endian bytes of one tensor -> float32. */
export function toFloat32(bytes: Uint8Array, dtype: SafeDType): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    default:
      throw new Error(`cannot read ${dtype} tensors as float32`);
  }
  return out;
}

export class SafetensorsReader {
  private constructor(
    readonly path: string,
    readonly metadata: Record<string, string>,
    private readonly map: Map<string, TensorEntry>,
  ) {}

  static async open(path: string): Promise<SafetensorsReader> {
    const size = (await stat(path)).size;
    if (size < 8) throw new SafetensorsError(path, `file is ${size} bytes, too short to be a safetensors file`, 'truncated');
    const fh = await open(path, 'r');
    try {
      const lenBuf = new Uint8Array(8);
      await fh.read(lenBuf, 0, 8, 0);
      const headerLen = Number(new DataView(lenBuf.buffer).getBigUint64(0, true));
      if (headerLen > MAX_HEADER) throw new SafetensorsError(path, `header claims ${headerLen} bytes (limit ${MAX_HEADER})`);
      if (8 + headerLen > size)
        throw new SafetensorsError(path, `header (${headerLen} bytes) runs past the end of the file (${size} bytes)`, 'truncated');
      const hb = new Uint8Array(headerLen);
      await fh.read(hb, 0, headerLen, 8);
      let header: unknown;
      try {
        header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hb));
      } catch {
        throw new SafetensorsError(path, 'header is not valid JSON');
      }
      if (!header || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError(path, 'header is not a JSON object');
      const dataStart = 8 + headerLen;
      const dataSize = size - dataStart;
      const map = new Map<string, TensorEntry>();
      let metadata: Record<string, string> = {};
      const spans: [number, number, string][] = [];
      for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
        if (name === '__metadata__') {
          metadata = (raw ?? {}) as Record<string, string>;
          continue;
        }
        const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
        if (typeof t?.dtype !== 'string' || !(t.dtype in DTYPE_BYTES))
          throw new SafetensorsError(path, `tensor ${name} has unknown dtype ${JSON.stringify(t?.dtype)}`);
        const dtype = t.dtype as SafeDType;
        if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
          throw new SafetensorsError(path, `tensor ${name} has an invalid shape`);
        const offs = t.data_offsets;
        if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0) || offs[0] > offs[1]) {
          throw new SafetensorsError(path, `tensor ${name} has invalid data_offsets`);
        }
        const [begin, end] = offs as [number, number];
        const shape = t.shape as number[];
        const expected = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
        if (end - begin !== expected)
          throw new SafetensorsError(
            path,
            `tensor ${name}: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
          );
        if (end > dataSize)
          throw new SafetensorsError(
            path,
            `tensor ${name} ends at byte ${end} but the file holds only ${dataSize} data bytes (file truncated?)`,
            'truncated',
          );
        spans.push([begin, end, name]);
        map.set(name, { name, dtype, shape, file: path, offset: dataStart + begin, byteLength: end - begin });
      }
      spans.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) {
        const prev = spans[i - 1] as [number, number, string];
        const cur = spans[i] as [number, number, string];
        if (cur[0] < prev[1]) throw new SafetensorsError(path, `tensors ${prev[2]} and ${cur[2]} overlap`);
      }
      return new SafetensorsReader(path, metadata, map);
    } finally {
      await fh.close();
    }
  }

  entries(): TensorEntry[] {
    return [...this.map.values()];
  }

  get(name: string): TensorEntry | undefined {
    return this.map.get(name);
  }

  async readRaw(name: string): Promise<Uint8Array> {
    const e = this.map.get(name);
    if (!e) throw new Error(`${this.path}: no tensor named ${name}`);
    const fh = await open(this.path, 'r');
    try {
      const buf = new Uint8Array(e.byteLength);
      const { bytesRead } = await fh.read(buf, 0, e.byteLength, e.offset);
      if (bytesRead !== e.byteLength) throw new SafetensorsError(this.path, `tensor ${name} is cut short (file truncated?)`, 'truncated');
      return buf;
    } finally {
      await fh.close();
    }
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const e = this.map.get(name);
    if (!e) throw new Error(`${this.path}: no tensor named ${name}`);
    return toFloat32(await this.readRaw(name), e.dtype);
  }

  async close(): Promise<void> {
    // Reads open and close their own handles; nothing is held between reads.
  }
}

export interface TensorToWrite {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  data: Float32Array;
}

function encode(t: TensorToWrite): Uint8Array {
  if (t.dtype === 'F32') return new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
  const out = new Uint8Array(t.data.length * 2);
  const view = new DataView(out.buffer);
  const conv = t.dtype === 'F16' ? floatToHalf : floatToBf16;
  for (let i = 0; i < t.data.length; i++) view.setUint16(i * 2, conv(t.data[i] as number), true);
  return out;
}

/** Writes a safetensors file atomically (temp file, fsync, rename). */
export async function writeSafetensors(path: string, tensors: TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`${t.name}: shape [${t.shape.join(', ')}] needs ${count} values, got ${t.data.length}`);
    const bytes = encode(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(hb.length), true);
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(len);
    await fh.write(hb);
    for (const b of blobs) await fh.write(b);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}
