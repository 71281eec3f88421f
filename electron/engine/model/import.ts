/**
 * Importing a model folder laid out like the published diffusers release (or one that already
 * has our model.json): validate every config, check that every tensor the engine needs is
 * present with the right shape, hash every file, and write model.json atomically.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { checkTensors, listFiles, parseConfig, readJson, readManifest, sha256File, writeFileAtomic } from './checks.js';
import {
  type ComponentName,
  configProblems,
  type ModelConfigs,
  parseTextEncoderConfig,
  SchedulerConfig,
  TransformerConfig,
  VaeConfig,
} from './configs.js';
import { ModelError } from './errors.js';
import {
  COMPONENTS,
  type FileEntry,
  type ImportProgress,
  ModelManifest,
  NativeSettings,
  PromptSettings,
  QWEN_IMAGE_DROP_TOKENS,
  QWEN_IMAGE_TEMPLATE,
} from './schema.js';
import { WeightSet } from './weights.js';

export interface ImportOptions {
  onProgress?: ImportProgress;
  /** Display name; defaults to the previous manifest's name or the folder name. */
  name?: string;
}

const PARSERS: { [C in ComponentName]: (raw: unknown) => ModelConfigs[C] } = {
  transformer: (raw) => TransformerConfig.parse(raw),
  text_encoder: (raw) => parseTextEncoderConfig(raw),
  vae: (raw) => VaeConfig.parse(raw),
};

async function componentConfig<C extends ComponentName>(dir: string, c: C, previous: ModelManifest | undefined): Promise<ModelConfigs[C]> {
  const rel = `${c}/config.json`;
  // A folder that already has our manifest may leave out the diffusers config files.
  if (!existsSync(join(dir, rel)) && previous) return previous.components[c].config as ModelConfigs[C];
  const raw = await readJson(dir, rel);
  return parseConfig(rel, () => PARSERS[c](raw));
}

async function checkTokenizer(dir: string): Promise<string[]> {
  const files = await listFiles(dir, 'tokenizer');
  const has = (f: string): boolean => files.includes(`tokenizer/${f}`);
  if (!has('tokenizer.json')) {
    for (const f of ['vocab.json', 'merges.txt'])
      if (!has(f)) throw new ModelError('missing-file', `tokenizer/${f} is missing from ${dir}. Copy the whole model folder again.`);
  }
  return files;
}

/** The files recorded for a component: its JSON files and the weight files actually used. */
async function componentFiles(dir: string, c: ComponentName): Promise<string[]> {
  const json = (await readdir(join(dir, c))).filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => `${c}/${n}`);
  const set = await WeightSet.open(dir, c);
  try {
    return [...new Set([...json, ...set.files])].sort();
  } finally {
    await set.close();
  }
}

export async function importModel(dir: string, opts: ImportOptions = {}): Promise<ModelManifest> {
  if (!existsSync(dir)) throw new ModelError('missing-file', `model folder ${dir} does not exist.`);
  const previous = existsSync(join(dir, 'model.json')) ? await readManifest(dir).catch(() => undefined) : undefined;

  const configs: ModelConfigs = {
    transformer: await componentConfig(dir, 'transformer', previous),
    text_encoder: await componentConfig(dir, 'text_encoder', previous),
    vae: await componentConfig(dir, 'vae', previous),
  };
  const problems = configProblems(configs);
  if (problems.length)
    throw new ModelError('bad-config', `${problems.join(' ')} The configs do not describe one model: copy the whole model folder again.`);

  const schedulerRel = 'scheduler/scheduler_config.json';
  const scheduler = existsSync(join(dir, schedulerRel))
    ? await parseConfig(schedulerRel, async () => SchedulerConfig.parse(await readJson(dir, schedulerRel)))
    : (previous?.scheduler ?? SchedulerConfig.parse({}));
  const prompt = existsSync(join(dir, 'prompt.json'))
    ? await parseConfig('prompt.json', async () => PromptSettings.parse(await readJson(dir, 'prompt.json')))
    : (previous?.prompt ?? { template: QWEN_IMAGE_TEMPLATE, dropTokens: QWEN_IMAGE_DROP_TOKENS });

  const native = existsSync(join(dir, 'native.json'))
    ? await parseConfig('native.json', async () => NativeSettings.parse(await readJson(dir, 'native.json')))
    : previous?.native;

  const tokenizerFiles = await checkTokenizer(dir);
  for (const c of COMPONENTS) await checkTensors(dir, c, configs[c]);

  const lists: Record<ComponentName | 'tokenizer', string[]> = {
    transformer: await componentFiles(dir, 'transformer'),
    text_encoder: await componentFiles(dir, 'text_encoder'),
    vae: await componentFiles(dir, 'vae'),
    tokenizer: tokenizerFiles,
  };
  const all = Object.values(lists).flat();
  const sizes = new Map<string, number>();
  for (const f of all) sizes.set(f, (await stat(join(dir, f))).size);
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  let done = 0;
  opts.onProgress?.(0, total, all[0] ?? '');
  const entries = new Map<string, FileEntry>();
  for (const f of all) {
    const sha256 = await sha256File(join(dir, f), (n) => {
      done += n;
      opts.onProgress?.(done, total, f);
    });
    entries.set(f, { path: f, bytes: sizes.get(f) as number, sha256 });
  }
  const files = (k: ComponentName | 'tokenizer'): FileEntry[] => lists[k].map((f) => entries.get(f) as FileEntry);
  const manifest = ModelManifest.parse({
    format: 'poster-model',
    version: 1,
    family: 'qwen-image',
    name: opts.name ?? previous?.name ?? basename(dir),
    components: {
      transformer: { config: configs.transformer, files: files('transformer') },
      text_encoder: { config: configs.text_encoder, files: files('text_encoder') },
      vae: { config: configs.vae, files: files('vae') },
    },
    tokenizer: { files: files('tokenizer') },
    scheduler,
    vae_latents: { mean: configs.vae.latents_mean, std: configs.vae.latents_std },
    prompt,
    ...(native ? { native } : {}),
  } satisfies ModelManifest);
  await writeFileAtomic(join(dir, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
