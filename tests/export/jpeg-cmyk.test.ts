// The CMYK JPEG encoder, checked with independent decoders: Pillow (python3-pil, libjpeg) gives
// back the CMYK samples for a PSNR against the input, libjpeg-turbo's djpeg must accept the file,
// and the marker segments are parsed byte by byte.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCmykJpeg, JpegEncodeError, quantTable } from '../../electron/export/jpeg-cmyk';
import { psnr, rand } from '../engine/measure';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'poster-jpeg-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Pillow reads an Adobe CMYK JPEG as inverted (as Photoshop writes them) and returns true CMYK.
const PIL_DECODE = `
import sys
from PIL import Image
im = Image.open(sys.argv[1])
im.load()
sys.stdout.write('%s %d %d %s %s\\n' % (im.mode, im.size[0], im.size[1], im.info.get('adobe'), im.info.get('adobe_transform')))
sys.stdout.flush()
sys.stdout.buffer.write(im.tobytes())
`;

function decodeWithPillow(jpeg: Uint8Array): {
  mode: string;
  width: number;
  height: number;
  adobe: string;
  transform: string;
  data: Uint8Array;
} {
  const file = path.join(dir, `d${Math.random().toString(36).slice(2)}.jpg`);
  writeFileSync(file, jpeg);
  const out = execFileSync('/usr/bin/python3', ['-c', PIL_DECODE, file], { maxBuffer: 1 << 28 });
  const nl = out.indexOf(10);
  const [mode, w, h, adobe, transform] = out.subarray(0, nl).toString('latin1').split(' ');
  return {
    mode: mode!,
    width: Number(w),
    height: Number(h),
    adobe: adobe!,
    transform: transform!,
    data: new Uint8Array(out.subarray(nl + 1)),
  };
}

/** A photo-like CMYK image: smooth gradients, soft blobs, a hard edge and grain. */
function photo(width: number, height: number, seed: number): Uint8Array {
  const grain = rand(width * height, seed, 12);
  const px = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const g = grain[i] as number;
      const blob = 90 * Math.exp(-((x - width * 0.6) ** 2 + (y - height * 0.4) ** 2) / (0.05 * width * width));
      const c = (x / width) * 200 + g;
      const m = (y / height) * 160 + blob + g;
      const ye = 120 + 80 * Math.sin(x / 17) * Math.cos(y / 13) + g;
      const k = x > width * 0.75 ? 180 + g : 20 + g;
      px.set(
        [c, m, ye, k].map((v) => Math.max(0, Math.min(255, Math.round(v)))),
        i * 4,
      );
    }
  return px;
}

/** Marker segments before the scan: [marker, body]; then the entropy-coded data and what ends it. */
function segments(j: Uint8Array): { list: [number, Uint8Array][]; scan: Uint8Array; tail: Uint8Array } {
  expect([j[0], j[1]]).toEqual([0xff, 0xd8]);
  const list: [number, Uint8Array][] = [];
  let p = 2;
  for (;;) {
    expect(j[p]).toBe(0xff);
    const marker = j[p + 1] as number;
    const len = ((j[p + 2] as number) << 8) | (j[p + 3] as number);
    list.push([marker, j.subarray(p + 4, p + 2 + len)]);
    p += 2 + len;
    if (marker === 0xda) break;
  }
  return { list, scan: j.subarray(p, j.length - 2), tail: j.subarray(j.length - 2) };
}

describe('CMYK JPEG encoder', () => {
  it('round-trips an odd-sized photo through Pillow at quality 90 with PSNR >= 38 dB per channel', () => {
    const [w, h] = [203, 117];
    const src = photo(w, h, 7);
    const jpeg = encodeCmykJpeg(src, w, h);
    const d = decodeWithPillow(jpeg);
    expect([d.mode, d.width, d.height, d.adobe, d.transform]).toEqual(['CMYK', w, h, '100', '0']);
    expect(d.data.length).toBe(src.length);
    const overall = psnr(d.data, src);
    const perChannel = [0, 1, 2, 3].map((c) => {
      const a = new Uint8Array(w * h);
      const b = new Uint8Array(w * h);
      for (let i = 0; i < w * h; i++) {
        a[i] = d.data[i * 4 + c] as number;
        b[i] = src[i * 4 + c] as number;
      }
      return psnr(a, b);
    });
    console.log(
      `CMYK JPEG q90 203x117: ${jpeg.length} bytes, PSNR ${overall.toFixed(1)} dB (C M Y K ${perChannel.map((v) => v.toFixed(1)).join(' ')})`,
    );
    expect(overall).toBeGreaterThanOrEqual(38);
    for (const v of perChannel) expect(v).toBeGreaterThanOrEqual(36);
    // Every edge pixel (last column, last row, beyond the 8x8 grid) survives too.
    let edge = 0;
    for (let y = 0; y < h; y++)
      edge = Math.max(edge, Math.abs((d.data[(y * w + w - 1) * 4] as number) - (src[(y * w + w - 1) * 4] as number)));
    expect(edge).toBeLessThan(24);
  });

  it('is read by libjpeg-turbo djpeg as a 4-component baseline JPEG', () => {
    const [w, h] = [33, 9];
    const file = path.join(dir, 'djpeg.jpg');
    writeFileSync(file, encodeCmykJpeg(photo(w, h, 3), w, h));
    // djpeg -verbose names the markers it reads; any decoding problem makes it exit non-zero or warn.
    const res = execFileSync('sh', ['-c', `djpeg -verbose -outfile ${path.join(dir, 'out.pnm')} ${file} 2>&1`], { encoding: 'utf8' });
    expect(res).toMatch(/Adobe APP14 marker: version 100, flags 0x0000 0x0000, transform 0/);
    expect(res).toMatch(/Start Of Frame 0xc0: width=33, height=9, components=4/);
    expect(res).not.toMatch(/Corrupt|Premature|warning/i);
  });

  it('writes SOI, APP14 Adobe (transform 0), DQT, SOF0 4x1x1, DHT, SOS, stuffed data and EOI', () => {
    const [w, h] = [17, 15];
    const jpeg = encodeCmykJpeg(photo(w, h, 1), w, h, 75);
    const { list, scan, tail } = segments(jpeg);
    expect(list.map(([m]) => m)).toEqual([0xee, 0xdb, 0xc0, 0xc4, 0xda]);
    const body = (m: number) => list.find(([k]) => k === m)![1];
    expect(Buffer.from(body(0xee).subarray(0, 5)).toString('latin1')).toBe('Adobe');
    expect(body(0xee)[11]).toBe(0);
    // DQT: one 8-bit table in zigzag order, first the DC step, then (0,1), (1,0), (2,0), (1,1) ...
    const q = quantTable(75);
    const dqt = body(0xdb);
    expect(dqt.length).toBe(65);
    expect(Array.from(dqt.subarray(1, 6))).toEqual([q[0], q[1], q[8], q[16], q[9]]);
    expect(Array.from(body(0xc0))).toEqual([8, 0, h, 0, w, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);
    expect(Array.from(body(0xda))).toEqual([4, 1, 0, 2, 0, 3, 0, 4, 0, 0, 63, 0]);
    expect(Array.from(tail)).toEqual([0xff, 0xd9]);
    // In the entropy-coded data every 0xFF is followed by a stuffed 0x00.
    for (let i = 0; i < scan.length; i++) if (scan[i] === 0xff) expect(scan[i + 1]).toBe(0);
  });

  it('stuffs 0xFF bytes: flat full-ink data encodes to many 0xFF bytes, and still decodes exactly', () => {
    const [w, h] = [64, 64];
    const src = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) src.set([i % 2 ? 255 : 0, 255, 0, (i >> 6) % 2 ? 255 : 0], i * 4);
    const jpeg = encodeCmykJpeg(src, w, h, 100);
    const { scan } = segments(jpeg);
    let stuffed = 0;
    for (let i = 0; i < scan.length - 1; i++) if (scan[i] === 0xff && scan[i + 1] === 0) stuffed++;
    expect(stuffed).toBeGreaterThan(0);
    expect(psnr(decodeWithPillow(jpeg).data, src)).toBeGreaterThan(30);
  });

  it('trades size for fidelity with quality, and handles 1x1 and 8x8-exact images', () => {
    const [w, h] = [96, 64];
    const src = photo(w, h, 11);
    const lo = encodeCmykJpeg(src, w, h, 40);
    const hi = encodeCmykJpeg(src, w, h, 95);
    expect(lo.length).toBeLessThan(hi.length);
    const pLo = psnr(decodeWithPillow(lo).data, src);
    const pHi = psnr(decodeWithPillow(hi).data, src);
    expect(pHi).toBeGreaterThan(pLo + 3);
    expect(pLo).toBeGreaterThan(28);
    const one = decodeWithPillow(encodeCmykJpeg(new Uint8Array([10, 200, 90, 40]), 1, 1));
    expect([one.width, one.height]).toEqual([1, 1]);
    expect(Array.from(one.data).every((v, i) => Math.abs(v - ([10, 200, 90, 40][i] as number)) <= 3)).toBe(true);
  });

  it('refuses bad sizes, data of the wrong length and a quality out of range', () => {
    expect(() => encodeCmykJpeg(new Uint8Array(0), 0, 1)).toThrow(JpegEncodeError);
    expect(() => encodeCmykJpeg(new Uint8Array(16), 70000, 1)).toThrow(/1 to 65535 pixels/);
    expect(() => encodeCmykJpeg(new Uint8Array(15), 2, 2)).toThrow(/15 bytes does not match 2 × 2 × 4 = 16/);
    expect(() => encodeCmykJpeg(new Uint8Array(16), 2, 2, 0)).toThrow(/quality must be 1 to 100/);
  });
});
