// fontkit 2 ends a CFF real number (nibble-coded) with the end nibble in the high half of the
// last byte and 0 in the low half; the CFF spec pads with 0xF, and Chromium's font sanitiser
// (OTS) rejects the font otherwise ("Failed to parse Top DICT Data"). This pads those bytes
// in the Top DICT, the Font DICTs and the Private DICTs. Lengths do not change, so no offset
// moves.

interface IndexInfo {
  items: [number, number][];
  end: number;
}

function readIndex(b: Uint8Array, pos: number): IndexInfo {
  const count = (b[pos] as number) * 256 + (b[pos + 1] as number);
  if (count === 0) return { items: [], end: pos + 2 };
  const offSize = b[pos + 2] as number;
  const off = (k: number) => {
    let v = 0;
    for (let i = 0; i < offSize; i++) v = v * 256 + (b[pos + 3 + k * offSize + i] as number);
    return v;
  };
  const data = pos + 3 + (count + 1) * offSize - 1;
  const items: [number, number][] = [];
  for (let k = 0; k < count; k++) items.push([data + off(k), data + off(k + 1)]);
  if (data + off(count) > b.length) throw new Error('a CFF INDEX runs past the table');
  return { items, end: data + off(count) };
}

/** Pads the reals of the DICT in [start, end) and returns its integer operands by operator. */
function fixDict(b: Uint8Array, start: number, end: number): Map<number, number[]> {
  const ops = new Map<number, number[]>();
  let operands: number[] = [];
  let i = start;
  while (i < end) {
    const v = b[i] as number;
    if (v <= 21) {
      const op = v === 12 ? 1200 + (b[i + 1] as number) : v;
      i += v === 12 ? 2 : 1;
      ops.set(op, operands);
      operands = [];
    } else if (v === 28) {
      operands.push(((((b[i + 1] as number) << 8) | (b[i + 2] as number)) << 16) >> 16);
      i += 3;
    } else if (v === 29) {
      operands.push(((b[i + 1] as number) << 24) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 8) | (b[i + 4] as number));
      i += 5;
    } else if (v === 30) {
      i++;
      for (; i < end; i++) {
        const byte = b[i] as number;
        if (byte >> 4 === 0xf) {
          b[i] = byte | 0x0f;
          break;
        }
        if ((byte & 0x0f) === 0xf) break;
      }
      i++;
      operands.push(Number.NaN);
    } else if (v >= 32 && v <= 246) {
      operands.push(v - 139);
      i++;
    } else if (v >= 247 && v <= 250) {
      operands.push((v - 247) * 256 + (b[i + 1] as number) + 108);
      i += 2;
    } else if (v >= 251 && v <= 254) {
      operands.push(-(v - 251) * 256 - (b[i + 1] as number) - 108);
      i += 2;
    } else i++;
  }
  return ops;
}

function fixPrivate(b: Uint8Array, ops: Map<number, number[]>): void {
  const p = ops.get(18);
  if (p && p.length === 2 && p[0] && p[1] !== undefined) fixDict(b, p[1], p[1] + p[0]);
}

/** A copy of a CFF table with every DICT real number padded as the spec asks. */
export function padCffReals(cff: Uint8Array): Uint8Array {
  const b = new Uint8Array(cff);
  const names = readIndex(b, b[2] as number);
  const top = readIndex(b, names.end);
  for (const [s, e] of top.items) {
    const ops = fixDict(b, s, e);
    fixPrivate(b, ops);
    const fdArray = ops.get(1236)?.[0];
    if (fdArray !== undefined) for (const [fs, fe] of readIndex(b, fdArray).items) fixPrivate(b, fixDict(b, fs, fe));
  }
  return b;
}
