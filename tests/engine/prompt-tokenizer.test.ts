// The prompt tokenizer built from a Qwen2-style folder (vocab.json + merges.txt +
// tokenizer_config.json, no tokenizer.json), through @huggingface/tokenizers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { QWEN_IMAGE_TEMPLATE } from '../../electron/engine/model/manifest';
import { byteSymbols } from '../../electron/engine/tokenizer/bytes';
import { assembleTokenizerJson, encodePrompt, PromptTokenizer } from '../../electron/engine/tokenizer/index';
import { writeTinyTokenizer } from '../../electron/engine/tokenizer/tiny';

const dir = join(mkdtempSync(join(tmpdir(), 'tok-')), 'tokenizer');
let tok: PromptTokenizer;

beforeAll(async () => {
  writeTinyTokenizer(dir, { extraWords: ['red', 'gold', 'dots', '红色', 'a1', 'd.'] });
  tok = await PromptTokenizer.load(dir);
});

describe('prompt tokenizer', () => {
  it('round-trips mixed Chinese, English, digits and emoji byte for byte', () => {
    for (const text of ['红色渐变背景，金色圆点', 'red gradient with gold dots', 'Sale 2026 — 全场8折 🎉', '\n  tabs\tand  spaces  ']) {
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
  });

  it('applies merges: a merged word is one token', () => {
    const alpha = byteSymbols();
    expect(tok.encode('red')).toHaveLength(1);
    expect(tok.encode('gold dots')).toHaveLength(2); // "gold" and " dots": the space starts the next word
    const hong = Array.from(new TextEncoder().encode('红色'), (b) => alpha[b]).join('');
    expect(tok.encode('红色')).toEqual([tok.tokenId(hong) as number]);
  });

  it("splits like Qwen2's pre-tokenizer: digits one by one, contractions apart, punctuation runs", () => {
    expect(tok.encode('2026').map((id) => tok.decode([id]))).toEqual(['2', '0', '2', '6']);
    const pieces = (s: string) => tok.encode(s).map((id) => tok.decode([id]));
    // Merges exist for "a1" and "d.", but letters, digits and punctuation are split apart
    // before BPE runs, so no token crosses those boundaries.
    expect(tok.tokenId('a1')).toBeDefined();
    expect(pieces('a1')).toEqual(['a', '1']);
    expect(pieces('red.')).toEqual(['red', '.']);
  });

  it('keeps special tokens of the template whole', () => {
    const ids = tok.encode('<|im_start|>user\nhi<|im_end|>');
    expect(ids[0]).toBe(tok.tokenId('<|im_start|>'));
    expect(ids.at(-1)).toBe(tok.tokenId('<|im_end|>'));
    expect(tok.tokenId('<|im_start|>')).toBeGreaterThanOrEqual(256);
  });

  it('puts the prompt after the template prefix and reports truncation', () => {
    const prefix = QWEN_IMAGE_TEMPLATE.slice(0, QWEN_IMAGE_TEMPLATE.indexOf('{}'));
    const prefixLen = tok.encode(prefix).length;
    const full = encodePrompt(tok, 'red dots', { template: QWEN_IMAGE_TEMPLATE, dropTokens: prefixLen, maxTokens: 1024 });
    expect(tok.decode(full.ids.slice(prefixLen))).toBe('red dots<|im_end|>\n<|im_start|>assistant\n');
    expect(full.truncated).toBe(false);
    const cut = encodePrompt(tok, 'red '.repeat(50), { template: QWEN_IMAGE_TEMPLATE, dropTokens: prefixLen, maxTokens: 10 });
    expect(cut.truncated).toBe(true);
    expect(cut.ids).toHaveLength(prefixLen + 10);
  });

  it('gives the same ids from vocab+merges as from the equivalent tokenizer.json', async () => {
    const { json, config } = await assembleTokenizerJson(dir);
    const other = join(mkdtempSync(join(tmpdir(), 'tokjson-')));
    writeFileSync(join(other, 'tokenizer.json'), JSON.stringify(json));
    writeFileSync(join(other, 'tokenizer_config.json'), JSON.stringify(config));
    const fromJson = await PromptTokenizer.load(other);
    const text = '<|im_start|>红色 red gold, 2026!<|im_end|>';
    expect(fromJson.encode(text)).toEqual(tok.encode(text));
  });

  it('names the broken file', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'tokbad-'));
    await expect(PromptTokenizer.load(bad)).rejects.toThrow(/vocab\.json is missing/);
    writeFileSync(join(bad, 'vocab.json'), '{"a": 0');
    await expect(PromptTokenizer.load(bad)).rejects.toThrow(/vocab\.json .* not valid JSON/);
    writeFileSync(join(bad, 'vocab.json'), '{"a": 0, "b": 1}');
    await expect(PromptTokenizer.load(bad)).rejects.toThrow(/merges\.txt is missing/);
    writeFileSync(join(bad, 'merges.txt'), 'a b c\n');
    await expect(PromptTokenizer.load(bad)).rejects.toThrow(/merges\.txt.*line 1/);
  });
});
