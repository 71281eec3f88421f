/**
 * Builds the tokenizer.json of a Qwen2 tokenizer from the files of its "slow" form (vocab.json,
 * merges.txt, tokenizer_config.json, optional added_tokens.json), the way transformers converts a
 * Qwen2Tokenizer to a fast one: byte-level BPE, NFC, Qwen2's regex split then ByteLevel without
 * its own regex, ByteLevel decoding, added tokens matched whole.
 */
import {
  type AddedTokenSpec,
  addedTokens,
  checkByteSymbols,
  checkMergeLines,
  checkVocab,
  type Json,
  readJsonObject,
  readMerges,
} from './files.js';

/**
 * Qwen2's pre-tokenizer pattern (PRETOKENIZE_REGEX of transformers' models/qwen2/tokenization_qwen2.py,
 * identical to the Split pattern of the tokenizer.json files Qwen publishes): contractions
 * (case-insensitive), letter runs with at most one leading non-letter, ONE digit at a time,
 * punctuation runs with an optional leading space and trailing newlines, newline runs, spaces.
 */
export const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export interface Qwen2Parts {
  vocab: Record<string, number>;
  merges: string[];
  added: AddedTokenSpec[];
}

/** The tokenizer.json object of a Qwen2 tokenizer with these parts. */
export function qwen2TokenizerJson(parts: Qwen2Parts): Json {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: parts.added.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: t.single_word,
      lstrip: t.lstrip,
      rstrip: t.rstrip,
      normalized: t.normalized,
      special: t.special,
    })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'Split', pattern: { Regex: QWEN2_SPLIT }, behavior: 'Isolated', invert: false }, byteLevel],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: parts.vocab,
      merges: parts.merges,
    },
  };
}

/** Reads and checks the slow-tokenizer files of `dir` and builds the tokenizer.json they stand for. */
export async function assembleTokenizerJson(dir: string): Promise<{ json: Json; config: Json }> {
  const config = (await readJsonObject(dir, 'tokenizer_config.json', true)) ?? {};
  // Structure first (both files present and well formed), then consistency between them.
  const vocab = checkVocab(dir, 'vocab.json', await readJsonObject(dir, 'vocab.json'));
  const mergeLines = await readMerges(dir);
  checkByteSymbols(dir, 'vocab.json', vocab);
  checkMergeLines(dir, mergeLines, vocab);
  const merges = mergeLines.map((m) => `${m.left} ${m.right}`);
  const extra = await readJsonObject(dir, 'added_tokens.json', true);
  const added = addedTokens(dir, config, extra, vocab);
  return { json: qwen2TokenizerJson({ vocab, merges, added }), config };
}
