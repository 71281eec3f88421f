// The text check of generated images: OCR what the model painted and compare it with the words
// the user asked it to paint (character accuracy, and where they differ).
import { charAccuracy, type DiffOp, diffChars, normaliseOcr } from '../../../core/text-diff.js';
import { type OcrLine, readText } from './ocr.js';

export interface TextCheck {
  /** What OCR read, lines joined by newlines. */
  read: string;
  /** 0..1 over the normalised texts. */
  accuracy: number;
  /** The normalised expected text against the normalised reading. */
  diff: DiffOp[];
  /** The lines read, with their boxes in the image's pixels (to put vector text where the painted text is). */
  lines: OcrLine[];
}

export async function checkPaintedText(png: Uint8Array, expected: string): Promise<TextCheck> {
  const { text, lines } = await readText(png);
  const want = normaliseOcr(expected);
  const got = normaliseOcr(text);
  return { read: text, accuracy: charAccuracy(want, got), diff: diffChars(want, got), lines };
}
