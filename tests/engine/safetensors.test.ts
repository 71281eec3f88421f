// electron/engine/model/safetensors: float16/bfloat16 conversion, the writer and the reader,
// and hostile headers, each with its own message naming the file.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  floatToBf16,
  floatToHalf,
  halfToFloat,
  SafetensorsReader,
  toFloat32,
  writeSafetensors,
} from '../../electron/engine/model/safetensors';

const root = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A raw safetensors file from a header object, `dataBytes` zero bytes, and an optional lying header length. */
function rawFile(header: unknown, dataBytes: number, headerLen?: number): string {
  const path = join(root, `raw-${n++}.safetensors`);
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerLen ?? json.length));
  writeFileSync(path, Buffer.concat([len, json, Buffer.alloc(dataBytes)]));
  return path;
}

const f32 = (v: number): number => Math.fround(v);

describe('safetensors numbers', () => {
  it('decodes every half-precision bit pattern exactly and re-encodes it unchanged', () => {
    const all = new Uint8Array(65536 * 2);
    const view = new DataView(all.buffer);
    for (let h = 0; h < 65536; h++) view.setUint16(h * 2, h, true);
    const decoded = toFloat32(all, 'F16');
    for (let h = 0; h < 65536; h++) {
      const e = (h >> 10) & 0x1f;
      const f = h & 0x3ff;
      const sign = h & 0x8000 ? -1 : 1;
      const want =
        e === 31 ? (f ? Number.NaN : sign * Number.POSITIVE_INFINITY) : e === 0 ? sign * f * 2 ** -24 : sign * (1024 + f) * 2 ** (e - 25);
      const got = decoded[h] as number;
      if (Number.isNaN(want)) {
        expect(Number.isNaN(got)).toBe(true);
        continue;
      }
      expect(Object.is(got, want), `half 0x${h.toString(16)}`).toBe(true);
      expect(floatToHalf(got), `half 0x${h.toString(16)}`).toBe(h);
      expect(Object.is(halfToFloat(h), want)).toBe(true);
    }
  });

  it('rounds float -> half to nearest even, through subnormals, overflow and NaN', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (down)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65519)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds up to infinity
    expect(floatToHalf(1e9)).toBe(0x7c00);
    expect(floatToHalf(-1e9)).toBe(0xfc00);
    expect(floatToHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // tie -> even (zero)
    expect(floatToHalf(3 * 2 ** -25)).toBe(0x0002); // tie -> even (two)
    expect(floatToHalf(2 ** -14 - 2 ** -25)).toBe(0x0400); // largest subnormal rounds up to the smallest normal
    expect(floatToHalf(1e-10)).toBe(0x0000);
    expect(floatToHalf(-0)).toBe(0x8000);
    expect(floatToHalf(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(floatToHalf(Number.NaN) & 0x3ff).not.toBe(0);
  });

  it('decodes every bfloat16 pattern exactly and rounds float -> bf16 to nearest even', () => {
    for (let h = 0; h < 65536; h++) {
      const bytes = new Uint8Array([h & 0xff, h >> 8]);
      const got = toFloat32(bytes, 'BF16')[0] as number;
      const bits = new Uint32Array(new Float32Array([got]).buffer)[0] as number;
      if (Number.isNaN(got)) continue;
      expect(bits >>> 16).toBe(h);
      expect(floatToBf16(got)).toBe(h);
    }
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie -> even (down)
    expect(floatToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie -> even (up)
    expect(floatToBf16(f32(3.4e38))).toBe(0x7f80); // rounds up to infinity
    const nan = floatToBf16(Number.NaN);
    expect(nan & 0x7f80).toBe(0x7f80);
    expect(nan & 0x7f).not.toBe(0);
  });

  it('reads F64 as float32', () => {
    const bytes = new Uint8Array(24);
    const view = new DataView(bytes.buffer);
    for (const [i, v] of [1.5, -1e-300, 1e300].entries()) view.setFloat64(i * 8, v, true);
    expect(Array.from(toFloat32(bytes, 'F64'))).toEqual([1.5, -0, Number.POSITIVE_INFINITY]);
  });
});

describe('safetensors files', () => {
  const values = new Float32Array([
    0,
    -0,
    1,
    -2.5,
    65504,
    65520,
    1e-7,
    2 ** -24,
    6.1e-5,
    3.15,
    1e-40,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
  ]);

  it('round-trips F32, F16 and BF16 with metadata, aligned data and absolute offsets', async () => {
    const path = join(root, 'rt.safetensors');
    await writeSafetensors(
      path,
      [
        { name: 'a', dtype: 'F32', shape: [values.length], data: values },
        { name: 'b.half', dtype: 'F16', shape: [2, 7], data: values },
        { name: 'c.bf', dtype: 'BF16', shape: [values.length, 1], data: values },
        { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
      ],
      { format: 'pt', note: 'héllo' },
    );
    const file = readFileSync(path);
    const headerLen = Number(file.readBigUInt64LE(0));
    expect((8 + headerLen) % 8).toBe(0);
    expect(file.subarray(8, 8 + headerLen).toString('utf8')).toMatch(/} *$/);
    const r = await SafetensorsReader.open(path);
    expect(r.metadata).toEqual({ format: 'pt', note: 'héllo' });
    expect(r.entries().map((e) => e.name)).toEqual(['a', 'b.half', 'c.bf', 'empty']);
    const a = r.get('a');
    expect(a).toMatchObject({ dtype: 'F32', shape: [values.length], file: path, offset: 8 + headerLen, byteLength: values.length * 4 });
    expect(r.get('b.half')).toMatchObject({ dtype: 'F16', shape: [2, 7], offset: 8 + headerLen + values.length * 4, byteLength: 28 });
    // readRaw returns exactly the stored bytes.
    const raw = await r.readRaw('b.half');
    const b = r.get('b.half');
    expect(Buffer.from(raw).equals(file.subarray(b?.offset, (b?.offset ?? 0) + 28))).toBe(true);

    expect(Array.from(await r.readFloat32('a'))).toEqual(Array.from(values));
    const half = Array.from(await r.readFloat32('b.half'));
    expect(half.slice(0, 5)).toEqual([0, -0, 1, -2.5, 65504]);
    expect(Object.is(half[1], -0)).toBe(true);
    expect(half[5]).toBe(Number.POSITIVE_INFINITY);
    expect(half[6]).toBe(2 ** -24 * 2); // 1e-7 -> nearest subnormal (1.19e-7)
    expect(half[7]).toBe(2 ** -24);
    expect(half[9]).toBe(3.150390625);
    expect(half[10]).toBe(0); // below the half range
    expect(half[12]).toBe(Number.NEGATIVE_INFINITY);
    expect(Number.isNaN(half[13])).toBe(true);
    const bf = Array.from(await r.readFloat32('c.bf'));
    expect(bf[9]).toBe(3.15625);
    expect(bf[10]).toBeGreaterThan(0); // a float32 subnormal stays a (bf16) subnormal
    expect(bf[10]).toBeLessThan(2e-40);
    expect(bf[11]).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(bf[13])).toBe(true);
    expect(Array.from(await r.readFloat32('empty'))).toEqual([]);
    await expect(r.readRaw('nope')).rejects.toThrow(/no tensor named nope/);
    await r.close();
  });

  it('writes atomically: replaces the old file, leaves no temp files, keeps the old file on error', async () => {
    const dir = join(root, 'atomic');
    mkdirSync(dir);
    const path = join(dir, 'w.safetensors');
    await writeSafetensors(path, [{ name: 'x', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]);
    await writeSafetensors(path, [{ name: 'x', dtype: 'F32', shape: [2], data: new Float32Array([3, 4]) }]);
    expect(Array.from(await (await SafetensorsReader.open(path)).readFloat32('x'))).toEqual([3, 4]);
    await expect(writeSafetensors(path, [{ name: 'x', dtype: 'F32', shape: [3], data: new Float32Array([1]) }])).rejects.toThrow(
      /needs 3 values/,
    );
    await expect(
      writeSafetensors(path, [
        { name: 'x', dtype: 'F32', shape: [1], data: new Float32Array([1]) },
        { name: 'x', dtype: 'F32', shape: [1], data: new Float32Array([1]) },
      ]),
    ).rejects.toThrow(/used twice/);
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
    expect(Array.from(await (await SafetensorsReader.open(path)).readFloat32('x'))).toEqual([3, 4]);
  });

  it('accepts gaps between tensors and reads F64 tensors', async () => {
    const path = rawFile({ a: { dtype: 'F64', shape: [1], data_offsets: [8, 16] }, __metadata__: {} }, 16);
    const r = await SafetensorsReader.open(path);
    expect(r.get('a')?.offset).toBe(8 + Number(readFileSync(path).readBigUInt64LE(0)) + 8);
    expect(Array.from(await r.readFloat32('a'))).toEqual([0]);
  });

  const attacks: [string, unknown, number, number | undefined, RegExp, string][] = [
    [
      'overlapping tensors',
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      16,
      undefined,
      /tensors a and b overlap/,
      'bad-header',
    ],
    [
      'offsets past the end of the file',
      { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } },
      8,
      undefined,
      /tensor a ends at data byte 16 but the file holds only 8 data bytes \(file truncated\)/,
      'truncated',
    ],
    [
      'an unknown dtype',
      { a: { dtype: 'F7', shape: [1], data_offsets: [0, 1] } },
      1,
      undefined,
      /tensor a has unknown dtype "F7"/,
      'bad-header',
    ],
    [
      'a shape that does not match the byte span',
      { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } },
      8,
      undefined,
      /shape \[3\] of F32 needs 12 bytes but data_offsets span 8/,
      'bad-header',
    ],
    ['a negative dimension', { a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, 0, undefined, /invalid shape/, 'bad-header'],
    ['reversed offsets', { a: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, 4, undefined, /invalid data_offsets/, 'bad-header'],
    ['non-string metadata', { __metadata__: { n: 1 } }, 0, undefined, /__metadata__\.n is not a string/, 'bad-header'],
    ['an absurd header length', {}, 0, 2 ** 40, /header claims 1099511627776 bytes \(limit/, 'bad-header'],
    ['a header longer than the file', {}, 0, 4096, /header \(4096 bytes\) runs past the end of the file/, 'truncated'],
    ['a header that is not JSON', '{"a": nope}', 0, undefined, /header is not valid JSON/, 'bad-header'],
    ['a JSON header that is not an object', '[1, 2]', 0, undefined, /header is not a JSON object/, 'bad-header'],
  ];
  it.each(attacks)('rejects %s with its own message naming the file', async (_label, header, data, headerLen, message, code) => {
    const path = rawFile(header, data, headerLen);
    const err = (await SafetensorsReader.open(path).catch((e: unknown) => e)) as { message: string; code: string };
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(path)).toBe(true);
    expect(err.code).toBe(code);
  });

  it('rejects a file too short to hold a header length', async () => {
    const path = join(root, 'short.safetensors');
    writeFileSync(path, Buffer.from([1, 2, 3]));
    await expect(SafetensorsReader.open(path)).rejects.toThrow(/too short to be a safetensors file/);
  });
});
