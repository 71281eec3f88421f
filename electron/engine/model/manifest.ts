/**
 * Model folders. `importModel` reads a folder laid out like the published diffusers release
 * (or one that already has our manifest), validates every config, checks that every tensor the
 * engine needs is present with the right shape, hashes every file, and writes `model.json`.
 * `openModel` verifies a folder against its manifest before use: 'fast' checks presence, sizes
 * and headers; 'full' also re-hashes every byte.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open, readdir, readFile, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { type ComponentName, expectedTensors, parseTextEncoderConfig, SchedulerConfig, TransformerConfig, VaeConfig } from './configs.js';
import { ModelError } from './errors.js';
import { WeightSet } from './weights.js';

export const QWEN_IMAGE_TEMPLATE =
  '<|im_start|>system\nDescribe the image by detailing the color, shape, size, texture, quantity, text, spatial relationships of the objects and background:<|im_end|>\n<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n';
export const QWEN_IMAGE_DROP_TOKENS = 34;

const FileEntry = z.object({ path: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type FileEntry = z.infer<typeof FileEntry>;

export const ModelManifest = z.object({
  format: z.literal('poster-model'),
  version: z.literal(1),
  family: z.literal('qwen-image'),
  name: z.string(),
  components: z.object({
    transformer: z.object({ config: TransformerConfig, files: z.array(FileEntry) }),
    text_encoder: z.object({ config: z.unknown().transform((v) => parseTextEncoderConfig(v)), files: z.array(FileEntry) }),
    vae: z.object({ config: VaeConfig, files: z.array(FileEntry) }),
  }),
  tokenizer: z.object({ files: z.array(FileEntry) }),
  scheduler: SchedulerConfig,
  vae_latents: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }),
  prompt: z.object({ template: z.string().includes('{}'), dropTokens: z.number().int().nonnegative() }),
});
export type ModelManifest = z.infer<typeof ModelManifest>;

export interface LoadedModel {
  dir: string;
  manifest: ModelManifest;
  weights(component: ComponentName): Promise<WeightSet>;
  tokenizerDir: string;
}

export type ImportProgress = (done: number, total: number, file: string) => void;

const COMPONENTS: ComponentName[] = ['transformer', 'text_encoder', 'vae'];

async function readJson(dir: string, rel: string): Promise<unknown> {
  const path = join(dir, rel);
  if (!existsSync(path)) throw new ModelError('missing-file', `${rel} is missing from ${dir}. Copy the whole model folder again.`);
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new ModelError('bad-config', `${rel} in ${dir} is not valid JSON.`);
  }
}

async function parseConfig<T>(rel: string, parse: () => T | Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (err) {
    if (err instanceof ModelError) throw err;
    const issues = (err as { issues?: { path: (string | number)[]; message: string }[] }).issues;
    const detail = issues?.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') ?? (err as Error).message;
    throw new ModelError('bad-config', `${rel} is not a valid config: ${detail}`);
  }
}

async function sha256(path: string, onBytes?: (n: number) => void): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 2 ** 20 })) {
    h.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return h.digest('hex');
}

async function listFiles(dir: string, rel: string): Promise<string[]> {
  const abs = join(dir, rel);
  if (!existsSync(abs)) throw new ModelError('missing-file', `${rel}/ is missing from ${dir}. Copy the whole model folder again.`);
  return (await readdir(abs, { withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => `${rel}/${e.name}`)
    .sort();
}

/** Checks each expected tensor's presence and shape. */
async function checkTensors(dir: string, component: ComponentName, config: unknown): Promise<void> {
  const set = await WeightSet.open(dir, component);
  try {
    const prefix =
      component === 'text_encoder' && !set.has('model.embed_tokens.weight') && set.has('model.language_model.embed_tokens.weight')
        ? 'model.language_model.'
        : 'model.';
    const expected =
      component === 'transformer'
        ? expectedTensors('transformer', config as TransformerConfig)
        : component === 'vae'
          ? expectedTensors('vae', config as VaeConfig)
          : expectedTensors('text_encoder', config as ReturnType<typeof parseTextEncoderConfig>, prefix);
    for (const t of expected) {
      const shape = set.shape(t.name);
      if (!shape)
        throw new ModelError(
          'missing-tensor',
          `${component}: tensor ${t.name} is missing. The weights do not match ${component}/config.json.`,
        );
      if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
        throw new ModelError(
          'shape',
          `${component}: tensor ${t.name} has shape [${shape.join(', ')}] but ${component}/config.json implies [${t.shape.join(', ')}].`,
        );
      }
    }
  } finally {
    await set.close();
  }
}

/** Imports a diffusers-layout folder: validates, checks tensors, hashes, writes model.json. */
export async function importModel(dir: string, opts: { onProgress?: ImportProgress; name?: string } = {}): Promise<ModelManifest> {
  const configs = {
    transformer: await parseConfig('transformer/config.json', async () =>
      TransformerConfig.parse(await readJson(dir, 'transformer/config.json')),
    ),
    text_encoder: await parseConfig('text_encoder/config.json', async () =>
      parseTextEncoderConfig(await readJson(dir, 'text_encoder/config.json')),
    ),
    vae: await parseConfig('vae/config.json', async () => VaeConfig.parse(await readJson(dir, 'vae/config.json'))),
  };
  const t = configs.transformer;
  if (t.axes_dims_rope.reduce((a, b) => a + b, 0) !== t.attention_head_dim) {
    throw new ModelError(
      'bad-config',
      `transformer/config.json: axes_dims_rope [${t.axes_dims_rope.join(', ')}] must add up to attention_head_dim ${t.attention_head_dim}.`,
    );
  }
  if (t.joint_attention_dim !== configs.text_encoder.hidden_size) {
    throw new ModelError(
      'bad-config',
      `transformer/config.json: joint_attention_dim ${t.joint_attention_dim} differs from the text encoder's hidden_size ${configs.text_encoder.hidden_size}.`,
    );
  }
  const scheduler = existsSync(join(dir, 'scheduler/scheduler_config.json'))
    ? await parseConfig('scheduler/scheduler_config.json', async () =>
        SchedulerConfig.parse(await readJson(dir, 'scheduler/scheduler_config.json')),
      )
    : SchedulerConfig.parse({});
  const promptFile = join(dir, 'prompt.json');
  const prompt = existsSync(promptFile)
    ? await parseConfig('prompt.json', async () =>
        z
          .object({ template: z.string().includes('{}'), dropTokens: z.number().int().nonnegative() })
          .parse(await readJson(dir, 'prompt.json')),
      )
    : { template: QWEN_IMAGE_TEMPLATE, dropTokens: QWEN_IMAGE_DROP_TOKENS };
  for (const c of COMPONENTS) await checkTensors(dir, c, configs[c]);

  const fileLists: Record<ComponentName | 'tokenizer', string[]> = {
    transformer: await listFiles(dir, 'transformer'),
    text_encoder: await listFiles(dir, 'text_encoder'),
    vae: await listFiles(dir, 'vae'),
    tokenizer: await listFiles(dir, 'tokenizer'),
  };
  const all = Object.values(fileLists).flat();
  let total = 0;
  for (const f of all) total += (await stat(join(dir, f))).size;
  let done = 0;
  const entries = new Map<string, FileEntry>();
  for (const f of all) {
    const path = join(dir, f);
    const bytes = (await stat(path)).size;
    const hash = await sha256(path, (n) => {
      done += n;
      opts.onProgress?.(done, total, f);
    });
    entries.set(f, { path: f, bytes, sha256: hash });
  }
  const files = (k: ComponentName | 'tokenizer'): FileEntry[] => fileLists[k].map((f) => entries.get(f) as FileEntry);
  const manifest: ModelManifest = {
    format: 'poster-model',
    version: 1,
    family: 'qwen-image',
    name: opts.name ?? basename(dir),
    components: {
      transformer: { config: configs.transformer, files: files('transformer') },
      text_encoder: { config: configs.text_encoder, files: files('text_encoder') },
      vae: { config: configs.vae, files: files('vae') },
    },
    tokenizer: { files: files('tokenizer') },
    scheduler,
    vae_latents: { mean: configs.vae.latents_mean, std: configs.vae.latents_std },
    prompt,
  };
  const tmp = join(dir, `.model.json.${process.pid}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, 'model.json'));
  return manifest;
}

/** Checks the folder against its manifest. */
export async function verifyModel(
  dir: string,
  manifest: ModelManifest,
  level: 'fast' | 'full',
  onProgress?: ImportProgress,
): Promise<void> {
  const all = [...COMPONENTS.flatMap((c) => manifest.components[c].files), ...manifest.tokenizer.files];
  const total = all.reduce((s, f) => s + f.bytes, 0);
  let done = 0;
  for (const f of all) {
    const path = join(dir, f.path);
    if (!existsSync(path)) throw new ModelError('missing-file', `${f.path} is missing from ${dir}. Copy the whole model folder again.`);
    const size = (await stat(path)).size;
    if (size < f.bytes)
      throw new ModelError('truncated', `${f.path} is truncated: ${size} of ${f.bytes} bytes. Copy or download it again.`);
    if (size !== f.bytes)
      throw new ModelError(
        'checksum',
        `${f.path} has ${size} bytes but the manifest records ${f.bytes}. The file was changed: copy it again.`,
      );
  }
  // Headers parse and every needed tensor is in place with the right shape.
  for (const c of COMPONENTS) await checkTensors(dir, c, manifest.components[c].config);
  if (level !== 'full') return;
  for (const f of all) {
    const hash = await sha256(join(dir, f.path), (n) => {
      done += n;
      onProgress?.(done, total, f.path);
    });
    if (hash !== f.sha256)
      throw new ModelError(
        'checksum',
        `${f.path} does not match its checksum (sha256 ${hash.slice(0, 12)}…, expected ${f.sha256.slice(0, 12)}…). The file is damaged: copy or download it again.`,
      );
  }
}

export async function readManifest(dir: string): Promise<ModelManifest> {
  const raw = await readJson(dir, 'model.json');
  return parseConfig('model.json', () => ModelManifest.parse(raw));
}

/** Opens a model folder for the engine, importing it first when it has no manifest. */
export async function openModel(dir: string, opts: { verify?: 'fast' | 'full'; onProgress?: ImportProgress } = {}): Promise<LoadedModel> {
  if (!existsSync(dir)) throw new ModelError('missing-file', `model folder ${dir} does not exist.`);
  const manifest = existsSync(join(dir, 'model.json')) ? await readManifest(dir) : await importModel(dir, { onProgress: opts.onProgress });
  await verifyModel(dir, manifest, opts.verify ?? 'fast', opts.onProgress);
  return {
    dir,
    manifest,
    weights: (c) => WeightSet.open(dir, c),
    tokenizerDir: join(dir, 'tokenizer'),
  };
}
