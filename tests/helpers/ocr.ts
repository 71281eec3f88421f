// Offline OCR for tests (PaddleOCR PP-OCRv4 models from @gutenye/ocr-node on onnxruntime-node):
// reads back the text our renderer drew, so tests check what a reader would see.
// Reliable input: dark text of at least ~28 px per em on a white background with a margin.
import Ocr from '@gutenye/ocr-node';

let instance: Promise<Awaited<ReturnType<typeof Ocr.create>>> | null = null;

export interface OcrLine {
  text: string;
  score: number;
  box: number[][];
}

/** Text lines in a PNG, top to bottom then left to right, and all of it joined by newlines. */
export async function readText(png: Uint8Array): Promise<{ lines: OcrLine[]; text: string }> {
  instance ??= Ocr.create();
  const ocr = await instance;
  const raw = (await ocr.detect(Buffer.from(png) as unknown as string)) as { text: string; mean: number; box?: number[][] }[];
  const lines = raw.map((r) => ({ text: r.text, score: r.mean, box: r.box ?? [] }));
  const top = (l: OcrLine) => l.box[0]?.[1] ?? 0;
  const left = (l: OcrLine) => l.box[0]?.[0] ?? 0;
  lines.sort((a, b) => (Math.abs(top(a) - top(b)) > 8 ? top(a) - top(b) : left(a) - left(b)));
  return { lines, text: lines.map((l) => l.text).join('\n') };
}

/** Whitespace-insensitive form for comparing OCR output with the text that was set. */
export const normaliseOcr = (s: string): string => s.replace(/\s+/g, '');

/** 1 − edit distance / longer length, over code points. */
export function charAccuracy(expected: string, actual: string): number {
  const a = [...expected];
  const b = [...actual];
  if (a.length === 0 && b.length === 0) return 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return 1 - (prev[b.length] as number) / Math.max(a.length, b.length);
}
