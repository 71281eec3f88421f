// A failed job's engine message becomes a sentence with the fix, in both UI languages; the
// messages here are the engine's own (model checks, the worker host, the service).
import { describe, expect, it } from 'vitest';
import { STRINGS } from '../../renderer/src/i18n/strings';
import { explainJobError } from '../../renderer/src/panels/job-errors';

const cases: [string, string][] = [
  ['transformer/diffusion_pytorch_model.safetensors is missing from /m. Copy the whole model folder again.', 'errMissingFile'],
  ['vae/x.safetensors is truncated: it has 10 of its 20 bytes. The copy or download was interrupted: copy it again.', 'errDamaged'],
  ['vae/x.safetensors does not match its checksum (sha256 abc…, model.json records def…).', 'errDamaged'],
  ['The image engine stopped unexpectedly (exit code 1). The job was not finished; try again.', 'errWorker'],
  ['The image engine stopped unexpectedly (signal SIGKILL). The job was not finished; try again.', 'errMemory'],
  ['The image was generated but could not be stored: ENOSPC: no space left on device', 'errStore'],
  ['No installed model "user-1-x". Import the model folder first.', 'errNoModel'],
  ['onnxruntime: std::bad_alloc', 'errMemory'],
  ['something nobody foresaw', 'errUnknown'],
];

describe('job error explanations', () => {
  it.each(cases)('%s -> %s', (message, what) => {
    const e = explainJobError(message);
    expect(e.what).toBe(what);
    expect(e.fix).toBe(`${what}Fix`);
    for (const lang of ['en', 'zh'] as const) {
      const table = STRINGS[lang] as Record<string, string>;
      expect(table[e.what], `${lang}.${e.what}`).toMatch(/\S/);
      expect(table[e.fix], `${lang}.${e.fix}`).toMatch(/\S/);
    }
  });

  it('explains a missing message as an unknown problem', () => {
    expect(explainJobError(undefined)).toEqual({ what: 'errUnknown', fix: 'errUnknownFix' });
  });
});
