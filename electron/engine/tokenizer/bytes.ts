/**
 * The byte-level alphabet of GPT-2-style BPE tokenizers (Qwen2 included): every byte gets one
 * visible unicode symbol. Printable Latin-1 bytes stand for themselves; the other bytes (controls,
 * space, soft hyphen, ...) take code points from U+0100 upwards, in byte order.
 */

function isPrintable(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

let alphabet: readonly string[] | undefined;

/** `byteSymbols()[b]` is the symbol of byte `b` (0..255). */
export function byteSymbols(): readonly string[] {
  if (!alphabet) {
    const out: string[] = [];
    let next = 0x100;
    for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(isPrintable(b) ? b : next++));
    alphabet = out;
  }
  return alphabet;
}

/** The byte-level form of a string: its UTF-8 bytes, each written as its symbol. */
export function toByteLevel(text: string): string {
  const symbols = byteSymbols();
  let out = '';
  for (const b of new TextEncoder().encode(text)) out += symbols[b];
  return out;
}
