// A failed job's engine message, turned into what happened and what to do about it, in the UI's
// language. The engine's own words stay visible underneath for the details (file names, sizes).
import type { StringKey } from '../i18n/strings';

export interface JobErrorText {
  what: StringKey;
  fix: StringKey;
}

const RULES: [RegExp, JobErrorText][] = [
  [/could not be stored/i, { what: 'errStore', fix: 'errStoreFix' }],
  [/No installed model|No installed model or folder/i, { what: 'errNoModel', fix: 'errNoModelFix' }],
  [/out of memory|not enough memory|bad_alloc|ENOMEM|memory budget|exceeds? the budget/i, { what: 'errMemory', fix: 'errMemoryFix' }],
  [/is missing from|folder .* does not exist|weight .* is missing/i, { what: 'errMissingFile', fix: 'errMissingFileFix' }],
  [/truncated|checksum|safetensors|header|damaged|shape/i, { what: 'errDamaged', fix: 'errDamagedFix' }],
  [/engine stopped|engine worker|could not take the job|engine process/i, { what: 'errWorker', fix: 'errWorkerFix' }],
];

export function explainJobError(message: string | undefined): JobErrorText {
  const text = message ?? '';
  // A crash caused by memory says so in its signal or message; memory wins over "stopped".
  if (/signal SIGKILL/.test(text)) return { what: 'errMemory', fix: 'errMemoryFix' };
  return RULES.find(([re]) => re.test(text))?.[1] ?? { what: 'errUnknown', fix: 'errUnknownFix' };
}
