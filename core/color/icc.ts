// A small ICC colour engine: reads ICC v2/v4 profiles (header, tag table; lut8/lut16 and
// lutAtoB/lutBtoA tables; matrix/TRC RGB profiles) and converts sRGB to CMYK through an output
// profile's BToA table, via the D50 Lab profile connection space. Pure TypeScript, no I/O.
//
// Conversion path: sRGB (IEC 61966-2-1 curves, D50-adapted matrix as in the ICC sRGB profile)
// -> XYZ D50 -> Lab -> the profile's PCS encoding -> BToA0 (perceptual) or BToA1 (relative
// colorimetric) -> CMYK 0..1. CLUTs with three inputs use tetrahedral interpolation, others
// simplex. For images, `Rgb8ToCmyk` precomputes a 33³ grid once and interpolates per pixel.

import { labToXyz, srgbToLab, xyzToLab } from './lab';
import { type Curve, clamp01, clutInterpolator, type Lut, nodes, parametric, type Stage, table1d, tableLut } from './lut';

export class IccError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IccError';
  }
}

export type Intent = 'perceptual' | 'relative';

export interface IccHeader {
  size: number;
  version: string;
  deviceClass: string;
  colorSpace: string;
  pcs: string;
  renderingIntent: number;
}

const sig = (b: DataView, at: number) => String.fromCharCode(b.getUint8(at), b.getUint8(at + 1), b.getUint8(at + 2), b.getUint8(at + 3));
const s15 = (b: DataView, at: number) => b.getInt32(at) / 65536;

/** An ICC profile read from bytes; throws IccError for anything that is not a readable profile. */
export class IccProfile {
  readonly header: IccHeader;
  readonly description: string;
  private readonly view: DataView;
  private readonly tags = new Map<string, { offset: number; size: number }>();

  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < 132) throw new IccError(`not an ICC profile: ${bytes.length} bytes is shorter than the 132-byte header.`);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const v = this.view;
    if (sig(v, 36) !== 'acsp') throw new IccError('not an ICC profile: the "acsp" signature is missing.');
    const size = v.getUint32(0);
    if (size > bytes.length) throw new IccError(`the ICC profile is truncated: header says ${size} bytes, file has ${bytes.length}.`);
    const major = v.getUint8(8);
    const minor = v.getUint8(9) >> 4;
    this.header = {
      size,
      version: `${major}.${minor}`,
      deviceClass: sig(v, 12),
      colorSpace: sig(v, 16),
      pcs: sig(v, 20),
      renderingIntent: v.getUint32(64),
    };
    const count = v.getUint32(128);
    if (132 + count * 12 > size) throw new IccError('the ICC profile is corrupt: its tag table runs past the end.');
    for (let i = 0; i < count; i++) {
      const at = 132 + i * 12;
      const offset = v.getUint32(at + 4);
      const len = v.getUint32(at + 8);
      if (offset + len > size) throw new IccError(`the ICC profile is truncated or corrupt: tag "${sig(v, at)}" runs past the end.`);
      this.tags.set(sig(v, at), { offset, size: len });
    }
    this.description = this.readText('desc') ?? '(no description)';
  }

  has(tag: string): boolean {
    return this.tags.has(tag);
  }

  private tag(name: string): { offset: number; size: number } {
    const t = this.tags.get(name);
    if (!t) throw new IccError(`the ICC profile has no "${name}" tag.`);
    return t;
  }

  /** Text of a desc/cprt tag (textDescriptionType, multiLocalizedUnicodeType or textType). */
  readText(name: string): string | undefined {
    const t = this.tags.get(name);
    if (!t) return undefined;
    const v = this.view;
    const type = sig(v, t.offset);
    if (type === 'desc') {
      const n = v.getUint32(t.offset + 8);
      return latin1(this.bytes.subarray(t.offset + 12, t.offset + 12 + Math.max(0, n - 1)));
    }
    if (type === 'text') return latin1(this.bytes.subarray(t.offset + 8, t.offset + t.size)).replace(/\0+$/, '');
    if (type === 'mluc') {
      const len = v.getUint32(t.offset + 20);
      const off = v.getUint32(t.offset + 24);
      let s = '';
      for (let i = 0; i + 1 < len; i += 2) s += String.fromCharCode(v.getUint16(t.offset + off + i));
      return s;
    }
    return undefined;
  }

  /** Reads a lut tag (mft1, mft2, mAB, mBA). */
  lut(name: string): Lut {
    const { offset, size } = this.tag(name);
    const type = sig(this.view, offset);
    try {
      if (type === 'mft2') return this.lut16(offset);
      if (type === 'mft1') return this.lut8(offset);
      if (type === 'mAB ' || type === 'mBA ') return this.lutAB(offset, size, type === 'mAB ');
    } catch (e) {
      if (e instanceof RangeError) throw new IccError(`the ICC profile is truncated or corrupt: tag "${name}" cannot be read.`);
      throw e;
    }
    throw new IccError(`the ICC profile's "${name}" tag has type "${type}", which is not supported.`);
  }

  private lut16(o: number): Lut {
    const v = this.view;
    const inputs = v.getUint8(o + 8);
    const outputs = v.getUint8(o + 9);
    const grid = v.getUint8(o + 10);
    const n = v.getUint16(o + 48);
    const m = v.getUint16(o + 50);
    checkDims(inputs, outputs, grid);
    const u16 = (at: number, count: number) => {
      const a = new Float64Array(count);
      for (let i = 0; i < count; i++) a[i] = v.getUint16(at + 2 * i) / 65535;
      return a;
    };
    let at = o + 52;
    const inCurves = Array.from({ length: inputs }, (_, i) => u16(at + i * n * 2, n));
    at += inputs * n * 2;
    const clutLen = grid ** inputs * outputs;
    const clut = u16(at, clutLen);
    at += clutLen * 2;
    const outCurves = Array.from({ length: outputs }, (_, i) => u16(at + i * m * 2, m));
    return tableLut(inputs, outputs, inCurves, new Array(inputs).fill(grid), clut, outCurves, 'v2');
  }

  private lut8(o: number): Lut {
    const v = this.view;
    const inputs = v.getUint8(o + 8);
    const outputs = v.getUint8(o + 9);
    const grid = v.getUint8(o + 10);
    checkDims(inputs, outputs, grid);
    const u8 = (at: number, count: number) => {
      const a = new Float64Array(count);
      for (let i = 0; i < count; i++) a[i] = v.getUint8(at + i) / 255;
      return a;
    };
    let at = o + 48;
    const inCurves = Array.from({ length: inputs }, (_, i) => u8(at + i * 256, 256));
    at += inputs * 256;
    const clutLen = grid ** inputs * outputs;
    const clut = u8(at, clutLen);
    at += clutLen;
    const outCurves = Array.from({ length: outputs }, (_, i) => u8(at + i * 256, 256));
    // lut8 Lab is 8-bit (L 0..100 -> 0..255, a/b + 128): the same 0..1 scale as v4 encoding.
    return tableLut(inputs, outputs, inCurves, new Array(inputs).fill(grid), clut, outCurves, 'v4');
  }

  private lutAB(o: number, size: number, aToB: boolean): Lut {
    const v = this.view;
    const inputs = v.getUint8(o + 8);
    const outputs = v.getUint8(o + 9);
    const offB = v.getUint32(o + 12);
    const offMatrix = v.getUint32(o + 16);
    const offM = v.getUint32(o + 20);
    const offClut = v.getUint32(o + 24);
    const offA = v.getUint32(o + 28);
    for (const off of [offB, offMatrix, offM, offClut, offA]) if (off > size) throw new RangeError('offset');
    const curves = (off: number, count: number): Curve[] | null => {
      if (!off) return null;
      const out: Curve[] = [];
      let at = o + off;
      for (let i = 0; i < count; i++) {
        const c = this.curveAt(at);
        out.push(c.curve);
        at += (c.size + 3) & ~3;
      }
      return out;
    };
    // Curves on the PCS side have 3 channels; on the device side, the device channel count.
    const pcsCh = aToB ? outputs : inputs;
    const devCh = aToB ? inputs : outputs;
    const B = curves(offB, pcsCh);
    const M = curves(offM, pcsCh);
    const A = curves(offA, devCh);
    let matrix: Stage | null = null;
    if (offMatrix) {
      const e = Array.from({ length: 12 }, (_, i) => s15(v, o + offMatrix + 4 * i));
      matrix = (x) =>
        Float64Array.of(
          clamp01(e[0]! * x[0]! + e[1]! * x[1]! + e[2]! * x[2]! + e[9]!),
          clamp01(e[3]! * x[0]! + e[4]! * x[1]! + e[5]! * x[2]! + e[10]!),
          clamp01(e[6]! * x[0]! + e[7]! * x[1]! + e[8]! * x[2]! + e[11]!),
        );
    }
    let clut: { grid: number[]; data: Float64Array } | null = null;
    if (offClut) {
      const c = o + offClut;
      const grid = Array.from({ length: inputs }, (_, i) => v.getUint8(c + i));
      const precision = v.getUint8(c + 16);
      if (precision !== 1 && precision !== 2)
        throw new IccError(`the ICC profile's CLUT has precision ${precision}, expected 1 or 2 bytes.`);
      for (const g of grid) checkDims(inputs, outputs, g);
      const len = grid.reduce((a, g) => a * g, 1) * outputs;
      const data = new Float64Array(len);
      for (let i = 0; i < len; i++) data[i] = precision === 2 ? v.getUint16(c + 20 + 2 * i) / 65535 : v.getUint8(c + 20 + i) / 255;
      clut = { grid, data };
    }
    const apply = (cs: Curve[] | null): Stage | null => (cs ? (x) => x.map((t, i) => cs[i]!(t)) : null);
    const clutStage: Stage | null = clut ? clutInterpolator(inputs, outputs, clut.grid, clut.data) : null;
    const stages = (aToB ? [apply(A), clutStage, apply(M), matrix, apply(B)] : [apply(B), matrix, apply(M), clutStage, apply(A)]).filter(
      (s): s is Stage => s !== null,
    );
    const run: Stage = (x) => stages.reduce((acc, s) => s(acc), x);
    const after = aToB ? [apply(M), matrix, apply(B)] : [apply(A)];
    return {
      inputs,
      outputs,
      run,
      labEncoding: 'v4',
      clutOutputs: () => (clut ? nodes(clut.data, outputs).map((n) => after.reduce<Float64Array>((acc, s) => (s ? s(acc) : acc), n)) : []),
    };
  }

  private curveAt(at: number): { curve: Curve; size: number } {
    const v = this.view;
    const type = sig(v, at);
    if (type === 'curv') {
      const n = v.getUint32(at + 8);
      if (n === 0) return { curve: (x) => x, size: 12 };
      if (n === 1) {
        const g = v.getUint16(at + 12) / 256;
        return { curve: (x) => clamp01(x) ** g, size: 14 };
      }
      const t = new Float64Array(n);
      for (let i = 0; i < n; i++) t[i] = v.getUint16(at + 12 + 2 * i) / 65535;
      return { curve: (x) => table1d(t, x), size: 12 + 2 * n };
    }
    if (type === 'para') {
      const fn = v.getUint16(at + 8);
      const count = [1, 3, 4, 5, 7][fn];
      if (count === undefined) throw new IccError(`the ICC profile has a parametric curve of unknown type ${fn}.`);
      const p = Array.from({ length: count }, (_, i) => s15(v, at + 12 + 4 * i));
      return { curve: parametric(fn, p), size: 12 + 4 * count };
    }
    throw new IccError(`the ICC profile has a curve of type "${type}", which is not supported.`);
  }

  /** The three TRCs and the D50 matrix of a matrix/TRC RGB profile. */
  matrixTrc(): { curves: Curve[]; matrix: number[] } {
    const curves = ['rTRC', 'gTRC', 'bTRC'].map((t) => this.curveAt(this.tag(t).offset).curve);
    const col = ['rXYZ', 'gXYZ', 'bXYZ'].map((t) => {
      const at = this.tag(t).offset;
      return [s15(this.view, at + 8), s15(this.view, at + 12), s15(this.view, at + 16)];
    });
    // Rows X, Y, Z; columns r, g, b.
    return { curves, matrix: [0, 1, 2].flatMap((r) => col.map((c) => c[r]!)) };
  }
}

const latin1 = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join('');

function checkDims(inputs: number, outputs: number, grid: number) {
  if (inputs < 1 || inputs > 15 || outputs < 1 || outputs > 15 || grid < 2)
    throw new IccError(`the ICC profile has an impossible lookup table (${inputs} in, ${outputs} out, grid ${grid}).`);
}

function encodeLab(lab: readonly number[], enc: 'v2' | 'v4'): Float64Array {
  // v2 (lut16): L 0..100 -> 0..0xFF00, a/b -128..127.996 -> 0..0xFFFF; v4: L -> 0..1, a/b (x+128)/255.
  if (enc === 'v2')
    return Float64Array.of(
      clamp01((lab[0]! * 652.8) / 65535),
      clamp01(((lab[1]! + 128) * 256) / 65535),
      clamp01(((lab[2]! + 128) * 256) / 65535),
    );
  return Float64Array.of(clamp01(lab[0]! / 100), clamp01((lab[1]! + 128) / 255), clamp01((lab[2]! + 128) / 255));
}

function decodeLab(v: Float64Array, enc: 'v2' | 'v4'): [number, number, number] {
  if (enc === 'v2') return [(v[0]! * 65535) / 652.8, (v[1]! * 65535) / 256 - 128, (v[2]! * 65535) / 256 - 128];
  return [v[0]! * 100, v[1]! * 255 - 128, v[2]! * 255 - 128];
}

// --- CMYK output transforms ---

const INTENT_TAG: Record<Intent, string> = { perceptual: 'B2A0', relative: 'B2A1' };

/** An sRGB-to-CMYK transform through a CMYK output profile. */
export class CmykTransform {
  readonly profile: IccProfile;
  private readonly b2a: Lut;
  private readonly a2b: Lut | null;
  private readonly toXyzPcs: boolean;
  private readonly cache = new Map<string, [number, number, number, number]>();

  constructor(
    bytes: Uint8Array,
    readonly intent: Intent = 'perceptual',
  ) {
    const p = new IccProfile(bytes);
    const h = p.header;
    if (h.colorSpace !== 'CMYK')
      throw new IccError(
        `"${p.description}" is a ${h.colorSpace.trim()} profile (class ${h.deviceClass}); CMYK export needs a CMYK output (printer) profile.`,
      );
    if (h.deviceClass !== 'prtr')
      throw new IccError(`"${p.description}" is a CMYK profile of class "${h.deviceClass}", not an output (printer) profile.`);
    if (h.pcs !== 'Lab ' && h.pcs !== 'XYZ ')
      throw new IccError(`"${p.description}" has connection space "${h.pcs}", expected Lab or XYZ.`);
    const tag = p.has(INTENT_TAG[intent]) ? INTENT_TAG[intent] : 'B2A0';
    if (!p.has(tag)) throw new IccError(`"${p.description}" has no BToA table, so it cannot convert colours to CMYK.`);
    this.profile = p;
    this.b2a = p.lut(tag);
    if (this.b2a.inputs !== 3 || this.b2a.outputs !== 4)
      throw new IccError(`"${p.description}": its ${tag} table maps ${this.b2a.inputs} to ${this.b2a.outputs} channels, expected 3 to 4.`);
    const a2bTag = intent === 'relative' ? 'A2B1' : 'A2B0';
    this.a2b = p.has(a2bTag) ? p.lut(a2bTag) : p.has('A2B0') ? p.lut('A2B0') : null;
    this.toXyzPcs = h.pcs === 'XYZ ';
  }

  /** PCS Lab (D50) to CMYK, each 0..1. */
  fromLab(lab: readonly number[]): [number, number, number, number] {
    let input: Float64Array;
    if (this.toXyzPcs) {
      // XYZ PCS encoding: 0..1.99997 over 0..0xFFFF.
      const xyz = labToXyz(lab);
      input = Float64Array.from(xyz, (t) => clamp01(t / (65535 / 32768)));
    } else input = encodeLab(lab, this.b2a.labEncoding);
    const o = this.b2a.run(input);
    return [clamp01(o[0]!), clamp01(o[1]!), clamp01(o[2]!), clamp01(o[3]!)];
  }

  /** sRGB (0..1) to CMYK (0..1). */
  fromRgb(r: number, g: number, b: number): [number, number, number, number] {
    return this.fromLab(srgbToLab(r, g, b));
  }

  /** A "#rrggbb" colour to CMYK (0..1), cached. */
  fromHex(hex: string): [number, number, number, number] {
    let c = this.cache.get(hex);
    if (!c) {
      const v = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
      c = this.fromRgb(v[0]!, v[1]!, v[2]!);
      this.cache.set(hex, c);
    }
    return c;
  }

  /** CMYK (0..1) back to Lab through the profile's AToB table, for checking what will print. */
  toLab(cmyk: readonly number[]): [number, number, number] {
    if (!this.a2b) throw new IccError(`"${this.profile.description}" has no AToB table.`);
    const o = this.a2b.run(Float64Array.from(cmyk));
    if (this.toXyzPcs) return xyzToLab(Array.from(o, (t) => (t * 65535) / 32768));
    return decodeLab(o, this.a2b.labEncoding);
  }

  /** The largest total ink (percent) the BToA table can produce: the profile's effective limit. */
  maxTotalInk(): number {
    let max = 0;
    for (const n of this.b2a.clutOutputs()) max = Math.max(max, (n[0]! + n[1]! + n[2]! + n[3]!) * 100);
    return max;
  }
}

/** A precomputed sRGB8 -> CMYK8 lookup (grid³ nodes, tetrahedral interpolation) for images. */
export class Rgb8ToCmyk {
  private readonly grid: number;
  private readonly table: Float32Array;

  constructor(t: CmykTransform, grid = 33) {
    this.grid = grid;
    this.table = new Float32Array(grid ** 3 * 4);
    let at = 0;
    for (let r = 0; r < grid; r++)
      for (let g = 0; g < grid; g++)
        for (let b = 0; b < grid; b++) {
          const c = t.fromRgb(r / (grid - 1), g / (grid - 1), b / (grid - 1));
          for (let k = 0; k < 4; k++) this.table[at++] = c[k]! * 255;
        }
  }

  /** Converts `count` RGBA pixels to CMYK bytes (alpha is not used here). */
  convertRgba(rgba: Uint8Array | Uint8ClampedArray, count: number): Uint8Array {
    const out = new Uint8Array(count * 4);
    const n = this.grid - 1;
    const T = this.table;
    const s0 = this.grid * this.grid * 4;
    const s1 = this.grid * 4;
    const s2 = 4;
    const c = s0 + s1 + s2;
    // Per 8-bit level: the cell index (as a table offset per axis) and the fraction within it.
    const cell = new Int32Array(256);
    const frac = new Float32Array(256);
    for (let v = 0; v < 256; v++) {
      const p = (v * n) / 255;
      const k = Math.min(Math.floor(p), n - 1);
      cell[v] = k;
      frac[v] = p - k;
    }
    for (let p = 0, q = 0; p < count; p++, q += 4) {
      const r = rgba[q] as number;
      const g = rgba[q + 1] as number;
      const bl = rgba[q + 2] as number;
      const rx = frac[r] as number;
      const ry = frac[g] as number;
      const rz = frac[bl] as number;
      const base = (cell[r] as number) * s0 + (cell[g] as number) * s1 + (cell[bl] as number) * s2;
      // Tetrahedral: the vertices after the origin are base+a, base+b, base+c.
      let a: number;
      let b: number;
      let fa: number;
      let fb: number;
      let fc: number;
      if (rx >= ry) {
        if (ry >= rz) {
          a = s0;
          b = s0 + s1;
          fa = rx;
          fb = ry;
          fc = rz;
        } else if (rx >= rz) {
          a = s0;
          b = s0 + s2;
          fa = rx;
          fb = rz;
          fc = ry;
        } else {
          a = s2;
          b = s0 + s2;
          fa = rz;
          fb = rx;
          fc = ry;
        }
      } else if (rx >= rz) {
        a = s1;
        b = s0 + s1;
        fa = ry;
        fb = rx;
        fc = rz;
      } else if (ry >= rz) {
        a = s1;
        b = s1 + s2;
        fa = ry;
        fb = rz;
        fc = rx;
      } else {
        a = s2;
        b = s1 + s2;
        fa = rz;
        fb = ry;
        fc = rx;
      }
      const w0 = 1 - fa;
      const wa = fa - fb;
      const wb = fb - fc;
      for (let k = 0; k < 4; k++) {
        const i = base + k;
        // Values stay within 0..255, so +0.5 and the Uint8Array's truncation round them.
        out[q + k] = w0 * (T[i] as number) + wa * (T[i + a] as number) + wb * (T[i + b] as number) + fc * (T[i + c] as number) + 0.5;
      }
    }
    return out;
  }
}
