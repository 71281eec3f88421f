// "Retry with new seeds until the text matches": generate, check what OCR reads, keep the best,
// stop at 100% or after N tries. Plain logic over two calls (generate one seed, check one image),
// so the renderer drives it through the API and tests drive it with a real engine.
import type { TextCheckResult } from './api/contract';

export interface RetryImage {
  sha256: string;
  width: number;
  height: number;
}

export interface RetryAttempt {
  seed: number;
  image: RetryImage;
  check: TextCheckResult;
}

export interface RetryDeps {
  /** Generates with this seed (every other setting as the original job) and resolves with the finished image. */
  generate(seed: number): Promise<RetryImage>;
  /** What OCR reads in the image against the text to paint. */
  check(image: RetryImage): Promise<TextCheckResult>;
  /** The next seed to try (random in the app; fixed in tests). */
  nextSeed(): number;
}

export interface RetryOptions {
  /** How many new seeds to try at most (1..20). */
  tries: number;
  /** The attempt that prompted the retry: it counts as the best so far, not as a try. */
  initial?: RetryAttempt;
  /** Called after each try with its 1-based number and the best attempt so far. */
  onAttempt?: (attempt: RetryAttempt, tryNumber: number, best: RetryAttempt) => void;
  /** Asked before each try: true stops the loop (a try in progress is left to finish). */
  stopped?: () => boolean;
}

export interface RetryResult {
  /** The attempt with the highest accuracy (the earliest among equals); undefined if nothing ran. */
  best: RetryAttempt | undefined;
  /** The tries made, in order (without `initial`). */
  attempts: RetryAttempt[];
  /** The best attempt reads exactly as asked. */
  matched: boolean;
}

export const MAX_RETRIES = 20;

export async function retryUntilMatch(deps: RetryDeps, opts: RetryOptions): Promise<RetryResult> {
  if (!Number.isInteger(opts.tries) || opts.tries < 1 || opts.tries > MAX_RETRIES)
    throw new RangeError(`The number of tries must be a whole number from 1 to ${MAX_RETRIES}, got ${opts.tries}.`);
  let best = opts.initial;
  const attempts: RetryAttempt[] = [];
  const matched = () => best !== undefined && best.check.accuracy >= 1;
  for (let n = 1; n <= opts.tries && !matched() && !opts.stopped?.(); n++) {
    const seed = deps.nextSeed();
    const image = await deps.generate(seed);
    const attempt: RetryAttempt = { seed, image, check: await deps.check(image) };
    attempts.push(attempt);
    if (!best || attempt.check.accuracy > best.check.accuracy) best = attempt;
    opts.onAttempt?.(attempt, n, best);
  }
  return { best, attempts, matched: matched() };
}
