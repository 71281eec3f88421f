// Parsing untrusted documents (errors name the bad field, versions, migrations, hostile
// nesting) and reading image headers (PNG, JPEG, WebP) without decoding pixels.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createDocument, createPage } from '../../core/document/factory';
import { DOCUMENT_FORMAT, DOCUMENT_VERSION, type Element, MAX_GROUP_DEPTH } from '../../core/document/schema';
import { type DocumentError, type Migrations, migrateDocument, parseDocument, parseDocumentJson } from '../../core/document/validate';
import { ImageFormatError, readImageInfo } from '../../core/image-info';
import { docWith, groupOf, rect, rejects, testImage, text } from '../helpers/fixtures';
import { crc32, encodePng, gradientPng } from '../helpers/png';

// biome-ignore lint/suspicious/noExplicitAny: tests poke at raw JSON on purpose
type Raw = any;

/** A valid document (as plain JSON) with a shape, a text and an image, for breaking one field at a time. */
function validRaw(): Raw {
  const img = testImage(4, 3, 'photo.png');
  const doc = docWith([rect('el:a', 1, 2, 30, 40), text('el:b', 5, 5, 50, 10)]);
  doc.assets = { [img.asset.sha256]: img.asset };
  doc.pages[0]!.elements.push({ ...rect('el:c', 0, 0, 4, 3), type: 'image', asset: img.asset.sha256 } as Raw);
  const raw = JSON.parse(JSON.stringify(doc));
  delete raw.pages[0].elements[2].shape;
  for (const k of ['fill', 'stroke', 'strokeWidth', 'cornerRadius']) delete raw.pages[0].elements[2][k];
  return raw;
}

describe('parseDocument', () => {
  it('accepts a new document and a document with every element type', () => {
    const doc = createDocument('Spring sale 春季特卖');
    expect(parseDocument(JSON.parse(JSON.stringify(doc)))).toEqual(doc);
    const raw = validRaw();
    expect(parseDocument(raw)).toEqual(raw);
  });

  const bad: [string, (d: Raw) => void, string, RegExp?][] = [
    ['a negative width', (d) => (d.pages[0].elements[0].width = -5), 'pages[0].elements[0].width'],
    ['a zero text size', (d) => (d.pages[0].elements[1].style.fontSize = 0), 'pages[0].elements[1].style.fontSize'],
    ['a wrong colour string', (d) => (d.pages[0].elements[1].style.color = 'red'), 'pages[0].elements[1].style.color', /colour/],
    ['a wrong page background', (d) => (d.pages[0].background = '#12345g'), 'pages[0].background', /colour/],
    ['an unknown element type', (d) => (d.pages[0].elements[0].type = 'video'), 'pages[0].elements[0].type'],
    [
      'an image referring to an unlisted asset',
      (d) => (d.pages[0].elements[2].asset = 'f'.repeat(64)),
      'pages[0].elements[2].asset',
      /asset the document does not list/,
    ],
    ['duplicate element ids', (d) => (d.pages[0].elements[1].id = 'el:a'), 'pages[0].elements[1].id', /duplicate id el:a/],
    ['an extra key on an element', (d) => (d.pages[0].elements[0].script = 'alert(1)'), 'pages[0].elements[0]', /script/],
    ['an extra key on the document', (d) => (d.extra = true), '(document)', /extra/],
    ['missing pages', (d) => delete d.pages, 'pages'],
    ['no pages at all', (d) => (d.pages = []), 'pages'],
    ['a NaN position', (d) => (d.pages[0].elements[0].x = Number.NaN), 'pages[0].elements[0].x'],
    ['a bad element id', (d) => (d.pages[0].elements[0].id = 'a'), 'pages[0].elements[0].id'],
    ['an asset whose key is not its hash', (d) => ((Object.values(d.assets)[0] as Raw).sha256 = 'a'.repeat(64)), 'assets.'],
  ];
  for (const [name, mutate, path, message] of bad) {
    it(`rejects ${name}, naming ${path}`, () => {
      const raw = validRaw();
      mutate(raw);
      const err = rejects(raw);
      expect(err.kind).toBe('invalid');
      expect(err.path?.startsWith(path)).toBe(true);
      expect(err.message).toContain(path);
      if (message) expect(err.message).toMatch(message);
    });
  }

  it('rejects an id used twice across pages and inside groups', () => {
    const raw = validRaw();
    raw.pages.push({
      ...JSON.parse(JSON.stringify(createPage(100, 100, 'Page 2'))),
      elements: [groupOf('el:g', { x: 0, y: 0, width: 5, height: 5 }, [rect('el:a', 0, 0, 1, 1)])],
    });
    const err = rejects(raw);
    expect(err.path).toBe('pages[1].elements[0].children[0].id');
  });

  it('a version newer than this app reads is refused as newer-version', () => {
    const raw = validRaw();
    raw.version = DOCUMENT_VERSION + 1;
    const err = rejects(raw);
    expect(err.kind).toBe('newer-version');
    expect(err.message).toMatch(/newer version/);
  });

  it('non-documents are refused as not-a-document', () => {
    for (const raw of [null, 42, 'text', [], { format: 'something-else', version: 1 }]) {
      expect(rejects(raw).kind).toBe('not-a-document');
    }
    expect(rejects({ format: DOCUMENT_FORMAT, version: 0 }).path).toBe('version');
    expect(rejects({ format: DOCUMENT_FORMAT, version: 1.5 }).path).toBe('version');
  });

  it('parseDocumentJson reports text that is not JSON', () => {
    expect(() => parseDocumentJson('{"format": ')).toThrow(/not valid JSON/);
  });
});

describe('migrations', () => {
  it('runs each step in order from the file version up to the current one', () => {
    const calls: number[] = [];
    const migrations: Migrations = {
      1: (d) => {
        calls.push(d.version as number);
        return { ...d, title: `${d.title} → v2`, addedInV2: true };
      },
      2: (d) => {
        calls.push(d.version as number);
        expect(d.addedInV2).toBe(true);
        return { ...d, title: `${d.title} → v3` };
      },
      3: () => {
        throw new Error('must not run: 3 is current');
      },
    };
    const input = { format: DOCUMENT_FORMAT, version: 1, title: 'Old' };
    const out = migrateDocument(input, migrations, 3);
    expect(calls).toEqual([1, 2]);
    expect(out).toEqual({ format: DOCUMENT_FORMAT, version: 3, title: 'Old → v2 → v3', addedInV2: true });
    expect(input.version).toBe(1);
  });

  it('starts from the file version, and a missing step is an error', () => {
    const migrations: Migrations = { 2: (d) => ({ ...d, step2: true }) };
    expect(migrateDocument({ format: DOCUMENT_FORMAT, version: 2 }, migrations, 3)).toEqual({
      format: DOCUMENT_FORMAT,
      version: 3,
      step2: true,
    });
    expect(() => migrateDocument({ format: DOCUMENT_FORMAT, version: 1 }, migrations, 3)).toThrow(
      /No migration from document format 1 to 2/,
    );
    const newer = (() => {
      try {
        migrateDocument({ format: DOCUMENT_FORMAT, version: 4 }, migrations, 3);
      } catch (e) {
        return e as DocumentError;
      }
    })();
    expect(newer?.kind).toBe('newer-version');
  });

  it('a current-version document passes through unchanged', () => {
    const raw = validRaw();
    expect(migrateDocument(raw)).toEqual(raw);
  });
});

describe('nested groups', () => {
  const nested = (levels: number): Raw => {
    let el: Element = rect('el:leaf', 1, 1, 2, 2);
    for (let i = 0; i < levels; i++) el = groupOf(`el:g${i}`, { x: 0, y: 0, width: 10, height: 10 }, [el]);
    const doc = createDocument();
    doc.pages[0]!.elements = [el];
    return doc;
  };

  it('200 and 20000 levels are rejected with a DocumentError, not a stack overflow', () => {
    for (const levels of [200, 20_000]) {
      const err = rejects(nested(levels));
      expect(err.kind).toBe('invalid');
      expect(err.message).toMatch(/nested too deeply/);
    }
  });

  it(`${MAX_GROUP_DEPTH} levels are accepted`, () => {
    expect(() => parseDocument(nested(MAX_GROUP_DEPTH))).not.toThrow();
  });

  it(`${MAX_GROUP_DEPTH + 1} levels are rejected (the stated limit is ${MAX_GROUP_DEPTH})`, () => {
    expect(rejects(nested(MAX_GROUP_DEPTH + 1)).message).toMatch(/nested too deeply/);
  });
});

// ---- image headers ----

const u16be = (n: number) => [(n >> 8) & 255, n & 255];
const u16le = (n: number) => [n & 255, (n >> 8) & 255];
const u24le = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255];
const u32le = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

function jpegHeader(width: number, height: number, sof = 0xc0): Uint8Array {
  const app0 = [0xff, 0xe0, ...u16be(16), ...ascii('JFIF'), 0, 1, 1, 0, ...u16be(72), ...u16be(72), 0, 0];
  const dqt = [0xff, 0xdb, ...u16be(67), 0, ...new Array(64).fill(1)];
  // A DHT segment (FF C4) sits in the SOF marker range but carries no frame size.
  const dht = [0xff, 0xc4, ...u16be(2 + 17 + 1), 0, 1, ...new Array(15).fill(0), 5];
  const sofSeg = [0xff, sof, ...u16be(17), 8, ...u16be(height), ...u16be(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  return Uint8Array.from([0xff, 0xd8, ...app0, ...dqt, ...dht, ...sofSeg, 0xff, 0xd9]);
}

function riff(chunk: number[]): Uint8Array {
  const body = [...ascii('WEBP'), ...chunk];
  while (body.length < 26) body.push(0);
  return Uint8Array.from([...ascii('RIFF'), ...u32le(body.length), ...body]);
}

const webpVp8x = (w: number, h: number) => riff([...ascii('VP8X'), ...u32le(10), 0x10, 0, 0, 0, ...u24le(w - 1), ...u24le(h - 1)]);
const webpVp8l = (w: number, h: number) => {
  const bits = ((w - 1) | ((h - 1) << 14) | (1 << 28)) >>> 0;
  return riff([...ascii('VP8L'), ...u32le(10), 0x2f, ...u32le(bits), 0, 0, 0, 0, 0]);
};
const webpVp8 = (w: number, h: number) =>
  riff([...ascii('VP8 '), ...u32le(10), 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, ...u16le(w), ...u16le(h)]);

describe('the test PNG encoder', () => {
  it('computes standard CRC-32 and writes pixels that inflate back', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const rgba = Uint8Array.from({ length: 2 * 2 * 4 }, (_, i) => i * 9);
    const png = encodePng(2, 2, rgba);
    const idatAt = Buffer.from(png).indexOf('IDAT');
    const len = new DataView(png.buffer).getUint32(idatAt - 4);
    const raw = inflateSync(png.subarray(idatAt + 4, idatAt + 4 + len));
    expect([...raw]).toEqual([0, ...rgba.subarray(0, 8), 0, ...rgba.subarray(8)]);
    // every chunk's CRC checks out
    for (let o = 8; o < png.length; ) {
      const n = new DataView(png.buffer).getUint32(o);
      expect(new DataView(png.buffer).getUint32(o + 8 + n)).toBe(crc32(png.subarray(o + 4, o + 8 + n)));
      o += 12 + n;
    }
  });
});

describe('readImageInfo', () => {
  it('reads size and type from a real PNG', () => {
    expect(readImageInfo(gradientPng(37, 19))).toEqual({ mime: 'image/png', width: 37, height: 19 });
    expect(readImageInfo(gradientPng(1, 300))).toEqual({ mime: 'image/png', width: 1, height: 300 });
  });

  it('reads size from a JPEG frame header, skipping APP0, DQT and DHT segments', () => {
    expect(readImageInfo(jpegHeader(640, 480))).toEqual({ mime: 'image/jpeg', width: 640, height: 480 });
    expect(readImageInfo(jpegHeader(3000, 4000, 0xc2))).toEqual({ mime: 'image/jpeg', width: 3000, height: 4000 });
  });

  it('reads size from WebP VP8X, VP8L and VP8 headers', () => {
    expect(readImageInfo(webpVp8x(1920, 1080))).toEqual({ mime: 'image/webp', width: 1920, height: 1080 });
    expect(readImageInfo(webpVp8x(20_000, 3))).toEqual({ mime: 'image/webp', width: 20_000, height: 3 });
    expect(readImageInfo(webpVp8l(300, 200))).toEqual({ mime: 'image/webp', width: 300, height: 200 });
    expect(readImageInfo(webpVp8l(16384, 1))).toEqual({ mime: 'image/webp', width: 16384, height: 1 });
    expect(readImageInfo(webpVp8(800, 600))).toEqual({ mime: 'image/webp', width: 800, height: 600 });
  });

  it('rejects text, truncated and empty images with ImageFormatError', () => {
    const png = gradientPng(8, 8);
    const cases: [string, Uint8Array, RegExp][] = [
      ['text file', new TextEncoder().encode('Hello, this is a text file.\n'), /Not a PNG, JPEG or WebP/],
      ['empty file', new Uint8Array(0), /Not a PNG, JPEG or WebP/],
      ['truncated PNG', png.subarray(0, 20), /truncated/],
      ['PNG signature only', png.subarray(0, 8), /truncated/],
      ['truncated JPEG', jpegHeader(10, 10).subarray(0, 30), /truncated/],
      ['truncated WebP', webpVp8x(10, 10).subarray(0, 20), /truncated/],
      ['zero-width JPEG', jpegHeader(0, 10), /zero width/],
      ['WebP with an unknown chunk', riff([...ascii('XXXX'), 0, 0, 0, 0]), /unknown first chunk/],
    ];
    for (const [name, bytes, message] of cases) {
      expect(() => readImageInfo(bytes), name).toThrow(ImageFormatError);
      expect(() => readImageInfo(bytes), name).toThrow(message);
    }
  });

  it('rejects images over 100000 px a side', () => {
    const huge = gradientPng(2, 2);
    new DataView(huge.buffer).setUint32(16, 200_000);
    expect(() => readImageInfo(huge)).toThrow(/limit is 100000/);
  });
});

describe('migration from document format 1', () => {
  const v1Text = (id: string, text: string) => ({
    id,
    name: 'Text',
    x: 10,
    y: 20,
    width: 100,
    height: 30,
    rotation: 0,
    opacity: 1,
    locked: false,
    hidden: false,
    type: 'text',
    text,
    fontSize: 24,
    color: '#112233',
    align: 'center',
  });
  const v1 = {
    format: DOCUMENT_FORMAT,
    version: 1,
    title: 'Old poster',
    assets: {},
    pages: [
      {
        id: 'page:p1',
        name: 'Page 1',
        width: 297,
        height: 420,
        bleed: 3,
        safeMargin: 5,
        background: '#ffffff',
        elements: [
          v1Text('el:t1', '春节快乐'),
          {
            id: 'el:g1',
            name: 'Group',
            x: 0,
            y: 0,
            width: 50,
            height: 50,
            rotation: 0,
            opacity: 1,
            locked: false,
            hidden: false,
            type: 'group',
            children: [v1Text('el:t2', 'Happy New Year')],
          },
        ],
      },
    ],
  };

  it('turns plain-text frames (also inside groups) into styled runs, keeping size, colour and alignment', () => {
    const doc = parseDocument(structuredClone(v1));
    expect(doc.version).toBe(DOCUMENT_VERSION);
    const t1 = doc.pages[0]!.elements[0]!;
    expect(t1).toMatchObject({
      type: 'text',
      runs: [{ text: '春节快乐' }],
      style: { fontSize: 24, color: '#112233', align: 'center' },
      secondary: null,
    });
    const g = doc.pages[0]!.elements[1]!;
    expect(g.type === 'group' && g.children[0]).toMatchObject({ runs: [{ text: 'Happy New Year' }], style: { fontSize: 24 } });
  });
});
