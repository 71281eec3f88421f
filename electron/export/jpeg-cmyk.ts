// A baseline (sequential, Huffman) JPEG encoder for 4-component CMYK, used by the CMYK PDF export
// for photos that arrived as JPEG: written as DCTDecode they stay about as small as the source,
// where 8-bit Flate CMYK is several times larger and slow to compress.
//
// Layout: SOI, APP14 "Adobe" (transform 0: the components are stored as they are, no YCC/YCCK),
// DQT (one table, the ITU-T T.81 Annex K luminance table scaled by quality), SOF0 (4 components,
// 1x1 sampling, no subsampling), DHT (the Annex K luminance DC and AC tables), one interleaved scan,
// EOI. The samples are stored inverted (255 - value), as Adobe applications write CMYK JPEGs: a
// standalone reader that honours APP14 (Photoshop, libjpeg-based viewers, PIL) shows true CMYK;
// inside a PDF the image dictionary needs /Decode [1 0 1 0 1 0 1 0] (see CMYK_JPEG_DECODE).

/** The /Decode array a PDF image dictionary needs for what encodeCmykJpeg writes. */
export const CMYK_JPEG_DECODE = [1, 0, 1, 0, 1, 0, 1, 0];

export const DEFAULT_JPEG_QUALITY = 90;

/** ITU-T T.81 Annex K.1, table K.1 (luminance), in natural (row-major) order. */
const LUMA_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22,
  37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** Annex K.3, table K.3: luminance DC code lengths (count of codes of 1..16 bits) and values. */
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/** Annex K.3, table K.5: luminance AC code lengths and values (162 run/size symbols). */
const AC_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
const AC_VALUES = (() => {
  const head = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91,
    0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a,
  ];
  // The rest run in ascending blocks: for each high nibble, the low nibbles from `from` to 0xa.
  const blocks: [number, number][] = [
    [0x1, 6],
    [0x2, 5],
    [0x3, 4],
    [0x4, 3],
    [0x5, 3],
    [0x6, 3],
    [0x7, 3],
    [0x8, 3],
    [0x9, 2],
    [0xa, 2],
    [0xb, 2],
    [0xc, 2],
    [0xd, 2],
    [0xe, 1],
    [0xf, 1],
  ];
  const out = [...head];
  for (const [hi, from] of blocks) for (let lo = from; lo <= 0xa; lo++) out.push((hi << 4) | lo);
  return out;
})();

/** ZIGZAG[i] = the natural (row-major) index of the i-th coefficient in zigzag order. */
const ZIGZAG = (() => {
  const z = new Int32Array(64);
  let i = 0;
  for (let s = 0; s < 15; s++) {
    // Anti-diagonal s (row + col = s): odd ones run top-right to bottom-left, even ones the reverse.
    const lo = Math.max(0, s - 7);
    const hi = Math.min(7, s);
    if (s % 2 === 1) for (let r = lo; r <= hi; r++) z[i++] = r * 8 + (s - r);
    else for (let r = hi; r >= lo; r--) z[i++] = r * 8 + (s - r);
  }
  return z;
})();

export class JpegEncodeError extends Error {}

/** The quantisation table (natural order) for a quality 1..100, scaled the way IJG libjpeg does. */
export function quantTable(quality: number): Uint8Array {
  const q = Math.max(1, Math.min(100, Math.round(quality)));
  const scale = q < 50 ? 5000 / q : 200 - 2 * q;
  const t = new Uint8Array(64);
  for (let i = 0; i < 64; i++) t[i] = Math.max(1, Math.min(255, Math.floor(((LUMA_QUANT[i] as number) * scale + 50) / 100)));
  return t;
}

/** Huffman codes and lengths by symbol, built from a BITS/HUFFVAL pair (T.81 Annex C). */
function huffmanCodes(bits: number[], values: number[]): { code: Uint16Array; size: Uint8Array } {
  const code = new Uint16Array(256);
  const size = new Uint8Array(256);
  let c = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let n = 0; n < (bits[len - 1] as number); n++) {
      const v = values[k++] as number;
      code[v] = c++;
      size[v] = len;
    }
    c <<= 1;
  }
  return { code, size };
}

const DC = huffmanCodes(DC_BITS, DC_VALUES);
const AC = huffmanCodes(AC_BITS, AC_VALUES);

/** AAN scale factors: the float AAN DCT leaves coefficient (u,v) multiplied by 8·s(u)·s(v). */
const AAN = [1, 1.387039845, 1.306562965, 1.175875602, 1, 0.785694958, 0.5411961, 0.275899379];

/** Entropy-coded output with 0xFF byte stuffing, grown as needed. */
class BitWriter {
  buf: Uint8Array;
  pos = 0;
  private acc = 0;
  private count = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(1024, capacity));
  }
  private grow(extra: number) {
    if (this.pos + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  bytes(b: ArrayLike<number>) {
    this.grow(b.length);
    for (let i = 0; i < b.length; i++) this.buf[this.pos++] = b[i] as number;
  }
  /** Appends the low `n` (<= 16) bits of `v`, most significant first. */
  bits(v: number, n: number) {
    this.acc = (this.acc << n) | (v & ((1 << n) - 1));
    this.count += n;
    while (this.count >= 8) {
      this.count -= 8;
      const byte = (this.acc >> this.count) & 0xff;
      if (this.pos + 2 > this.buf.length) this.grow(2);
      this.buf[this.pos++] = byte;
      if (byte === 0xff) this.buf[this.pos++] = 0;
    }
    this.acc &= (1 << this.count) - 1;
  }
  /** Pads the last byte with 1 bits (T.81 F.1.2.3). */
  flush() {
    if (this.count > 0) this.bits(0x7f, 8 - this.count);
  }
}

function segment(w: BitWriter, marker: number, body: number[]) {
  w.bytes([0xff, marker, ((body.length + 2) >> 8) & 0xff, (body.length + 2) & 0xff, ...body]);
}

/** Bits needed for |v| (the JPEG "category"). */
const category = (v: number): number => 32 - Math.clz32(v < 0 ? -v : v);

/**
 * Encodes interleaved 8-bit CMYK (4 bytes a pixel, 0 = no ink) as a baseline JPEG with an Adobe
 * APP14 marker (transform 0) and inverted samples. `quality` 1..100 scales the quantisation table.
 */
export function encodeCmykJpeg(cmyk: Uint8Array, width: number, height: number, quality = DEFAULT_JPEG_QUALITY): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535)
    throw new JpegEncodeError(`A JPEG must be 1 to 65535 pixels each way; this image is ${width} × ${height}.`);
  if (cmyk.length !== width * height * 4)
    throw new JpegEncodeError(`CMYK data of ${cmyk.length} bytes does not match ${width} × ${height} × 4 = ${width * height * 4}.`);
  if (!(quality >= 1 && quality <= 100)) throw new JpegEncodeError(`JPEG quality must be 1 to 100, not ${quality}.`);
  const qt = quantTable(quality);
  // Multipliers that turn the AAN output into quantised coefficients, in natural order.
  const fdiv = new Float64Array(64);
  for (let r = 0; r < 8; r++)
    for (let c = 0; c < 8; c++) fdiv[r * 8 + c] = 1 / ((qt[r * 8 + c] as number) * (AAN[r] as number) * (AAN[c] as number) * 8);

  const w = new BitWriter((width * height) / 2 + 4096);
  w.bytes([0xff, 0xd8]);
  // APP14 "Adobe": version 100, flags 0, 0, transform 0.
  segment(w, 0xee, [0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0, 0, 0, 0, 0]);
  segment(w, 0xdb, [0x00, ...Array.from(ZIGZAG, (n) => qt[n] as number)]);
  segment(w, 0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);
  segment(w, 0xc4, [0x00, ...DC_BITS, ...DC_VALUES, 0x10, ...AC_BITS, ...AC_VALUES]);
  segment(w, 0xda, [4, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0, 63, 0]);

  const block = new Float64Array(64);
  const quant = new Int32Array(64);
  const pred = [0, 0, 0, 0];
  const rowsB = Math.ceil(height / 8);
  const colsB = Math.ceil(width / 8);
  // Per block column, the source x of each of the 8 columns (the last pixel repeated past the edge).
  const xs = new Int32Array(8);
  for (let by = 0; by < rowsB; by++) {
    for (let bx = 0; bx < colsB; bx++) {
      for (let i = 0; i < 8; i++) xs[i] = Math.min(bx * 8 + i, width - 1) * 4;
      for (let comp = 0; comp < 4; comp++) {
        // Load, invert (Adobe polarity) and level-shift: stored = 255 - v, minus 128 → 127 - v.
        for (let r = 0; r < 8; r++) {
          const row = Math.min(by * 8 + r, height - 1) * width * 4 + comp;
          for (let c = 0; c < 8; c++) block[r * 8 + c] = 127 - (cmyk[row + (xs[c] as number)] as number);
        }
        fdct(block);
        for (let i = 0; i < 64; i++) {
          // Rounded half away from zero, without a call.
          const x = (block[i] as number) * (fdiv[i] as number);
          quant[i] = x < 0 ? -((0.5 - x) | 0) : (x + 0.5) | 0;
        }
        // DC: the difference from this component's previous block.
        const dc = quant[0] as number;
        const diff = dc - (pred[comp] as number);
        pred[comp] = dc;
        const dcat = category(diff);
        w.bits(DC.code[dcat] as number, DC.size[dcat] as number);
        if (dcat) w.bits(diff < 0 ? diff - 1 : diff, dcat);
        // AC: (run of zeros, size) symbols, ZRL for 16 zeros, EOB after the last non-zero one.
        let run = 0;
        for (let k = 1; k < 64; k++) {
          const v = quant[ZIGZAG[k] as number] as number;
          if (v === 0) {
            run++;
            continue;
          }
          while (run > 15) {
            w.bits(AC.code[0xf0] as number, AC.size[0xf0] as number);
            run -= 16;
          }
          const cat = category(v);
          const sym = (run << 4) | cat;
          w.bits(AC.code[sym] as number, AC.size[sym] as number);
          w.bits(v < 0 ? v - 1 : v, cat);
          run = 0;
        }
        if (run > 0) w.bits(AC.code[0] as number, AC.size[0] as number);
      }
    }
  }
  w.flush();
  w.bytes([0xff, 0xd9]);
  return w.buf.slice(0, w.pos);
}

/** In-place separable float DCT (Arai, Agui, Nakajima) on rows, then columns; output AAN-scaled. */
function fdct(d: Float64Array) {
  for (let pass = 0; pass < 2; pass++) {
    const step = pass === 0 ? 1 : 8; // between the 8 samples of one line
    const next = pass === 0 ? 8 : 1; // between lines
    for (let line = 0; line < 8; line++) {
      const o = line * next;
      const i0 = o;
      const i1 = o + step;
      const i2 = o + 2 * step;
      const i3 = o + 3 * step;
      const i4 = o + 4 * step;
      const i5 = o + 5 * step;
      const i6 = o + 6 * step;
      const i7 = o + 7 * step;
      const d0 = d[i0] as number;
      const d1 = d[i1] as number;
      const d2 = d[i2] as number;
      const d3 = d[i3] as number;
      const d4 = d[i4] as number;
      const d5 = d[i5] as number;
      const d6 = d[i6] as number;
      const d7 = d[i7] as number;
      const t0 = d0 + d7;
      const t7 = d0 - d7;
      const t1 = d1 + d6;
      const t6 = d1 - d6;
      const t2 = d2 + d5;
      const t5 = d2 - d5;
      const t3 = d3 + d4;
      const t4 = d3 - d4;
      // Even part.
      const e10 = t0 + t3;
      const e13 = t0 - t3;
      const e11 = t1 + t2;
      const e12 = t1 - t2;
      d[i0] = e10 + e11;
      d[i4] = e10 - e11;
      const z1 = (e12 + e13) * Math.SQRT1_2;
      d[i2] = e13 + z1;
      d[i6] = e13 - z1;
      // Odd part.
      const o10 = t4 + t5;
      const o11 = t5 + t6;
      const o12 = t6 + t7;
      const z5 = (o10 - o12) * 0.382683433;
      const z2 = 0.5411961 * o10 + z5;
      const z4 = 1.306562965 * o12 + z5;
      const z3 = o11 * Math.SQRT1_2;
      const z11 = t7 + z3;
      const z13 = t7 - z3;
      d[i5] = z13 + z2;
      d[i3] = z13 - z2;
      d[i1] = z11 + z4;
      d[i7] = z11 - z4;
    }
  }
}
