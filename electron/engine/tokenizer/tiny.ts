/**
 * A tiny Qwen2-style tokenizer folder for tests and tiny models: vocab.json (the 256 byte-level
 * symbols, then merged tokens), merges.txt and tokenizer_config.json with <|endoftext|>,
 * <|im_start|> and <|im_end|> right after the vocabulary. Merges cover common English letter
 * pairs, frequent Chinese characters of poster prompts, and any extra words; every other
 * character falls back to its bytes, so any UTF-8 text round-trips.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byteSymbols, toByteLevel } from './bytes.js';

/** Frequent English letter pairs; each becomes one token (also after a space, e.g. " t"). */
export const TINY_LETTER_PAIRS = [
  'th',
  'he',
  'in',
  'er',
  'an',
  're',
  'on',
  'at',
  'en',
  'nd',
  'ti',
  'es',
  'or',
  'te',
  'of',
  'ed',
  'is',
  'it',
  'al',
  'ar',
  'st',
  'to',
  'nt',
  'ng',
  'se',
  'ha',
  'ou',
  'le',
  've',
  'co',
  'de',
  'ro',
  'ri',
  'ra',
  'ce',
  'li',
  'ch',
  'll',
  'ge',
  'ol',
  'ue',
  'ck',
  'ow',
  'ot',
  'ad',
  'ur',
  'ig',
] as const;

/** Letters that get a " x" (space + letter) merge, as frequent word starts. */
export const TINY_WORD_STARTS = ['a', 'b', 'c', 'd', 'g', 'o', 'p', 'r', 's', 't', 'w'] as const;

/** Frequent Chinese characters of poster prompts (colours, background, gradient, dots, stripes...). */
export const TINY_CHINESE = [
  '红',
  '蓝',
  '金',
  '绿',
  '黑',
  '白',
  '黄',
  '紫',
  '色',
  '背',
  '景',
  '渐',
  '变',
  '圆',
  '点',
  '条',
  '纹',
  '海',
  '报',
  '字',
  '大',
  '小',
  '的',
  '和',
] as const;

export const TINY_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

/** Splits `symbols` with the merges so far, lowest rank first (leftmost on ties), as BPE does. */
function segment(symbols: string[], ranks: Map<string, number>): string[] {
  const parts = [...symbols];
  for (;;) {
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = ranks.get(`${parts[i]} ${parts[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) return parts;
    parts.splice(best, 2, `${parts[best]}${parts[best + 1]}`);
  }
}

class TinyBuilder {
  readonly vocab: Record<string, number> = {};
  readonly merges: string[] = [];
  private readonly ranks = new Map<string, number>();
  private size = 0;

  constructor() {
    // Byte symbols first, in code point order (printable bytes, then the remapped ones).
    const symbols = [...byteSymbols()].sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number));
    for (const s of symbols) this.vocab[s] = this.size++;
  }

  /** Adds the merges that make `text` (its byte-level form) a single token. */
  addWhole(text: string): void {
    const bytes = Array.from(toByteLevel(text));
    let parts = segment(bytes, this.ranks);
    while (parts.length > 1) {
      const [a, b] = parts as [string, string];
      const merge = `${a} ${b}`;
      this.ranks.set(merge, this.merges.length);
      this.merges.push(merge);
      if (!Object.hasOwn(this.vocab, a + b)) this.vocab[a + b] = this.size++;
      parts = segment(bytes, this.ranks);
    }
  }

  get vocabSize(): number {
    return this.size;
  }
}

export interface TinyTokenizerOptions {
  /** More strings to make single tokens (words also get their " word" form when they start with a letter). */
  extraWords?: string[];
}

/** Writes the tiny tokenizer into `dir` (created if needed); returns the total number of ids. */
export function writeTinyTokenizer(dir: string, opts: TinyTokenizerOptions = {}): number {
  const b = new TinyBuilder();
  for (const pair of TINY_LETTER_PAIRS) b.addWhole(pair);
  for (const letter of TINY_WORD_STARTS) b.addWhole(` ${letter}`);
  for (const ch of TINY_CHINESE) b.addWhole(ch);
  for (const word of opts.extraWords ?? []) {
    if (word === '') continue;
    b.addWhole(word);
    if (/^\p{L}/u.test(word)) b.addWhole(` ${word}`);
  }
  const first = b.vocabSize;
  const added: Record<string, Record<string, unknown>> = {};
  TINY_SPECIAL_TOKENS.forEach((content, i) => {
    added[String(first + i)] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(b.vocab));
  writeFileSync(join(dir, 'merges.txt'), `#version: 0.2\n${b.merges.join('\n')}\n`);
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify(
      {
        tokenizer_class: 'Qwen2Tokenizer',
        add_prefix_space: false,
        added_tokens_decoder: added,
        bos_token: null,
        eos_token: '<|im_end|>',
        pad_token: '<|endoftext|>',
        unk_token: null,
        errors: 'replace',
        clean_up_tokenization_spaces: false,
        split_special_tokens: false,
        model_max_length: 32768,
      },
      null,
      2,
    ),
  );
  return first + TINY_SPECIAL_TOKENS.length;
}
