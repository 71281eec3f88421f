// The lutAtoB / lutBtoA (mAB / mBA) path, which ICC v4 CMYK profiles use: a small v4 profile is
// written here byte by byte (parametric and table curves, 16-bit CLUTs) and our engine is
// compared with Little CMS's transicc reading the same file (Debian's Argyll is built without
// ICC v4 support, so xicclu refuses it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CmykTransform, IccProfile } from '../../core/color/icc';

class Writer {
  bytes: number[] = [];
  u8(v: number) {
    this.bytes.push(v & 255);
  }
  u16(v: number) {
    this.u8(v >> 8);
    this.u8(v);
  }
  u32(v: number) {
    this.u16(v >>> 16);
    this.u16(v & 0xffff);
  }
  s15(v: number) {
    this.u32(Math.round(v * 65536) >>> 0);
  }
  sig(s: string) {
    for (const c of s) this.u8(c.charCodeAt(0));
  }
  pad4() {
    while (this.bytes.length % 4) this.u8(0);
  }
}

let seed = 7;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

/**
 * CLUT contents that are an affine function of the inputs, a different one per output: every
 * interpolation method (ours tetrahedral/simplex, Little CMS's) gives the same values between
 * nodes, so a difference means a reading error (order, offsets, curves, encoding), not rounding.
 */
function affineClut(inputs: number, grid: number, outputs: number): number[] {
  const weights = Array.from({ length: outputs }, (_, o) => Array.from({ length: inputs }, (_, i) => 1 + ((o * 3 + i * 5) % 7)));
  const out: number[] = [];
  const idx = new Array<number>(inputs).fill(0);
  for (let n = 0; n < grid ** inputs; n++) {
    let rest = n;
    for (let i = inputs - 1; i >= 0; i--) {
      idx[i] = rest % grid;
      rest = Math.floor(rest / grid);
    }
    for (const w of weights) {
      const sum = w.reduce((a, v) => a + v, 0);
      out.push(0.1 + (0.8 * w.reduce((a, v, i) => a + v * (idx[i]! / (grid - 1)), 0)) / sum);
    }
  }
  return out;
}

const identityCurve = (w: Writer) => {
  w.sig('curv');
  w.u32(0);
  w.u32(0);
  w.pad4();
};
const gammaPara = (w: Writer, g: number) => {
  w.sig('para');
  w.u32(0);
  w.u16(0);
  w.u16(0);
  w.s15(g);
  w.pad4();
};
const tableCurve = (w: Writer, pts: number[]) => {
  w.sig('curv');
  w.u32(0);
  w.u32(pts.length);
  for (const p of pts) w.u16(Math.round(p * 65535));
  w.pad4();
};

/** mBA (Lab -> CMYK): B curves identity, 5³ 16-bit CLUT, A curves parametric (gamma 1.8). */
function mBA(): number[] {
  const w = new Writer();
  w.sig('mBA ');
  w.u32(0);
  w.u8(3);
  w.u8(4);
  w.u16(0);
  const offsets = w.bytes.length;
  for (let i = 0; i < 5; i++) w.u32(0);
  const set = (slot: number, v: number) => {
    const at = offsets + slot * 4;
    w.bytes.splice(at, 4, (v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  };
  set(0, w.bytes.length);
  for (let i = 0; i < 3; i++) identityCurve(w);
  set(3, w.bytes.length);
  for (let i = 0; i < 3; i++) w.u8(5);
  for (let i = 3; i < 16; i++) w.u8(0);
  w.u8(2);
  w.u8(0);
  w.u8(0);
  w.u8(0);
  for (const v of affineClut(3, 5, 4)) w.u16(Math.round(v * 65535));
  w.pad4();
  set(4, w.bytes.length);
  for (let i = 0; i < 4; i++) gammaPara(w, 1.8);
  return w.bytes;
}

/** mAB (CMYK -> Lab): A curves as tables, 3⁴ 16-bit CLUT, B curves identity. */
function mAB(): number[] {
  const w = new Writer();
  w.sig('mAB ');
  w.u32(0);
  w.u8(4);
  w.u8(3);
  w.u16(0);
  const offsets = w.bytes.length;
  for (let i = 0; i < 5; i++) w.u32(0);
  const set = (slot: number, v: number) => {
    const at = offsets + slot * 4;
    w.bytes.splice(at, 4, (v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  };
  set(0, w.bytes.length);
  for (let i = 0; i < 3; i++) identityCurve(w);
  set(3, w.bytes.length);
  for (let i = 0; i < 4; i++) w.u8(3);
  for (let i = 4; i < 16; i++) w.u8(0);
  w.u8(2);
  w.u8(0);
  w.u8(0);
  w.u8(0);
  for (const v of affineClut(4, 3, 3)) w.u16(Math.round(v * 65535));
  w.pad4();
  set(4, w.bytes.length);
  for (let i = 0; i < 4; i++) tableCurve(w, [0, 0.2, 0.45, 0.7, 1]);
  return w.bytes;
}

function mluc(text: string): number[] {
  const w = new Writer();
  w.sig('mluc');
  w.u32(0);
  w.u32(1);
  w.u32(12);
  w.sig('en');
  w.sig('US');
  w.u32(text.length * 2);
  w.u32(28);
  for (const c of text) w.u16(c.charCodeAt(0));
  w.pad4();
  return w.bytes;
}

function xyzTag(x: number, y: number, z: number): number[] {
  const w = new Writer();
  w.sig('XYZ ');
  w.u32(0);
  w.s15(x);
  w.s15(y);
  w.s15(z);
  return w.bytes;
}

function v4Profile(): Uint8Array {
  const tags: [string, number[]][] = [
    ['desc', mluc('Synthetic v4 CMYK')],
    ['cprt', mluc('No copyright, test data')],
    ['wtpt', xyzTag(0.9642, 1, 0.8249)],
    ['A2B0', mAB()],
    ['B2A0', mBA()],
  ];
  const w = new Writer();
  const headerAndTable = 128 + 4 + 12 * tags.length;
  let offset = headerAndTable;
  const placed = tags.map(([name, data]) => {
    const at = offset;
    offset += data.length;
    while (offset % 4) offset++;
    return { name, data, at };
  });
  w.u32(offset);
  w.u32(0);
  w.u32(0x04200000);
  w.sig('prtr');
  w.sig('CMYK');
  w.sig('Lab ');
  for (let i = 0; i < 6; i++) w.u16([2026, 11, 28, 0, 0, 0][i]!);
  w.sig('acsp');
  while (w.bytes.length < 64) w.u8(0);
  w.u32(0);
  w.s15(0.9642);
  w.s15(1);
  w.s15(0.8249);
  while (w.bytes.length < 128) w.u8(0);
  w.u32(tags.length);
  for (const p of placed) {
    w.sig(p.name);
    w.u32(p.at);
    w.u32(p.data.length);
  }
  for (const p of placed) {
    while (w.bytes.length < p.at) w.u8(0);
    w.bytes.push(...p.data);
  }
  while (w.bytes.length < offset) w.u8(0);
  return Uint8Array.from(w.bytes);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'poster-icc4-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Little CMS's transicc on rows of numbers (CMYK as 0..100), returning its output rows. */
function transicc(from: string, to: string, rows: number[][]): number[][] {
  const out = execFileSync('transicc', [`-i${from}`, `-o${to}`, '-t1', '-c0', '-n'], {
    input: `${rows.map((r) => r.join(' ')).join('\n')}\n`,
    encoding: 'utf8',
  });
  return out
    .trim()
    .split('\n')
    .filter((l) => /^\s*-?[\d.]+(\s+-?[\d.]+)+\s*$/.test(l))
    .map((l) => l.trim().split(/\s+/).map(Number));
}

describe('ICC v4 lutAtoB / lutBtoA', () => {
  const bytes = v4Profile();
  const file = path.join(dir, 'v4.icc');
  writeFileSync(file, bytes);

  it('reads the header and mluc description', () => {
    const p = new IccProfile(bytes);
    expect(p.header).toMatchObject({ version: '4.2', colorSpace: 'CMYK', deviceClass: 'prtr', pcs: 'Lab ' });
    expect(p.description).toBe('Synthetic v4 CMYK');
  });

  it('mBA (Lab -> CMYK) matches transicc', () => {
    const t = new CmykTransform(bytes);
    const rows: number[][] = [];
    for (let i = 0; i < 300; i++) rows.push([rnd() * 100, rnd() * 200 - 100, rnd() * 200 - 100]);
    const oracle = transicc('*Lab', file, rows).map((r) => r.map((v) => v / 100));
    expect(oracle).toHaveLength(rows.length);
    let worst = 0;
    for (const [i, lab] of rows.entries()) worst = Math.max(worst, ...t.fromLab(lab).map((v, k) => Math.abs(v - oracle[i]![k]!)));
    console.log(`v4 mBA: max |ΔCMYK| vs transicc ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
  });

  it('mAB (CMYK -> Lab) matches transicc', () => {
    const t = new CmykTransform(bytes);
    const rows: number[][] = [];
    for (let i = 0; i < 300; i++) rows.push([rnd(), rnd(), rnd(), rnd()]);
    const oracle = transicc(
      file,
      '*Lab',
      rows.map((r) => r.map((v) => v * 100)),
    );
    expect(oracle).toHaveLength(rows.length);
    let worst = 0;
    for (const [i, cmyk] of rows.entries()) worst = Math.max(worst, ...t.toLab(cmyk).map((v, k) => Math.abs(v - oracle[i]![k]!)));
    console.log(`v4 mAB: max |ΔLab| vs transicc ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(0.01);
  });
});
