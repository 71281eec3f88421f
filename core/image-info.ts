// Reads the format and pixel size from an image file's header (PNG, JPEG, WebP) without
// decoding it, so imports can be checked and placed before any pixels are touched.
import type { ImageMime } from './document/schema';

export interface ImageInfo {
  mime: ImageMime;
  width: number;
  height: number;
}

export class ImageFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageFormatError';
  }
}

const u16be = (b: Uint8Array, o: number) => ((b[o] as number) << 8) | (b[o + 1] as number);
const u32be = (b: Uint8Array, o: number) => (u16be(b, o) * 65536 + u16be(b, o + 2)) >>> 0;
const u16le = (b: Uint8Array, o: number) => (b[o] as number) | ((b[o + 1] as number) << 8);
const u24le = (b: Uint8Array, o: number) => u16le(b, o) | ((b[o + 2] as number) << 16);
const ascii = (b: Uint8Array, o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));

function png(b: Uint8Array): ImageInfo {
  if (b.length < 33 || ascii(b, 12, 4) !== 'IHDR') throw new ImageFormatError('PNG file is truncated or has no header chunk.');
  return { mime: 'image/png', width: u32be(b, 16), height: u32be(b, 20) };
}

function jpeg(b: Uint8Array): ImageInfo {
  let o = 2;
  while (o + 9 < b.length) {
    if (b[o] !== 0xff) throw new ImageFormatError('JPEG file is corrupt (bad marker).');
    const marker = b[o + 1] as number;
    if (marker === 0xff) {
      o += 1;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      o += 2;
      continue;
    }
    const len = u16be(b, o + 2);
    // SOF0..SOF15 except DHT (c4), JPG (c8) and DAC (cc) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { mime: 'image/jpeg', height: u16be(b, o + 5), width: u16be(b, o + 7) };
    }
    if (marker === 0xda || len < 2) break;
    o += 2 + len;
  }
  throw new ImageFormatError('JPEG file is truncated (no frame header found).');
}

function webp(b: Uint8Array): ImageInfo {
  if (b.length < 30) throw new ImageFormatError('WebP file is truncated.');
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ') {
    return { mime: 'image/webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    const bits = (b[21] as number) | ((b[22] as number) << 8) | ((b[23] as number) << 16) | ((b[24] as number) << 24);
    return { mime: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    return { mime: 'image/webp', width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  }
  throw new ImageFormatError(`WebP file has an unknown first chunk "${chunk}".`);
}

export function readImageInfo(bytes: Uint8Array): ImageInfo {
  let info: ImageInfo;
  if (bytes.length >= 8 && u32be(bytes, 0) === 0x89504e47 && u32be(bytes, 4) === 0x0d0a1a0a) info = png(bytes);
  else if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) info = jpeg(bytes);
  else if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') info = webp(bytes);
  else throw new ImageFormatError('Not a PNG, JPEG or WebP image.');
  if (info.width < 1 || info.height < 1) throw new ImageFormatError('Image has a zero width or height.');
  if (info.width > 100_000 || info.height > 100_000) {
    throw new ImageFormatError(`Image is ${info.width}×${info.height} px; the limit is 100000 px a side.`);
  }
  return info;
}
