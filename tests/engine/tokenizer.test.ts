// The prompt tokenizer (electron/engine/tokenizer): a Qwen2 byte-level BPE tokenizer run by
// @huggingface/tokenizers, assembled from vocab.json + merges.txt + tokenizer_config.json when
// the folder has no tokenizer.json. Exercised on the tiny tokenizer of tiny.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QWEN_IMAGE_TEMPLATE } from '../../electron/engine/model/manifest';
import {
  assembleTokenizerJson,
  byteSymbols,
  encodePrompt,
  PromptTokenizer,
  TokenizerFileError,
  toByteLevel,
} from '../../electron/engine/tokenizer/index';
import { TINY_CHINESE, TINY_SPECIAL_TOKENS, writeTinyTokenizer } from '../../electron/engine/tokenizer/tiny';

const root = mkdtempSync(join(tmpdir(), 'tokenizer-test-'));
const dir = join(root, 'tokenizer');
const EXTRA = ['red', 'gold', 'dots', '红色', '2026', '20', "don't", 'don', "'t", "IT'SOK", "'S", 'OK', "'SOK", 'a1', 'd.', '红，'];
let tok: PromptTokenizer;
let total: number;

const pieces = (text: string): string[] => tok.encode(text).map((id) => tok.decode([id]));
const idOf = (text: string): number => {
  const id = tok.tokenId(toByteLevel(text));
  if (id === undefined) throw new Error(`no token for ${JSON.stringify(text)}`);
  return id;
};

function freshDir(name: string): string {
  return mkdtempSync(join(root, `${name}-`));
}

beforeAll(async () => {
  total = writeTinyTokenizer(dir, { extraWords: EXTRA });
  tok = await PromptTokenizer.load(dir);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('tiny tokenizer files', () => {
  it('starts with the 256 byte symbols, ends with the three special tokens, and is deterministic', () => {
    const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    const first256 = Object.entries(vocab)
      .filter(([, id]) => id < 256)
      .map(([t]) => t);
    expect(new Set(first256)).toEqual(new Set(byteSymbols()));
    const size = Object.keys(vocab).length;
    expect(total).toBe(size + 3);
    expect(tok.vocabSize).toBe(total);
    TINY_SPECIAL_TOKENS.forEach((s, i) => {
      expect(tok.tokenId(s)).toBe(size + i);
    });
    expect(readFileSync(join(dir, 'merges.txt'), 'utf8').startsWith('#version')).toBe(true);
    const again = freshDir('again');
    writeTinyTokenizer(again, { extraWords: EXTRA });
    for (const f of ['vocab.json', 'merges.txt', 'tokenizer_config.json'])
      expect(readFileSync(join(again, f), 'utf8')).toBe(readFileSync(join(dir, f), 'utf8'));
  });
});

describe('prompt tokenizer', () => {
  it('round-trips mixed Chinese, English, digits, emoji and whitespace byte for byte', () => {
    const texts = [
      '红色渐变背景，金色圆点',
      'red gradient with gold dots',
      'Sale 2026 — 全场8折 🎉🎉 限时!!!',
      '👨‍👩‍👧 family emoji, 𠀀 (CJK ext. B), العربية, Ελληνικά, café',
      "don't stop; it's 10:30 a . b , c ?",
      '\n  tabs\tand  spaces  \r\n\r\n end ',
      '海报：蓝色条纹 + 黑白圆点 (50% off)',
    ];
    for (const text of texts) expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it('normalizes to NFC before tokenizing, as Qwen2 does', () => {
    expect(tok.decode(tok.encode('cafe\u0301'))).toBe('caf\u00e9');
    expect(tok.encode('cafe\u0301')).toEqual(tok.encode('caf\u00e9'));
  });

  it('applies known merges: a merged pair or character is one id, by merge rank', () => {
    expect(tok.encode('th')).toEqual([idOf('th')]);
    expect(tok.encode(' t')).toEqual([idOf(' t')]);
    for (const ch of TINY_CHINESE) expect(tok.encode(ch)).toEqual([idOf(ch)]);
    expect(tok.encode('红色')).toEqual([idOf('红色')]);
    expect(tok.encode('蓝色')).toEqual([idOf('蓝'), idOf('色')]);
    expect(tok.encode('gold dots')).toEqual([idOf('gold'), idOf(' dots')]);
    // "th" ranks before "he", "he" before "er": the lower rank wins.
    expect(pieces('the')).toEqual(['th', 'e']);
    expect(pieces('her')).toEqual(['he', 'r']);
    // A character without merges falls back to its three UTF-8 bytes.
    expect(tok.encode('猫')).toHaveLength(3);
  });

  it("splits like Qwen2's pre-tokenizer: one digit at a time, contractions, letters apart from digits and punctuation", () => {
    // Merges exist for "2026", "20", "don't", "IT'SOK", "a1", "d." and "红，": none can apply across a split.
    expect(tok.tokenId(toByteLevel('2026'))).toBeDefined();
    expect(pieces('2026')).toEqual(['2', '0', '2', '6']);
    expect(pieces('Sale2026')).toEqual(['S', 'al', 'e', '2', '0', '2', '6']);
    expect(pieces("don't")).toEqual(['don', "'t"]);
    // The contraction group is case-insensitive: "'S" splits off before "OK".
    expect(pieces("IT'SOK")).toEqual(['IT', "'S", 'OK']);
    expect(pieces('a1')).toEqual(['a', '1']);
    expect(pieces('red.')).toEqual(['red', '.']);
    expect(tok.encode('红，')[0]).toBe(idOf('红'));
    expect(tok.encode('红，')).toHaveLength(1 + 3);
    // Runs of spaces leave the last one to the next word.
    expect(pieces('x  red')).toEqual(['x', ' ', ' red']);
  });

  it('keeps special tokens whole, in text and in the template', () => {
    const start = tok.tokenId('<|im_start|>') as number;
    const end = tok.tokenId('<|im_end|>') as number;
    expect(tok.encode('<|im_start|>user\nhi<|im_end|>')).toEqual([start, ...tok.encode('user\nhi'), end]);
    const ids = tok.encode(QWEN_IMAGE_TEMPLATE.replace('{}', 'red dots'));
    expect(ids[0]).toBe(start);
    expect(ids.filter((i) => i === start)).toHaveLength(3);
    expect(ids.filter((i) => i === end)).toHaveLength(2);
    expect(tok.decode([start, end])).toBe('<|im_start|><|im_end|>');
  });

  it('puts the prompt right after the template prefix and reports the prefix length', () => {
    const prefix = QWEN_IMAGE_TEMPLATE.slice(0, QWEN_IMAGE_TEMPLATE.indexOf('{}'));
    const suffix = QWEN_IMAGE_TEMPLATE.slice(QWEN_IMAGE_TEMPLATE.indexOf('{}') + 2);
    const prefixLen = tok.encode(prefix).length;
    const out = encodePrompt(tok, '红色背景 with gold dots', { template: QWEN_IMAGE_TEMPLATE, dropTokens: prefixLen, maxTokens: 1024 });
    expect(out.prefixTokens).toBe(prefixLen);
    expect(out.dropped).toBe(prefixLen);
    expect(out.truncated).toBe(false);
    expect(out.ids[0]).toBe(tok.tokenId('<|im_start|>'));
    expect(tok.decode(out.ids.slice(0, prefixLen))).toBe(prefix);
    expect(tok.decode(out.ids.slice(out.dropped))).toBe(`红色背景 with gold dots${suffix}`);
    // The tiny vocabulary has few merges, so its prefix is longer than Qwen2's 34 tokens.
    expect(prefixLen).toBeGreaterThan(34);
  });

  it('inserts the prompt literally', () => {
    const template = '<|im_start|>user\n{}<|im_end|>';
    for (const prompt of ['price $& $1 $$', 'braces {} {0}', '']) {
      const out = encodePrompt(tok, prompt, { template, dropTokens: 3, maxTokens: 100 });
      expect(tok.decode(out.ids)).toBe(`<|im_start|>user\n${prompt}<|im_end|>`);
    }
    expect(() => encodePrompt(tok, 'x', { template: 'no placeholder', dropTokens: 0, maxTokens: 10 })).toThrow(/"\{\}"/);
  });

  it('truncates to maxTokens + dropTokens, like the reference tokenizer call', () => {
    const template = QWEN_IMAGE_TEMPLATE;
    const opts = { template, dropTokens: 34, maxTokens: 40 };
    const full = encodePrompt(tok, 'red '.repeat(60), { ...opts, maxTokens: 10_000 });
    expect(full.truncated).toBe(false);
    const cut = encodePrompt(tok, 'red '.repeat(60), opts);
    expect(cut.truncated).toBe(true);
    expect(cut.ids).toHaveLength(34 + 40);
    expect(cut.ids).toEqual(full.ids.slice(0, 74));
    // Exactly at the limit: nothing is cut.
    const exact = encodePrompt(tok, 'red '.repeat(60), { ...opts, maxTokens: full.ids.length - 34 });
    expect(exact.truncated).toBe(false);
    expect(exact.ids).toEqual(full.ids);
  });

  it('decodes nothing to nothing and rejects unknown ids', () => {
    expect(tok.decode([])).toBe('');
    expect(tok.encode('')).toEqual([]);
    expect(() => tok.decode([total + 5])).toThrow(/token id .* is not in the tokenizer/);
    expect(tok.tokenId('no such token')).toBeUndefined();
  });
});

describe('tokenizer.json', () => {
  // The layout of the tokenizer.json files published with Qwen2 models, written out here
  // independently of the assembler, with the tiny vocabulary and merges.
  function qwen2Json(vocab: Record<string, number>, merges: string[], size: number): Record<string, unknown> {
    const bl = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: TINY_SPECIAL_TOKENS.map((content, i) => ({
        id: size + i,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: { type: 'NFC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          {
            type: 'Split',
            pattern: {
              Regex:
                "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            },
            behavior: 'Isolated',
            invert: false,
          },
          bl,
        ],
      },
      post_processor: bl,
      decoder: bl,
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
  }

  const tinyParts = () => {
    const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    const merges = readFileSync(join(dir, 'merges.txt'), 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#version'));
    return { vocab, merges, size: Object.keys(vocab).length };
  };

  it('gives the same ids from vocab.json + merges.txt as from the equivalent tokenizer.json', async () => {
    const { vocab, merges, size } = tinyParts();
    const expected = qwen2Json(vocab, merges, size);
    const { json } = await assembleTokenizerJson(dir);
    expect(json).toEqual(expected);
    const other = freshDir('json');
    writeFileSync(join(other, 'tokenizer.json'), JSON.stringify(expected));
    writeFileSync(join(other, 'tokenizer_config.json'), readFileSync(join(dir, 'tokenizer_config.json')));
    const fromJson = await PromptTokenizer.load(other);
    expect(fromJson.vocabSize).toBe(tok.vocabSize);
    for (const text of [
      QWEN_IMAGE_TEMPLATE.replace('{}', '红色渐变背景, gold dots 2026!'),
      "don't IT'SOK x  red\n\n\tend",
      '👨‍👩‍👧 cafe\u0301',
    ])
      expect(fromJson.encode(text)).toEqual(tok.encode(text));
  });

  it('is used instead of vocab.json + merges.txt when present', async () => {
    const { vocab, size } = tinyParts();
    const both = freshDir('both');
    writeTinyTokenizer(both, { extraWords: EXTRA });
    writeFileSync(join(both, 'tokenizer.json'), JSON.stringify(qwen2Json(vocab, [], size)));
    const noMerges = await PromptTokenizer.load(both);
    expect(noMerges.encode('the')).toHaveLength(3);
    expect(noMerges.encode('<|im_end|>')).toEqual([size + 2]);
  });
});

describe('broken tokenizer folders', () => {
  async function loadError(d: string): Promise<TokenizerFileError> {
    const err = await PromptTokenizer.load(d).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TokenizerFileError);
    return err as TokenizerFileError;
  }

  function brokenCopy(name: string, file: string, content: string): string {
    const d = freshDir(name);
    writeTinyTokenizer(d);
    writeFileSync(join(d, file), content);
    return d;
  }

  it('names a missing or corrupt vocab.json', async () => {
    const empty = freshDir('empty');
    let e = await loadError(empty);
    expect(e.file).toBe('vocab.json');
    expect(e.message).toMatch(/vocab\.json is missing/);
    e = await loadError(brokenCopy('badjson', 'vocab.json', '{"a": 0'));
    expect(e.message).toMatch(/vocab\.json .*is not valid JSON/);
    e = await loadError(brokenCopy('array', 'vocab.json', '[1, 2]'));
    expect(e.message).toMatch(/vocab\.json .*expected an object/);
    e = await loadError(brokenCopy('noint', 'vocab.json', '{"a": "zero"}'));
    expect(e.message).toMatch(/vocab\.json .*integer ids/);
    e = await loadError(brokenCopy('dup', 'vocab.json', '{"a": 0, "b": 0}'));
    expect(e.message).toMatch(/vocab\.json .*gives id 0 to two tokens/);
    e = await loadError(brokenCopy('nobytes', 'vocab.json', '{"a": 0, "b": 1}'));
    expect(e.message).toMatch(/vocab\.json .*byte-level symbols/);
  });

  it('names a missing or corrupt merges.txt with its line', async () => {
    const d = freshDir('nomerges');
    writeTinyTokenizer(d);
    rmSync(join(d, 'merges.txt'));
    let e = await loadError(d);
    expect(e.file).toBe('merges.txt');
    expect(e.message).toMatch(/merges\.txt is missing/);
    e = await loadError(brokenCopy('triple', 'merges.txt', '#version: 0.2\nt h\na b c\n'));
    expect(e.message).toMatch(/merges\.txt .*line 3 is not a pair/);
    e = await loadError(brokenCopy('unknown', 'merges.txt', '#version: 0.2\nt h\nzz q\n'));
    expect(e.message).toMatch(/merges\.txt .*line 3: the token "zz" .* not in the vocabulary/);
    e = await loadError(brokenCopy('nomerged', 'merges.txt', 'q x\n'));
    expect(e.message).toMatch(/merges\.txt .*line 1: the token "qx"/);
  });

  it('names a corrupt tokenizer_config.json or added_tokens.json', async () => {
    let e = await loadError(brokenCopy('cfg', 'tokenizer_config.json', 'not json'));
    expect(e.file).toBe('tokenizer_config.json');
    e = await loadError(
      brokenCopy('clash', 'tokenizer_config.json', JSON.stringify({ added_tokens_decoder: { '0': { content: '<|im_start|>' } } })),
    );
    expect(e.message).toMatch(/tokenizer_config\.json .*id 0/);
    e = await loadError(brokenCopy('added', 'added_tokens.json', '{"<|x|>": "one"}'));
    expect(e.file).toBe('added_tokens.json');
  });

  it('names a corrupt tokenizer.json', async () => {
    let e = await loadError(brokenCopy('tj', 'tokenizer.json', '{"model": '));
    expect(e.file).toBe('tokenizer.json');
    expect(e.message).toMatch(/tokenizer\.json .*not valid JSON/);
    e = await loadError(brokenCopy('tjmodel', 'tokenizer.json', '{"version": "1.0"}'));
    expect(e.message).toMatch(/tokenizer\.json .*no "model"/);
    const { vocab } = JSON.parse(JSON.stringify({ vocab: JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) })) as {
      vocab: Record<string, number>;
    };
    const bad = { model: { type: 'BPE', vocab, merges: ['t h', 'zz q'] } };
    e = await loadError(brokenCopy('tjmerge', 'tokenizer.json', JSON.stringify(bad)));
    expect(e.message).toMatch(/tokenizer\.json .*merge 1: the token "zz"/);
  });
});
