// Character classes for Chinese/English setting: what is Han (set with the CJK face, upright
// in vertical text), which full-width punctuation compresses, and which characters may not
// start or end a line at each kinsoku level (W3C clreq §3.1.7 and GB/T 15834).
import type { KinsokuLevel } from './types';

export function isCjk(cp: number): boolean {
  return (
    (cp >= 0x2e80 && cp <= 0x2fdf) || // radicals
    (cp >= 0x3000 && cp <= 0x303f) || // CJK symbols and punctuation
    (cp >= 0x3040 && cp <= 0x30ff) || // kana
    (cp >= 0x3100 && cp <= 0x312f) || // bopomofo
    (cp >= 0x3190 && cp <= 0x31ff) ||
    (cp >= 0x3200 && cp <= 0x33ff) || // enclosed, compatibility
    (cp >= 0x3400 && cp <= 0x4dbf) || // extension A
    (cp >= 0x4e00 && cp <= 0x9fff) || // unified ideographs
    (cp >= 0xac00 && cp <= 0xd7af) || // hangul
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe10 && cp <= 0xfe1f) || // vertical forms
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) || // full-width forms
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3ffff)
  );
}

/** Han ideographs (for Han–Latin spacing; punctuation does not get the quarter em). */
export function isHan(cp: number): boolean {
  return (
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x20000 && cp <= 0x3ffff) ||
    (cp >= 0x3040 && cp <= 0x30ff)
  );
}

export const isLatinLetterOrDigit = (cp: number): boolean =>
  (cp >= 0x30 && cp <= 0x39) ||
  (cp >= 0x41 && cp <= 0x5a) ||
  (cp >= 0x61 && cp <= 0x7a) ||
  (cp >= 0xc0 && cp <= 0x24f) ||
  (cp >= 0x370 && cp <= 0x3ff) ||
  (cp >= 0x400 && cp <= 0x4ff);

export const isDigit = (cp: number): boolean => cp >= 0x30 && cp <= 0x39;
export const isSpace = (cp: number): boolean => cp === 0x20 || cp === 0x09 || cp === 0xa0 || cp === 0x3000;

/** Punctuation shared by both scripts whose face follows the neighbouring text. */
const AMBIGUOUS = new Set([0x2018, 0x2019, 0x201c, 0x201d, 0x2014, 0x2026, 0xb7, 0x2027, 0x2e3a]);
export const isAmbiguous = (cp: number): boolean => AMBIGUOUS.has(cp);

/**
 * Full-width punctuation with half an em of blank: "opening" marks carry it before the ink,
 * "closing" marks after (GB/T 15834, Simplified Chinese glyph positions).
 */
const OPENING = new Set([...'（［｛〔〈《「『【〖〘〚“‘'].map((c) => c.codePointAt(0) as number));
// ！ and ？ sit in the left half of the em in Simplified Chinese faces, like ， and 。.
const CLOSING = new Set([...'）］｝〕〉》」』】〗〙〛”’，。、；：！？'].map((c) => c.codePointAt(0) as number));
export type PunctKind = 'opening' | 'closing' | null;
export function punctKind(cp: number): PunctKind {
  if (OPENING.has(cp)) return 'opening';
  if (CLOSING.has(cp)) return 'closing';
  return null;
}

const cps = (s: string) => new Set([...s].map((c) => c.codePointAt(0) as number));

// Characters that may not start a line (行首禁则) and may not end one (行尾禁则), per level.
const NO_START_BASIC = cps('。，、；：？！）］｝〕〉》」』】〗〙〛”’.,;:?!)]}%‰℃');
const NO_START_GB = cps('·・‧〃々〆ゝゞヽヾ～—…⋯‥・');
const NO_START_STRICT = cps('ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿー〻');
const NO_END_BASIC = cps('（［｛〔〈《「『【〖〘〚“‘([{');
const NO_END_GB = cps('¥￥$＄£￡€#＃');

export interface Kinsoku {
  noStart(cp: number): boolean;
  noEnd(cp: number): boolean;
}

export function kinsoku(level: KinsokuLevel): Kinsoku {
  if (level === 'none') return { noStart: () => false, noEnd: () => false };
  const gb = level === 'gb' || level === 'strict';
  const strict = level === 'strict';
  return {
    noStart: (cp) => NO_START_BASIC.has(cp) || (gb && NO_START_GB.has(cp)) || (strict && NO_START_STRICT.has(cp)),
    noEnd: (cp) => NO_END_BASIC.has(cp) || (gb && NO_END_GB.has(cp)),
  };
}

/** Marks that are never split when doubled (—— and ……). */
export const isInseparablePair = (a: number, b: number): boolean => a === b && (a === 0x2014 || a === 0x2026 || a === 0x22ef);

/** Units that stay on the line of the number before them ("100 元", "5 kg", "30%"). */
const HAN_UNITS = cps('元角分年月日时秒个件米克吨斤两升号层楼岁次位名人折倍度万亿千百');
const LATIN_UNITS = new Set([
  '%',
  '‰',
  '℃',
  '℉',
  'kg',
  'g',
  'mg',
  't',
  'km',
  'm',
  'cm',
  'mm',
  'ml',
  'l',
  'L',
  'h',
  'min',
  's',
  'ms',
  'px',
  'pt',
  'dpi',
  'MB',
  'GB',
  'TB',
  'kB',
  'KB',
  'Hz',
  'kHz',
  'MHz',
  'GHz',
  'W',
  'kW',
  'V',
  'A',
  'mAh',
  'K',
]);
export const isHanUnit = (cp: number): boolean => HAN_UNITS.has(cp);
export const isLatinUnit = (word: string): boolean => LATIN_UNITS.has(word);
