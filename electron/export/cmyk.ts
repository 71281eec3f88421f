// The CMYK export setup: the bundled output profile (resources/icc) or a user's .icc, checked
// before anything is rendered, with the OutputIntent fields and the preflight hooks it implies.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CmykTransform, IccError, type Intent } from '../../core/color/icc';
import type { CmykPreflight } from '../../core/preflight';
import { resourceDir } from '../store/resources';
import type { CmykOptions } from './pdf';

export const BUNDLED_PROFILE = 'PosterStudio-CoatedFOGRA39L.icc';
/** What the bundled profile was built with (scripts/icc/build-profile.sh, colprof -l 300). */
const BUNDLED_INK_LIMIT = 300;

/** Said wherever a CMYK PDF is written: we aim at PDF/X-4 but cannot validate it here. */
export const PDFX_NOTE = 'aimed at PDF/X-4, not checked with a PDF/X validator';

export interface CmykSetup {
  options: CmykOptions;
  transform: CmykTransform;
  /** The profile's name for reports. */
  name: string;
  preflight: CmykPreflight;
}

export function bundledProfilePath(): string {
  const dir = resourceDir('icc', 'POSTER_ICC_DIR', BUNDLED_PROFILE);
  if (!dir) throw new Error(`The bundled CMYK profile (resources/icc/${BUNDLED_PROFILE}) is missing; reinstall the app.`);
  return path.join(dir, BUNDLED_PROFILE);
}

/**
 * Loads and checks a CMYK output profile (the bundled one when `file` is undefined). A file that
 * cannot be read, or is not a CMYK output profile, gives an IccError naming the file.
 */
export async function loadCmykSetup(file: string | undefined, intent: Intent = 'perceptual', inkLimit?: number): Promise<CmykSetup> {
  const where = file ?? bundledProfilePath();
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fsp.readFile(where));
  } catch (e) {
    throw new IccError(`Cannot read the ICC profile ${where}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  let transform: CmykTransform;
  try {
    transform = new CmykTransform(bytes, intent);
  } catch (e) {
    if (e instanceof IccError) throw new IccError(`${path.basename(where)}: ${e.message}`);
    throw e;
  }
  const bundled = file === undefined;
  const name = bundled ? `${transform.profile.description} (bundled)` : `${transform.profile.description} (${path.basename(where)})`;
  // Our own profile's limit is known; for another, what its table can produce is the best guess.
  const limit = inkLimit ?? (bundled ? BUNDLED_INK_LIMIT : Math.round(transform.maxTotalInk()));
  const options: CmykOptions = bundled
    ? {
        profile: bytes,
        intent,
        outputConditionIdentifier: 'FOGRA39',
        registryName: 'http://www.color.org',
        info: `Coated FOGRA39 (ISO 12647-2:2004/Amd 1, paper type 1/2). Profile built by Poster Studio from the FOGRA39L characterization data with ArgyllCMS; not the official FOGRA39 profile.`,
      }
    : { profile: bytes, intent, outputConditionIdentifier: 'Custom', info: transform.profile.description };
  return {
    options,
    transform,
    name,
    preflight: { profile: name, inkLimit: limit, convert: (hex) => transform.fromHex(hex) },
  };
}
