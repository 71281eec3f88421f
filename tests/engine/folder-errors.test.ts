// Model folders as a user hands them over: a published-style diffusers folder imports and
// verifies; each kind of damage gives its own clear error naming the file; nothing in the
// folder is modified by a failed open.
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importModel, openModel } from '../../electron/engine/model/manifest';
import {
  floatToBf16,
  floatToHalf,
  halfToFloat,
  SafetensorsReader,
  toFloat32,
  writeSafetensors,
} from '../../electron/engine/model/safetensors';
import { WeightSet } from '../../electron/engine/model/weights';
import { makeTinyQwenImage } from './tiny';

const root = mkdtempSync(join(tmpdir(), 'folders-'));
let pristine = '';

function copyModel(name: string): string {
  const dir = join(root, name);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

async function openError(dir: string, verify: 'fast' | 'full' = 'fast'): Promise<{ code?: string; message: string }> {
  try {
    await openModel(dir, { verify });
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('openModel succeeded on a damaged folder');
}

/** Writes a raw safetensors file from a header object and a data size. */
function rawFile(path: string, header: unknown, dataBytes: number, headerLen?: number): void {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerLen ?? json.length));
  writeFileSync(path, Buffer.concat([len, json, Buffer.alloc(dataBytes)]));
}

beforeAll(async () => {
  pristine = join(root, 'pristine');
  await makeTinyQwenImage(pristine, { shards: 2 });
  await importModel(pristine);
}, 60_000);

describe('safetensors', () => {
  it('round-trips F32, F16 and BF16 with correct rounding and special values', async () => {
    const values = new Float32Array([
      0,
      -0,
      1,
      -2.5,
      65504,
      1e-7,
      6.1e-5,
      3.15,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
    ]);
    const path = join(root, 'rt.safetensors');
    await writeSafetensors(path, [
      { name: 'a', dtype: 'F32', shape: [11], data: values },
      { name: 'b', dtype: 'F16', shape: [11], data: values },
      { name: 'c', dtype: 'BF16', shape: [11], data: values },
    ]);
    const r = await SafetensorsReader.open(path);
    expect(Array.from(await r.readFloat32('a'))).toEqual(Array.from(values));
    const half = await r.readFloat32('b');
    expect(half[3]).toBe(-2.5);
    expect(half[4]).toBe(65504);
    expect(half[5]).toBeCloseTo(1.1920928955078125e-7, 12); // nearest subnormal
    expect(half[7]).toBe(3.150390625);
    expect(half[8]).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(half[10])).toBe(true);
    const bf = await r.readFloat32('c');
    expect(bf[7]).toBe(3.15625);
    expect(bf[9]).toBe(Number.NEGATIVE_INFINITY);
    expect(Number.isNaN(bf[10])).toBe(true);
    expect(halfToFloat(floatToHalf(1 + 2 ** -11))).toBe(1); // ties to even
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(Array.from(toFloat32(new Uint8Array([0, 0, 0x80, 0x3f]), 'F32'))).toEqual([1]);
    // The header is padded to 8 bytes, as the reference format does.
    const headerLen = Number(readFileSync(path).readBigUInt64LE(0));
    expect((8 + headerLen) % 8).toBe(0);
  });

  it.each([
    [
      'overlapping tensors',
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      16,
      undefined,
      /overlap/,
    ],
    ['offsets past the end', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8, undefined, /truncated/],
    ['an unknown dtype', { a: { dtype: 'F7', shape: [1], data_offsets: [0, 1] } }, 1, undefined, /unknown dtype/],
    [
      'a shape that does not match the byte span',
      { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } },
      8,
      undefined,
      /needs 12 bytes/,
    ],
    ['an absurd header length', {}, 0, 2 ** 40, /header claims/],
  ])('rejects %s', async (_label, header, data, headerLen, message) => {
    const path = join(root, `bad-${Math.random()}.safetensors`);
    rawFile(path, header, data, headerLen);
    await expect(SafetensorsReader.open(path)).rejects.toThrow(message);
  });

  it('rejects a header that is not JSON', async () => {
    const path = join(root, 'notjson.safetensors');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(5n);
    writeFileSync(path, Buffer.concat([len, Buffer.from('{nope')]));
    await expect(SafetensorsReader.open(path)).rejects.toThrow(/not valid JSON/);
  });
});

describe('model folders', () => {
  it('imports a diffusers-layout folder, hashing every file into model.json', async () => {
    const manifest = JSON.parse(readFileSync(join(pristine, 'model.json'), 'utf8'));
    expect(manifest.family).toBe('qwen-image');
    expect(manifest.components.transformer.files.map((f: { path: string }) => f.path)).toContain(
      'transformer/diffusion_pytorch_model-00002-of-00002.safetensors',
    );
    expect(manifest.prompt.dropTokens).toBe(34);
    expect(manifest.components.transformer.files.every((f: { sha256: string }) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    const m = await openModel(pristine, { verify: 'full' });
    expect(m.manifest.components.text_encoder.config.hidden_size).toBe(24);
  });

  it('reads the same tensors from a sharded transformer as from one file', async () => {
    const one = join(root, 'one');
    await makeTinyQwenImage(one, { shards: 1 });
    const a = await WeightSet.open(pristine, 'transformer');
    const b = await WeightSet.open(one, 'transformer');
    expect(a.names().sort()).toEqual(b.names().sort());
    for (const name of ['img_in.weight', 'transformer_blocks.1.attn.to_q.bias', 'proj_out.weight']) {
      expect(Array.from(await a.readFloat32(name))).toEqual(Array.from(await b.readFloat32(name)));
    }
  });

  it('names a missing shard', async () => {
    const dir = copyModel('missing-shard');
    rmSync(join(dir, 'transformer/diffusion_pytorch_model-00002-of-00002.safetensors'));
    const err = await openError(dir);
    expect(err.code).toBe('missing-file');
    expect(err.message).toContain('transformer/diffusion_pytorch_model-00002-of-00002.safetensors is missing');
  });

  it('tells a truncated file from a damaged one', async () => {
    const dir = copyModel('truncated');
    const file = join(dir, 'vae/diffusion_pytorch_model.safetensors');
    const before = readFileSync(file).length;
    truncateSync(file, before - 100);
    const err = await openError(dir);
    expect(err.code).toBe('truncated');
    expect(err.message).toContain('vae/diffusion_pytorch_model.safetensors is truncated');
  });

  it('finds a flipped byte only with full verification, as a checksum mismatch', async () => {
    const dir = copyModel('flipped');
    const file = join(dir, 'text_encoder/model.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
    writeFileSync(file, bytes);
    await expect(openModel(dir, { verify: 'fast' })).resolves.toBeDefined();
    const err = await openError(dir, 'full');
    expect(err.code).toBe('checksum');
    expect(err.message).toContain('text_encoder/model.safetensors does not match its checksum');
  });

  it('reports a corrupt header with the file name', async () => {
    const dir = copyModel('corrupt-header');
    rmSync(join(dir, 'model.json'));
    const file = join(dir, 'vae/diffusion_pytorch_model.safetensors');
    const bytes = readFileSync(file);
    bytes.write('!!!!', 8);
    writeFileSync(file, bytes);
    const err = await openError(dir);
    expect(err.code).toBe('bad-header');
    expect(err.message).toContain('vae/diffusion_pytorch_model.safetensors cannot be read');
  });

  it('reports a tensor whose shape does not match the config', async () => {
    const dir = copyModel('wrong-shape');
    rmSync(join(dir, 'model.json'));
    const cfgPath = join(dir, 'text_encoder/config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.intermediate_size = 64;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const err = await openError(dir);
    expect(err.code).toBe('shape');
    expect(err.message).toMatch(
      /model\.layers\.0\.mlp\.gate_proj\.weight has shape \[48, 24\] but text_encoder\/config\.json implies \[64, 24\]/,
    );
  });

  it('reports a missing or invalid config', async () => {
    const dir = copyModel('no-config');
    rmSync(join(dir, 'model.json'));
    rmSync(join(dir, 'vae/config.json'));
    expect((await openError(dir)).message).toContain('vae/config.json is missing');
    writeFileSync(join(dir, 'vae/config.json'), '{"z_dim": "sixteen"}');
    const err = await openError(dir);
    expect(err.code).toBe('bad-config');
    expect(err.message).toContain('vae/config.json is not a valid config');
  });

  it('leaves the folder untouched when it fails to open', async () => {
    const dir = copyModel('untouched');
    copyFileSync(join(dir, 'transformer/config.json'), join(root, 'cfg-before.json'));
    rmSync(join(dir, 'tokenizer/merges.txt'));
    const before = readFileSync(join(dir, 'model.json'), 'utf8');
    await openError(dir);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe(before);
  });
});
