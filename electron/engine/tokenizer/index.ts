/**
 * The prompt tokenizer of the Qwen-Image engine, through the maintained @huggingface/tokenizers
 * library. Published Qwen-Image folders ship a Qwen2 tokenizer (tokenizer/: vocab.json, merges.txt,
 * tokenizer_config.json, often no tokenizer.json); when tokenizer.json is absent the equivalent one
 * is assembled from those files (see assemble.ts). When it is present it is used as it is.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { assembleTokenizerJson } from './assemble.js';
import { checkByteSymbols, checkJsonMerges, checkVocab, fail, isObject, type Json, readJsonObject } from './files.js';

export { assembleTokenizerJson, QWEN2_SPLIT, qwen2TokenizerJson } from './assemble.js';
export { byteSymbols, toByteLevel } from './bytes.js';
export { TokenizerFileError } from './files.js';

/** Reads and checks a tokenizer.json (BPE models are checked like vocab.json + merges.txt). */
async function readTokenizerJson(dir: string): Promise<Json> {
  const file = 'tokenizer.json';
  const json = await readJsonObject(dir, file);
  const model = json.model;
  if (!isObject(model) || typeof model.type !== 'string') return fail(dir, file, 'has no "model" object with a "type"');
  if (model.type === 'BPE') {
    const vocab = checkVocab(dir, file, model.vocab);
    checkByteSymbols(dir, file, vocab);
    checkJsonMerges(dir, file, model.merges, vocab);
  }
  if (json.added_tokens === undefined || json.added_tokens === null) json.added_tokens = [];
  if (!Array.isArray(json.added_tokens)) fail(dir, file, 'has an "added_tokens" entry that is not a list');
  for (const t of json.added_tokens as unknown[]) {
    if (!isObject(t) || typeof t.content !== 'string' || !Number.isInteger(t.id))
      fail(dir, file, `has an added token without an integer id and a content string: ${JSON.stringify(t)}`);
  }
  return json;
}

export class PromptTokenizer {
  private constructor(
    private readonly tok: Tokenizer,
    /** One more than the largest token id (vocabulary and added tokens). */
    readonly vocabSize: number,
  ) {}

  /** Loads the tokenizer of a folder: tokenizer.json when present, else vocab.json + merges.txt. */
  static async load(dir: string): Promise<PromptTokenizer> {
    let json: Json;
    let config: Json;
    let file: string;
    if (existsSync(join(dir, 'tokenizer.json'))) {
      file = 'tokenizer.json';
      json = await readTokenizerJson(dir);
      config = (await readJsonObject(dir, 'tokenizer_config.json', true)) ?? {};
    } else {
      file = 'vocab.json + merges.txt';
      ({ json, config } = await assembleTokenizerJson(dir));
    }
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(json, config);
    } catch (err) {
      return fail(dir, file, `cannot be loaded by the tokenizer library (${err instanceof Error ? err.message : String(err)})`);
    }
    let max = -1;
    for (const id of tok.get_vocab(true).values()) max = Math.max(max, id);
    return new PromptTokenizer(tok, max + 1);
  }

  /** Token ids of `text`; added tokens such as <|im_start|> in the text become their single ids. */
  encode(text: string): number[] {
    if (text === '') return [];
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  /** The text of `ids`, special tokens included, byte for byte (no clean-up of spaces). */
  decode(ids: number[]): string {
    if (ids.length === 0) return '';
    for (const id of ids) {
      if (!Number.isInteger(id) || this.tok.id_to_token(id) === undefined) throw new Error(`token id ${id} is not in the tokenizer`);
    }
    return this.tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** The id of a token (vocabulary entry in byte-level form, or added token), if any. */
  tokenId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }
}

export interface EncodedPrompt {
  /** Ids of the whole templated text, cut to maxTokens + dropTokens. */
  ids: number[];
  /** How many leading hidden states the engine drops after the text encoder (= dropTokens). */
  dropped: number;
  /** Whether the templated text was longer than maxTokens + dropTokens and was cut. */
  truncated: boolean;
  /** How many leading ids come from the template text before "{}" (informative: equals dropTokens for the real tokenizer). */
  prefixTokens: number;
}

/**
 * Applies the prompt template ("{}" stands for the prompt) and tokenizes the whole text, as the
 * reference pipeline does: every id is kept here; the engine drops the first `dropTokens` hidden
 * states after running the text encoder. Like the reference tokenizer call (max_length =
 * tokenizer_max_length + drop_idx, truncation=True), the ids are cut to maxTokens + dropTokens.
 */
export function encodePrompt(
  tok: PromptTokenizer,
  prompt: string,
  opts: { template: string; dropTokens: number; maxTokens: number },
): EncodedPrompt {
  const at = opts.template.indexOf('{}');
  if (at < 0) throw new Error('the prompt template has no "{}" placeholder for the prompt');
  if (!Number.isInteger(opts.dropTokens) || opts.dropTokens < 0)
    throw new Error(`dropTokens must be a non-negative integer (got ${opts.dropTokens})`);
  if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1)
    throw new Error(`maxTokens must be a positive integer (got ${opts.maxTokens})`);
  const prefix = opts.template.slice(0, at);
  // Plain concatenation: the prompt is inserted literally (no "$&"-style replacement patterns).
  const all = tok.encode(prefix + prompt + opts.template.slice(at + 2));
  const prefixIds = tok.encode(prefix);
  let prefixTokens = 0;
  while (prefixTokens < prefixIds.length && prefixIds[prefixTokens] === all[prefixTokens]) prefixTokens++;
  const limit = opts.maxTokens + opts.dropTokens;
  const truncated = all.length > limit;
  return { ids: truncated ? all.slice(0, limit) : all, dropped: opts.dropTokens, truncated, prefixTokens };
}
