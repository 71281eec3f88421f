// Just enough of the OpenType container (sfnt) to turn a fontkit subset into a font a browser
// accepts: read a font's tables (TTC included), write a table directory with checksums, and
// build the cmap, name and post tables that fontkit's subsetter leaves out (it writes what PDF
// needs: glyph data and metrics, no character map). Browsers sanitise web fonts (OTS) and drop
// one that lacks cmap, name, OS/2 or post.

export type Tables = Map<string, Uint8Array>;

export class SfntError extends Error {}

const tagAt = (b: Uint8Array, at: number) => String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);

/** The tables of font `index` in an sfnt file or collection, as views into `bytes`. */
export function readTables(bytes: Uint8Array, index = 0): { flavor: number; tables: Tables } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12) throw new SfntError('the file is too short to be a font');
  let dir = 0;
  if (tagAt(bytes, 0) === 'ttcf') {
    const count = v.getUint32(8);
    if (index >= count) throw new SfntError(`the collection has ${count} fonts, not ${index + 1}`);
    dir = v.getUint32(12 + 4 * index);
  }
  if (dir + 12 > bytes.length) throw new SfntError('the table directory lies outside the file');
  const flavor = v.getUint32(dir);
  const numTables = v.getUint16(dir + 4);
  const tables: Tables = new Map();
  for (let i = 0; i < numTables; i++) {
    const rec = dir + 12 + 16 * i;
    if (rec + 16 > bytes.length) throw new SfntError('the table directory is truncated');
    const offset = v.getUint32(rec + 8);
    const length = v.getUint32(rec + 12);
    if (offset + length > bytes.length) throw new SfntError(`table ${tagAt(bytes, rec)} lies outside the file`);
    tables.set(tagAt(bytes, rec), bytes.subarray(offset, offset + length));
  }
  return { flavor, tables };
}

function checksum(b: Uint8Array): number {
  let sum = 0;
  const padded = b.length % 4 ? new Uint8Array(b.length + 4 - (b.length % 4)) : b;
  if (padded !== b) padded.set(b);
  const v = new DataView(padded.buffer, padded.byteOffset, padded.byteLength);
  for (let i = 0; i < padded.length; i += 4) sum = (sum + v.getUint32(i)) >>> 0;
  return sum;
}

/** An sfnt file from its tables: sorted directory, 4-byte aligned tables, head's checksum fixed. */
export function writeSfnt(flavor: number, tables: Tables): Uint8Array {
  const tags = [...tables.keys()].sort();
  const n = tags.length;
  const pow = 2 ** Math.floor(Math.log2(n));
  let size = 12 + 16 * n;
  for (const t of tags) size += ((tables.get(t) as Uint8Array).length + 3) & ~3;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, flavor);
  v.setUint16(4, n);
  v.setUint16(6, pow * 16);
  v.setUint16(8, Math.log2(pow));
  v.setUint16(10, n * 16 - pow * 16);
  let at = 12 + 16 * n;
  let headAt = -1;
  for (const [i, t] of tags.entries()) {
    const data = new Uint8Array(tables.get(t) as Uint8Array);
    if (t === 'head') {
      if (data.length < 54) throw new SfntError('the head table is truncated');
      new DataView(data.buffer).setUint32(8, 0);
      headAt = at;
    }
    const rec = 12 + 16 * i;
    for (let k = 0; k < 4; k++) out[rec + k] = t.charCodeAt(k);
    v.setUint32(rec + 4, checksum(data));
    v.setUint32(rec + 8, at);
    v.setUint32(rec + 12, data.length);
    out.set(data, at);
    at += (data.length + 3) & ~3;
  }
  if (headAt >= 0) v.setUint32(headAt + 8, (0xb1b0afba - checksum(out)) >>> 0);
  return out;
}

/** A cmap with a format 4 subtable (BMP) and, when needed, a format 12 one (all planes). */
export function buildCmap(map: Map<number, number>): Uint8Array {
  const pairs = [...map].sort((a, b) => a[0] - b[0]);
  // Runs where code point and glyph id both step by one share a segment.
  const runs: { start: number; end: number; gid: number }[] = [];
  for (const [cp, gid] of pairs) {
    const last = runs[runs.length - 1];
    if (last && cp === last.end + 1 && gid === last.gid + (cp - last.start)) last.end = cp;
    else runs.push({ start: cp, end: cp, gid });
  }
  const bmp = runs.filter((r) => r.end <= 0xfffe);
  const segs = [...bmp, { start: 0xffff, end: 0xffff, gid: 0 }];
  const f4 = new Uint8Array(16 + 8 * segs.length);
  const v4 = new DataView(f4.buffer);
  const segX2 = segs.length * 2;
  const pow = 2 ** Math.floor(Math.log2(segs.length));
  v4.setUint16(0, 4);
  v4.setUint16(2, f4.length);
  v4.setUint16(6, segX2);
  v4.setUint16(8, pow * 2);
  v4.setUint16(10, Math.log2(pow));
  v4.setUint16(12, segX2 - pow * 2);
  for (const [i, s] of segs.entries()) {
    v4.setUint16(14 + 2 * i, s.end);
    v4.setUint16(16 + segX2 + 2 * i, s.start);
    // The final 0xFFFF segment maps to glyph 0: delta 1 wraps 0xFFFF to 0.
    v4.setUint16(16 + 2 * segX2 + 2 * i, s.start === 0xffff ? 1 : (s.gid - s.start) & 0xffff);
    // idRangeOffset stays 0.
  }
  const wide = runs.some((r) => r.end > 0xffff);
  const subtables: [number, number, Uint8Array][] = [[3, 1, f4]];
  if (wide) {
    const f12 = new Uint8Array(16 + 12 * runs.length);
    const v12 = new DataView(f12.buffer);
    v12.setUint16(0, 12);
    v12.setUint32(4, f12.length);
    v12.setUint32(12, runs.length);
    for (const [i, r] of runs.entries()) {
      v12.setUint32(16 + 12 * i, r.start);
      v12.setUint32(20 + 12 * i, r.end);
      v12.setUint32(24 + 12 * i, r.gid);
    }
    subtables.push([3, 10, f12]);
  }
  const head = 4 + 8 * subtables.length;
  const out = new Uint8Array(head + subtables.reduce((s, [, , b]) => s + b.length, 0));
  const v = new DataView(out.buffer);
  v.setUint16(2, subtables.length);
  let at = head;
  for (const [i, [platform, encoding, body]] of subtables.entries()) {
    v.setUint16(4 + 8 * i, platform);
    v.setUint16(6 + 8 * i, encoding);
    v.setUint32(8 + 8 * i, at);
    out.set(body, at);
    at += body.length;
  }
  return out;
}

/** A name table (Windows platform, US English) from name id → string. */
export function buildName(names: Map<number, string>): Uint8Array {
  const entries = [...names].filter(([, s]) => s.length > 0).sort((a, b) => a[0] - b[0]);
  const strings = entries.map(([, s]) => {
    const b = new Uint8Array(s.length * 2);
    for (let i = 0; i < s.length; i++) {
      b[2 * i] = s.charCodeAt(i) >> 8;
      b[2 * i + 1] = s.charCodeAt(i) & 255;
    }
    return b;
  });
  const storage = 6 + 12 * entries.length;
  const out = new Uint8Array(storage + strings.reduce((s, b) => s + b.length, 0));
  const v = new DataView(out.buffer);
  v.setUint16(2, entries.length);
  v.setUint16(4, storage);
  let at = 0;
  for (const [i, [id]] of entries.entries()) {
    const rec = 6 + 12 * i;
    const str = strings[i] as Uint8Array;
    v.setUint16(rec, 3);
    v.setUint16(rec + 2, 1);
    v.setUint16(rec + 4, 0x409);
    v.setUint16(rec + 6, id);
    v.setUint16(rec + 8, str.length);
    v.setUint16(rec + 10, at);
    out.set(str, storage + at);
    at += str.length;
  }
  return out;
}

/** A version 3 post table (no glyph names) keeping the original's italic angle and underline. */
export function buildPost(original: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(32);
  if (original && original.length >= 32) out.set(original.subarray(0, 32));
  new DataView(out.buffer).setUint32(0, 0x00030000);
  return out;
}

/** OS/2 with its first/last character fields set to the subset's characters. */
export function patchOs2(original: Uint8Array, codePoints: number[]): Uint8Array {
  const out = new Uint8Array(original);
  if (out.length >= 68 && codePoints.length) {
    const v = new DataView(out.buffer);
    v.setUint16(64, Math.min(0xffff, Math.min(...codePoints)));
    v.setUint16(66, Math.min(0xffff, Math.max(...codePoints)));
  }
  return out;
}
