// Offline OCR: reads back text in an image (what the model painted, or what our renderer drew in
// tests). PaddleOCR PP-OCRv4 (Chinese + English) from @gutenye/ocr-node on onnxruntime-node.
//
// What it reads reliably (measured on Chromium screenshots of Noto Sans/Serif CJK SC, 24 mixed
// Chinese/English lines per setting):
// - Render at 16–48 px per em; 32 px is the sweet spot (all 24 lines exact at 16–48 px, regular
//   and bold). At 10–12 px isolated misreads start (a leading 一 dropped, 阖→阁), at 6–7 px most
//   lines fail. From 64 px up letters start to go wrong (Q→O), and from ~96 px the detector splits
//   lines into overlapping boxes and letters come back doubled ("jumps s 123").
// - Margin: text touching the image edge failed at 10 px, so readText adds its own border
//   (options.margin, 16 px); with it a tight crop reads as well as one with a 20 px margin.
// - Background: white, light grey, black, red-on-gold and grey-on-white all read the same.
//   Transparent pixels are read as black (the library drops alpha), so readText flattens the
//   image onto options.background first; otherwise dark text on a transparent PNG reads as "".
// - Spaces are not reliable: CJK spaces are dropped, Latin spaces come and go with box gaps
//   ("Festival2026"), so compare through normaliseOcr. Full-width letters, digits and brackets
//   come back as ASCII (Ａ１（ → A1( ); ASCII , ; : ! ? between Chinese characters come back
//   full-width; trailing punctuation can be dropped. A line whose confidence is under 0.5 is
//   dropped by the library, and boxes at the same height are merged into one line, joined by a space.
// - Timing (2 CPU cores): model load ~0.5 s; the first detect ~0.3–0.8 s (warm-up), then ~0.2 s
//   for a 450 × 140 px capture, growing with the pixel count (~1.5 s for a block of 128 px text).
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Ocr from '@gutenye/ocr-node';
import { createCanvas, loadImage } from '@napi-rs/canvas';

export interface OcrLine {
  text: string;
  /** Mean per-character confidence, 0–1. */
  score: number;
  /** Four corners (top-left, top-right, bottom-right, bottom-left) in the input PNG's pixels. */
  box: number[][];
}

export interface ReadTextOptions {
  /** Fills transparent pixels and the added border. Default: the image's top-left pixel if opaque, else white. */
  background?: string;
  /** Border added on every side before detection, in px (default 16); boxes are reported without it. */
  margin?: number;
  /** Drops lines scored below this (default 0; the library already drops lines under 0.5). */
  minScore?: number;
}

interface RawLine {
  text: string;
  mean: number;
  box?: number[][];
}
interface Engine {
  detect(imagePath: string): Promise<RawLine[]>;
}

let engine: Promise<Engine> | null = null;

/** The one model instance of this process (vitest runs each test file in its own worker, which loads its own). */
function ocrEngine(): Promise<Engine> {
  engine ??= (Ocr.create() as Promise<Engine>).catch((e: unknown) => {
    engine = null; // let a later call retry
    throw e;
  });
  return engine;
}

/**
 * Prepares the image as the detector wants it: opaque, and a multiple of 32 px each way. The
 * library itself would letterbox other sizes with black bars and rescale, which shifts the boxes.
 */
async function prepare(png: Uint8Array, opts: ReadTextOptions): Promise<{ bytes: Buffer; margin: number; width: number; height: number }> {
  const img = await loadImage(Buffer.from(png));
  const margin = Math.max(0, Math.round(opts.margin ?? 16));
  let background = opts.background;
  if (!background) {
    const probe = createCanvas(1, 1).getContext('2d');
    probe.drawImage(img, 0, 0);
    const [r, g, b, a] = probe.getImageData(0, 0, 1, 1).data;
    background = a === 255 ? `rgb(${r}, ${g}, ${b})` : '#ffffff';
  }
  const w = Math.ceil((img.width + 2 * margin) / 32) * 32;
  const h = Math.ceil((img.height + 2 * margin) / 32) * 32;
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, w, h);
  ctx.drawImage(img, margin, margin);
  return { bytes: await canvas.encode('png'), margin, width: img.width, height: img.height };
}

/** Text lines in a PNG, top to bottom then left to right, and all of them joined by newlines. */
export async function readText(png: Uint8Array | Buffer, opts: ReadTextOptions = {}): Promise<{ lines: OcrLine[]; text: string }> {
  const [ocr, input] = await Promise.all([ocrEngine(), prepare(png, opts)]);
  // detect() takes a path (its README and types); a Buffer happens to work too, through sharp.
  const file = path.join(os.tmpdir(), `poster-ocr-${process.pid}-${randomUUID()}.png`);
  let raw: RawLine[];
  try {
    await writeFile(file, input.bytes);
    raw = await ocr.detect(file);
  } finally {
    await rm(file, { force: true });
  }
  const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));
  const lines: OcrLine[] = raw
    .filter((r) => r.mean >= (opts.minScore ?? 0))
    .map((r) => ({
      text: r.text,
      score: r.mean,
      box: (r.box ?? []).map(([x = 0, y = 0]) => [clamp(x - input.margin, input.width), clamp(y - input.margin, input.height)]),
    }));
  const ys = (l: OcrLine) => l.box.map((p) => p[1] ?? 0);
  const top = (l: OcrLine) => Math.min(...ys(l));
  const bottom = (l: OcrLine) => Math.max(...ys(l));
  const left = (l: OcrLine) => Math.min(...l.box.map((p) => p[0] ?? 0));
  lines.sort((a, b) => {
    // The same row when their vertical centres are within half the shorter line's height.
    const dy = (top(a) + bottom(a) - top(b) - bottom(b)) / 2;
    const half = Math.min(bottom(a) - top(a), bottom(b) - top(b)) / 2;
    return Math.abs(dy) > half ? dy : left(a) - left(b);
  });
  return { lines, text: lines.map((l) => l.text).join('\n') };
}
