// Comparing the text a user asked for with the text OCR read back from an image.

/**
 * The form in which OCR output and the text that was set are compared; apply it to both.
 * - All whitespace goes (line breaks too): OCR drops CJK spaces and adds or drops Latin ones.
 * - Full-width ASCII variants U+FF01–FF5E become ASCII (Ａ→A, １→1, （→( ), as the model reads
 *   them either way; except the CJK sentence punctuation ，：；！？, which stays as written.
 */
export function normaliseOcr(s: string): string {
  return s
    .replace(/\s+/gu, '')
    .replace(/[\uff01-\uff5e]/gu, (c) => ('，：；！？'.includes(c) ? c : String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
}

function distanceTable(a: string[], b: string[]): number[][] {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d;
}

/** 1 − edit distance / longer length, over code points (1 when both are empty). */
export function charAccuracy(expected: string, actual: string): number {
  const a = [...expected];
  const b = [...actual];
  if (a.length === 0 && b.length === 0) return 1;
  const d = distanceTable(a, b);
  return 1 - ((d[a.length] as number[])[b.length] as number) / Math.max(a.length, b.length);
}

export type DiffOp = { op: 'same' | 'missing' | 'extra'; text: string } | { op: 'wrong'; text: string; read: string };

/** How the read text differs from the expected one, character by character (for highlighting). */
export function diffChars(expected: string, actual: string): DiffOp[] {
  const a = [...expected];
  const b = [...actual];
  const d = distanceTable(a, b);
  const ops: DiffOp[] = [];
  let i = a.length;
  let j = b.length;
  const at = (x: number, y: number) => (d[x] as number[])[y] as number;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && a[i - 1] === b[j - 1] && at(i, j) === at(i - 1, j - 1)) {
      ops.push({ op: 'same', text: a[--i] as string });
      j--;
    } else if (i > 0 && j > 0 && at(i, j) === at(i - 1, j - 1) + 1) {
      ops.push({ op: 'wrong', text: a[i - 1] as string, read: b[j - 1] as string });
      i--;
      j--;
    } else if (i > 0 && at(i, j) === at(i - 1, j) + 1) {
      ops.push({ op: 'missing', text: a[--i] as string });
    } else {
      ops.push({ op: 'extra', text: b[--j] as string });
    }
  }
  ops.reverse();
  // Merge runs of the same kind for a readable highlight.
  const merged: DiffOp[] = [];
  for (const o of ops) {
    const last = merged.at(-1);
    if (last && last.op === o.op) {
      last.text += o.text;
      if (last.op === 'wrong' && o.op === 'wrong') last.read += o.read;
    } else merged.push({ ...o });
  }
  return merged;
}
