import { open, stat } from 'node:fs/promises';
import { atomicWrite } from '../../store/atomic.js';

export type SafeDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<SafeDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export function isSafeDType(s: unknown): s is SafeDType {
  return typeof s === 'string' && Object.hasOwn(DTYPE_BYTES, s);
}

export interface TensorEntry {
  name: string;
  dtype: SafeDType;
  shape: number[];
  file: string;
  /** Absolute byte offset in the file. */
  offset: number;
  byteLength: number;
}

/** A damaged or hostile file. `code` tells a cut-short file from any other damage. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly code: 'bad-header' | 'truncated' = 'bad-header',
  ) {
    super(`${file}: ${detail}`);
    this.name = 'SafetensorsError';
  }
}

/** Headers above this are refused (real ones are well under 10 MB). */
export const MAX_HEADER_BYTES = 100 * 2 ** 20;

// ---------- number conversions ----------

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

let halfTable: Float32Array | undefined;
/** All 65536 half values as float32 (256 KB, built once). */
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** float -> IEEE half bits, round to nearest even, overflow to inf, NaN kept quiet. */
export function floatToHalf(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // may carry into the exponent: still correct, up to inf
  return sign | half;
}

/** float -> bfloat16 bits, round to nearest even, NaN kept quiet. */
export function floatToBf16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0] as number;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Raw little-endian bytes of one tensor -> float32 (F32, F64, F16, BF16). */
export function toFloat32(bytes: Uint8Array, dtype: SafeDType): Float32Array {
  const size = DTYPE_BYTES[dtype];
  if (bytes.byteLength % size !== 0) throw new Error(`${bytes.byteLength} bytes is not a whole number of ${dtype} values`);
  const n = bytes.byteLength / size;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case 'F16': {
      const table = halfLookup();
      for (let i = 0; i < n; i++) out[i] = table[view.getUint16(i * 2, true)] as number;
      break;
    }
    default:
      throw new Error(`cannot read ${dtype} tensors as float32`);
  }
  return out;
}

// ---------- reader ----------

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Reads exactly `length` bytes at `position`, looping over short reads (large tensors). */
async function readExactly(path: string, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  const fh = await open(path, 'r');
  try {
    let done = 0;
    while (done < length) {
      const chunk = Math.min(length - done, 1 << 30);
      const { bytesRead } = await fh.read(buf, done, chunk, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done !== length)
      throw new SafetensorsError(
        path,
        `expected ${length} bytes at offset ${position} but the file ends early (file truncated?)`,
        'truncated',
      );
    return buf;
  } finally {
    await fh.close();
  }
}

function parseHeader(
  path: string,
  size: number,
  headerLen: number,
  json: Uint8Array,
): { metadata: Record<string, string>; map: Map<string, TensorEntry> } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    throw new SafetensorsError(path, 'header is not valid JSON (the file is damaged or not a safetensors file)');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError(path, 'header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataSize = size - dataStart;
  const map = new Map<string, TensorEntry>();
  const metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsError(path, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw new SafetensorsError(path, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (!raw || typeof raw !== 'object') throw new SafetensorsError(path, `tensor ${name} has no dtype/shape/data_offsets`);
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isSafeDType(t.dtype)) throw new SafetensorsError(path, `tensor ${name} has unknown dtype ${JSON.stringify(t.dtype)}`);
    const dtype = t.dtype;
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new SafetensorsError(path, `tensor ${name} has an invalid shape ${JSON.stringify(t.shape)}`);
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0) || offs[0] > offs[1])
      throw new SafetensorsError(path, `tensor ${name} has invalid data_offsets ${JSON.stringify(offs)}`);
    const [begin, end] = offs as [number, number];
    const shape = t.shape as number[];
    const expected = product(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== expected)
      throw new SafetensorsError(
        path,
        `tensor ${name}: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
      );
    if (end > dataSize)
      throw new SafetensorsError(
        path,
        `tensor ${name} ends at data byte ${end} but the file holds only ${dataSize} data bytes (file truncated)`,
        'truncated',
      );
    spans.push([begin, end, name]);
    map.set(name, { name, dtype, shape, file: path, offset: dataStart + begin, byteLength: end - begin });
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1] as [number, number, string];
    const cur = spans[i] as [number, number, string];
    // Empty tensors occupy no bytes and cannot overlap anything.
    if (cur[0] < prev[1] && cur[1] > cur[0]) throw new SafetensorsError(path, `tensors ${prev[2]} and ${cur[2]} overlap`);
  }
  return { metadata, map };
}

export class SafetensorsReader {
  private constructor(
    readonly path: string,
    readonly metadata: Record<string, string>,
    private readonly map: Map<string, TensorEntry>,
  ) {}

  /** Opens and validates the header; reads no tensor data. */
  static async open(path: string): Promise<SafetensorsReader> {
    const size = (await stat(path)).size;
    if (size < 8) throw new SafetensorsError(path, `file is ${size} bytes, too short to be a safetensors file`, 'truncated');
    const lenBytes = await readExactly(path, 0, 8);
    const headerLen64 = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (headerLen64 > BigInt(MAX_HEADER_BYTES))
      throw new SafetensorsError(
        path,
        `header claims ${headerLen64} bytes (limit ${MAX_HEADER_BYTES}); this is not a valid safetensors file`,
      );
    const headerLen = Number(headerLen64);
    if (headerLen < 2) throw new SafetensorsError(path, `header claims ${headerLen} bytes, too short for a JSON object`);
    if (8 + headerLen > size)
      throw new SafetensorsError(
        path,
        `header (${headerLen} bytes) runs past the end of the file (${size} bytes; file truncated)`,
        'truncated',
      );
    const { metadata, map } = parseHeader(path, size, headerLen, await readExactly(path, 8, headerLen));
    return new SafetensorsReader(path, metadata, map);
  }

  entries(): TensorEntry[] {
    return [...this.map.values()];
  }

  get(name: string): TensorEntry | undefined {
    return this.map.get(name);
  }

  private need(name: string): TensorEntry {
    const e = this.map.get(name);
    if (!e) throw new SafetensorsError(this.path, `no tensor named ${name}`);
    return e;
  }

  /** The tensor's bytes, exactly as stored (little-endian). */
  async readRaw(name: string): Promise<Uint8Array> {
    const e = this.need(name);
    return readExactly(this.path, e.offset, e.byteLength);
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const e = this.need(name);
    if (!['F32', 'F64', 'F16', 'BF16'].includes(e.dtype))
      throw new SafetensorsError(this.path, `tensor ${name} is ${e.dtype}, not a float`);
    return toFloat32(await this.readRaw(name), e.dtype);
  }

  async close(): Promise<void> {
    // Each read opens and closes its own handle; nothing is held between reads.
  }
}

// ---------- writer ----------

export interface TensorToWrite {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  data: Float32Array;
}

function encode(t: TensorToWrite): Uint8Array {
  if (t.dtype === 'F32') {
    const out = new Uint8Array(t.data.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i] as number, true);
    return out;
  }
  const out = new Uint8Array(t.data.length * 2);
  const view = new DataView(out.buffer);
  const conv = t.dtype === 'F16' ? floatToHalf : floatToBf16;
  for (let i = 0; i < t.data.length; i++) view.setUint16(i * 2, conv(t.data[i] as number), true);
  return out;
}

/**
 * Writes a safetensors file atomically (temp file in the same folder, fsync, rename). The
 * header is padded with spaces so the data starts on an 8-byte boundary, as the reference
 * implementation does.
 */
export async function writeSafetensors(path: string, tensors: TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name)) throw new Error(`${path}: tensor name ${t.name} is used twice`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${t.name}: invalid shape [${t.shape.join(', ')}]`);
    const count = product(t.shape);
    if (count !== t.data.length) throw new Error(`${t.name}: shape [${t.shape.join(', ')}] needs ${count} values, got ${t.data.length}`);
    const bytes = encode(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  let hb = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad) hb = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(hb.length), true);
  await atomicWrite(path, [len, hb, ...blobs]);
}
