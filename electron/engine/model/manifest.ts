/**
 * Model folders: the public face of electron/engine/model. `importModel` reads a folder laid out
 * like the published diffusers release (or one that already has our manifest) and writes
 * `model.json`; `openModel` verifies a folder against it before use ('fast': presence, sizes,
 * headers and shapes; 'full': also every byte's sha256).
 */
export { readManifest } from './checks.js';
export type { ComponentName } from './configs.js';
export { ModelError, type ModelErrorCode } from './errors.js';
export { type ImportOptions, importModel } from './import.js';
export {
  COMPONENTS,
  FileEntry,
  type ImportProgress,
  type LoadedModel,
  ModelManifest,
  manifestFiles,
  PromptSettings,
  QWEN_IMAGE_DROP_TOKENS,
  QWEN_IMAGE_TEMPLATE,
} from './schema.js';
export { type OpenOptions, openModel, type VerifyLevel, verifyModel } from './verify.js';
