/**
 * Reading and checking the files of a tokenizer folder. Every failure names the file at fault,
 * so a broken model folder can be repaired by hand.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { byteSymbols } from './bytes.js';

export type Json = Record<string, unknown>;

/** A tokenizer file is missing, unreadable or inconsistent. `file` is its name in the folder. */
export class TokenizerFileError extends Error {
  constructor(
    readonly file: string,
    readonly dir: string,
    message: string,
  ) {
    super(message);
    this.name = 'TokenizerFileError';
  }
}

function detail(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function fail(dir: string, file: string, problem: string): never {
  throw new TokenizerFileError(file, dir, `tokenizer file ${file} in ${dir} ${problem}`);
}

async function readText(dir: string, file: string): Promise<string> {
  const path = join(dir, file);
  if (!existsSync(path)) throw new TokenizerFileError(file, dir, `tokenizer file ${file} is missing from ${dir}`);
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    return fail(dir, file, `cannot be read (${detail(err)})`);
  }
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a JSON object; `undefined` when the file is optional and absent. */
export async function readJsonObject(dir: string, file: string, optional: true): Promise<Json | undefined>;
export async function readJsonObject(dir: string, file: string, optional?: false): Promise<Json>;
export async function readJsonObject(dir: string, file: string, optional = false): Promise<Json | undefined> {
  if (optional && !existsSync(join(dir, file))) return undefined;
  const text = await readText(dir, file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(dir, file, `is not valid JSON (${detail(err)})`);
  }
  if (!isObject(value)) return fail(dir, file, 'is not valid JSON (expected an object at the top level)');
  return value;
}

/** Checks a vocabulary object: token -> non-negative integer id, ids unique. */
export function checkVocab(dir: string, file: string, vocab: unknown): Record<string, number> {
  if (!isObject(vocab)) return fail(dir, file, 'has no vocabulary object');
  const seen = new Map<number, string>();
  for (const [token, id] of Object.entries(vocab)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      fail(dir, file, `must map tokens to non-negative integer ids (${JSON.stringify(token)} -> ${JSON.stringify(id)})`);
    const other = seen.get(id);
    if (other !== undefined) fail(dir, file, `gives id ${id} to two tokens (${JSON.stringify(other)} and ${JSON.stringify(token)})`);
    seen.set(id, token);
  }
  return vocab as Record<string, number>;
}

/**
 * Checks that every byte symbol is in the vocabulary: without them some text could not be encoded
 * (the library would drop it silently, as Qwen2 has no unknown token).
 */
export function checkByteSymbols(dir: string, file: string, vocab: Record<string, number>): void {
  const missing = byteSymbols().filter((s) => !Object.hasOwn(vocab, s));
  if (missing.length > 0)
    fail(
      dir,
      file,
      `lacks ${missing.length} of the 256 byte-level symbols (first: ${JSON.stringify(missing[0])}); it is not a byte-level BPE vocabulary`,
    );
}

/** Checks that a merge joins two known tokens into a known token (as the Rust library requires). */
function checkMerge(dir: string, file: string, where: string, a: string, b: string, vocab: Record<string, number>): void {
  for (const part of [a, b, a + b]) {
    if (!Object.hasOwn(vocab, part))
      fail(dir, file, `${where}: the token ${JSON.stringify(part)} of the merge "${a} ${b}" is not in the vocabulary`);
  }
}

export interface MergeLine {
  line: number;
  left: string;
  right: string;
}

/** Reads merges.txt: an optional `#version` line, then one "left right" pair per line. */
export async function readMerges(dir: string): Promise<MergeLine[]> {
  const file = 'merges.txt';
  const lines = (await readText(dir, file)).split('\n');
  const merges: MergeLine[] = [];
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
      fail(dir, file, `line ${i + 1} is not a pair of tokens separated by one space: ${JSON.stringify(line.slice(0, 80))}`);
    merges.push({ line: i + 1, left: parts[0] as string, right: parts[1] as string });
  });
  return merges;
}

/** Checks the merges of merges.txt against vocab.json. */
export function checkMergeLines(dir: string, merges: MergeLine[], vocab: Record<string, number>): void {
  for (const m of merges) checkMerge(dir, 'merges.txt', `line ${m.line}`, m.left, m.right, vocab);
}

/** Checks the merges of a tokenizer.json BPE model ("a b" strings or [a, b] pairs). */
export function checkJsonMerges(dir: string, file: string, merges: unknown, vocab: Record<string, number>): void {
  if (!Array.isArray(merges)) fail(dir, file, 'has no merges list in its BPE model');
  merges.forEach((m: unknown, i) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string')
      fail(dir, file, `merge ${i} is not a pair of tokens: ${JSON.stringify(m)}`);
    checkMerge(dir, file, `merge ${i}`, pair[0], pair[1], vocab);
  });
}

export interface AddedTokenSpec {
  id: number;
  content: string;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  single_word: boolean;
}

type SourcedToken = AddedTokenSpec & { file: string };

/**
 * The added tokens of a slow-tokenizer folder: `added_tokens_decoder` of tokenizer_config.json
 * (id -> {content, special, ...}), then added_tokens.json (content -> id) for any not listed there.
 */
export function addedTokens(dir: string, config: Json, extra: Json | undefined, vocab: Record<string, number>): AddedTokenSpec[] {
  const byContent = new Map<string, SourcedToken>();
  const byId = new Map<number, string>();
  const vocabById = new Map<number, string>();
  for (const [token, id] of Object.entries(vocab)) vocabById.set(id, token);
  const add = (t: SourcedToken): void => {
    if (!Number.isInteger(t.id) || t.id < 0) fail(dir, t.file, `gives the added token ${JSON.stringify(t.content)} an invalid id`);
    const clash = byId.get(t.id);
    if (clash !== undefined && clash !== t.content)
      fail(dir, t.file, `gives id ${t.id} to two added tokens (${JSON.stringify(clash)} and ${JSON.stringify(t.content)})`);
    const inVocab = Object.hasOwn(vocab, t.content) ? vocab[t.content] : undefined;
    if (inVocab !== undefined && inVocab !== t.id)
      fail(dir, t.file, `gives the added token ${JSON.stringify(t.content)} id ${t.id}, but vocab.json has it as ${inVocab}`);
    const owner = vocabById.get(t.id);
    if (owner !== undefined && owner !== t.content)
      fail(
        dir,
        t.file,
        `gives the added token ${JSON.stringify(t.content)} id ${t.id}, which vocab.json gives to ${JSON.stringify(owner)}`,
      );
    byId.set(t.id, t.content);
    byContent.set(t.content, t);
  };
  const decoder = config.added_tokens_decoder;
  if (decoder !== undefined && !isObject(decoder)) fail(dir, 'tokenizer_config.json', 'has an added_tokens_decoder that is not an object');
  for (const [id, t] of Object.entries(decoder ?? {})) {
    if (!isObject(t) || typeof t.content !== 'string')
      fail(dir, 'tokenizer_config.json', `has an added token ${id} without a content string`);
    add({
      file: 'tokenizer_config.json',
      id: Number(id),
      content: t.content,
      special: t.special !== false,
      lstrip: t.lstrip === true,
      rstrip: t.rstrip === true,
      normalized: t.normalized === true,
      single_word: t.single_word === true,
    });
  }
  for (const [content, id] of Object.entries(extra ?? {})) {
    if (byContent.has(content)) continue;
    if (typeof id !== 'number') fail(dir, 'added_tokens.json', `gives the token ${JSON.stringify(content)} a non-numeric id`);
    add({ file: 'added_tokens.json', id, content, special: true, lstrip: false, rstrip: false, normalized: false, single_word: false });
  }
  return [...byContent.values()].sort((a, b) => a.id - b.id).map(({ file: _file, ...t }) => t);
}
