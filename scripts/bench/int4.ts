// Quantised weights benchmark (npm run bench): for fp32, fp16, int8 and int4 (block 16, 32, 64,
// 128, with zero points and symmetric) on the bundled model, the decoded image's PSNR against
// fp32 over three prompts, the block and text-encoder graph bytes, and the denoise time per
// step. Writes bench/results/int4.json. The int4 default (block size, zero points) follows it.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import type { LinearPrecision } from '../../electron/engine/onnx/graph';
import { dequantizeInt4, quantizeInt4 } from '../../electron/engine/onnx/quant';
import { loadPipelineModel } from '../../electron/engine/pipeline/model';
import { type QwenImageModel, QwenImagePipeline } from '../../electron/engine/pipeline/qwen-image';
import { graphBytes, psnr, QUALITY_PROMPTS } from '../../tests/engine/measure';
import { writeBenchResult } from './results';

const root = path.resolve(import.meta.dirname, '../..');
const MODEL = path.join(root, 'native-models/default');
const THREADS = 2;
const PROMPTS = QUALITY_PROMPTS;

const LINEARS = ['attn.to_q', 'attn.to_k', 'attn.to_v', 'attn.add_q_proj', 'attn.add_k_proj', 'attn.add_v_proj', 'attn.to_out.0'].concat([
  'attn.to_add_out',
  'img_mlp.net.0.proj',
  'img_mlp.net.2',
  'txt_mlp.net.0.proj',
  'txt_mlp.net.2',
  'img_mod.1',
  'txt_mod.1',
]);

/** Relative RMS error of the transformer blocks' linear weights after int4 (not chaotic, unlike images). */
async function weightError(model: QwenImageModel, blockSize: number, asymmetric: boolean): Promise<number> {
  const src = await model.openWeights('transformer');
  let se = 0;
  let ss = 0;
  try {
    for (let i = 0; i < model.transformer.num_layers; i++) {
      for (const l of LINEARS) {
        const name = `transformer_blocks.${i}.${l}.weight`;
        const [N, K] = src.shape(name) as [number, number];
        const w = await src.readFloat32(name);
        const d = dequantizeInt4(quantizeInt4(w, N, K, blockSize, asymmetric));
        for (let k = 0; k < w.length; k++) {
          se += ((d[k] as number) - (w[k] as number)) ** 2;
          ss += (w[k] as number) ** 2;
        }
      }
    }
  } finally {
    await src.close();
  }
  return Math.sqrt(se / ss);
}

interface Variant {
  id: string;
  precision: LinearPrecision;
  blockSize?: number;
  asymmetric?: boolean;
}

it('quantised weights benchmark', async () => {
  const model = await loadPipelineModel(MODEL);
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-int4-'));
  const variants: Variant[] = [
    { id: 'fp32', precision: 'fp32' },
    { id: 'fp16', precision: 'fp16' },
    { id: 'int8', precision: 'int8' },
  ];
  for (const blockSize of [16, 32, 64, 128])
    for (const asymmetric of [true, false])
      variants.push({ id: `int4-b${blockSize}${asymmetric ? '' : '-sym'}`, precision: 'int4', blockSize, asymmetric });
  const reference: Uint8Array[] = [];
  const rows = [];
  for (const v of variants) {
    const cacheDir = path.join(work, v.id);
    const pipe = new QwenImagePipeline(model, {
      cacheDir,
      threads: THREADS,
      precision: v.precision,
      int4BlockSize: v.blockSize,
      int4Asymmetric: v.asymmetric,
    });
    const scores: number[] = [];
    const stepMs: number[] = [];
    try {
      for (const [i, [prompt, seed]] of PROMPTS.entries()) {
        const params = { prompt, negativePrompt: ' ', width: 64, height: 64, steps: 16, cfg: 4, seed, model: MODEL };
        const img = await pipe.generate(params);
        if (v.id === 'fp32') reference.push(img.rgb);
        else scores.push(psnr(reference[i] as Uint8Array, img.rgb));
        // The first job builds the graphs; time the later ones.
        if (i > 0) stepMs.push(img.timings.denoiseMs / params.steps);
      }
    } finally {
      await pipe.dispose();
    }
    rows.push({
      id: v.id,
      precision: v.precision,
      blockSize: v.blockSize,
      zeroPoints: v.precision === 'int4' ? v.asymmetric : undefined,
      weightRelRmsError:
        v.precision === 'int4'
          ? Math.round((await weightError(model, v.blockSize as number, v.asymmetric as boolean)) * 10000) / 10000
          : undefined,
      psnrDb: scores.map((s) => Math.round(s * 100) / 100),
      minPsnrDb: scores.length ? Math.round(Math.min(...scores) * 100) / 100 : null,
      blockGraphBytes: graphBytes(cacheDir, 'blocks_'),
      modGraphBytes: graphBytes(cacheDir, 'mod_'),
      textEncoderBytes: graphBytes(cacheDir, 'text_encoder'),
      denoiseMsPerStep: Math.round((stepMs.reduce((a, b) => a + b, 0) / stepMs.length) * 10) / 10,
    });
    console.log(JSON.stringify(rows.at(-1)));
  }
  const fp32 = rows[0] as { blockGraphBytes: number; textEncoderBytes: number };
  const result = {
    model: 'native-models/default (bundled, D=64, 4 blocks, text encoder 2 layers)',
    image: '64x64, 16 steps, CFG 4',
    threads: THREADS,
    prompts: PROMPTS.map(([p, s]) => ({ prompt: p, seed: s })),
    variants: rows.map((r) => ({
      ...r,
      blockBytesVsFp32: Math.round((r.blockGraphBytes / fp32.blockGraphBytes) * 1000) / 1000,
      textEncoderBytesVsFp32: Math.round((r.textEncoderBytes / fp32.textEncoderBytes) * 1000) / 1000,
    })),
  };
  writeBenchResult('int4', result, { quiet: true });
}, 1_200_000);
