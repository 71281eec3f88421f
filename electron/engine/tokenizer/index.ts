/**
 * The prompt tokenizer, through the maintained @huggingface/tokenizers library. Published
 * Qwen-Image folders ship a Qwen2 tokenizer as vocab.json + merges.txt + tokenizer_config.json
 * (no tokenizer.json); the equivalent tokenizer.json is assembled from those files: byte-level
 * BPE, NFC, Qwen2's pre-tokenizer split, special tokens from added_tokens_decoder.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

/** The pre-tokenizer pattern of Qwen2's tokenizer (transformers' tokenization_qwen2.py). */
export const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

type Json = Record<string, unknown>;

async function readJsonFile(dir: string, name: string): Promise<Json> {
  const path = join(dir, name);
  if (!existsSync(path)) throw new Error(`tokenizer file ${name} is missing from ${dir}`);
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Json;
  } catch (err) {
    throw new Error(`tokenizer file ${name} in ${dir} is not valid JSON (${(err as Error).message})`);
  }
}

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

function addedTokens(config: Json, extra: Json | undefined): AddedToken[] {
  const out = new Map<string, AddedToken>();
  const dec = config.added_tokens_decoder as Record<string, { content?: string; special?: boolean }> | undefined;
  for (const [id, t] of Object.entries(dec ?? {})) {
    if (typeof t?.content === 'string') out.set(t.content, { id: Number(id), content: t.content, special: t.special !== false });
  }
  for (const [content, id] of Object.entries(extra ?? {})) {
    if (typeof id === 'number' && !out.has(content)) out.set(content, { id, content, special: true });
  }
  return [...out.values()].sort((a, b) => a.id - b.id);
}

/** Builds the tokenizer.json of a Qwen2 tokenizer from vocab.json, merges.txt and the config. */
export async function assembleTokenizerJson(dir: string): Promise<{ json: Json; config: Json }> {
  const config = existsSync(join(dir, 'tokenizer_config.json')) ? await readJsonFile(dir, 'tokenizer_config.json') : {};
  const vocab = await readJsonFile(dir, 'vocab.json');
  if (!Object.values(vocab).every((v) => Number.isInteger(v)))
    throw new Error(`tokenizer file vocab.json in ${dir} must map tokens to integer ids`);
  const mergesPath = join(dir, 'merges.txt');
  if (!existsSync(mergesPath)) throw new Error(`tokenizer file merges.txt is missing from ${dir}`);
  const merges = (await readFile(mergesPath, 'utf8'))
    .split('\n')
    .filter((l) => l && !l.startsWith('#version'))
    .map((l, i) => {
      const parts = l.split(' ');
      if (parts.length !== 2) throw new Error(`tokenizer file merges.txt in ${dir}: line ${i + 1} is not a pair of tokens`);
      return l;
    });
  const extra = existsSync(join(dir, 'added_tokens.json')) ? await readJsonFile(dir, 'added_tokens.json') : undefined;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const json: Json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(config, extra).map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
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
      vocab,
      merges,
    },
  };
  return { json, config };
}

export class PromptTokenizer {
  private constructor(
    private readonly tok: Tokenizer,
    readonly vocabSize: number,
    private readonly specials: Map<string, number>,
  ) {}

  static async load(dir: string): Promise<PromptTokenizer> {
    let json: Json;
    let config: Json;
    if (existsSync(join(dir, 'tokenizer.json'))) {
      json = await readJsonFile(dir, 'tokenizer.json');
      config = existsSync(join(dir, 'tokenizer_config.json')) ? await readJsonFile(dir, 'tokenizer_config.json') : {};
    } else {
      ({ json, config } = await assembleTokenizerJson(dir));
    }
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(json as never, config as never);
    } catch (err) {
      throw new Error(`the tokenizer in ${dir} cannot be loaded: ${(err as Error).message}`);
    }
    const vocab = ((json.model as Json | undefined)?.vocab ?? {}) as Record<string, number>;
    const specials = new Map<string, number>();
    let max = Math.max(-1, ...Object.values(vocab));
    for (const t of (json.added_tokens ?? []) as { id: number; content: string }[]) {
      specials.set(t.content, t.id);
      max = Math.max(max, t.id);
    }
    return new PromptTokenizer(tok, max + 1, specials);
  }

  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: number[]): string {
    return this.tok.decode(ids, { skip_special_tokens: false });
  }

  tokenId(token: string): number | undefined {
    return this.specials.get(token) ?? this.tok.token_to_id?.(token) ?? undefined;
  }
}

/**
 * Applies the prompt template and tokenizes. The first `dropTokens` hidden states are dropped
 * after the text encoder (as the reference pipeline does); the prompt part is capped at
 * `maxTokens`.
 */
export function encodePrompt(
  tok: PromptTokenizer,
  prompt: string,
  opts: { template: string; dropTokens: number; maxTokens: number },
): { ids: number[]; dropped: number; truncated: boolean } {
  const ids = tok.encode(opts.template.replace('{}', prompt));
  const limit = opts.maxTokens + opts.dropTokens;
  const truncated = ids.length > limit;
  return { ids: truncated ? ids.slice(0, limit) : ids, dropped: opts.dropTokens, truncated };
}
