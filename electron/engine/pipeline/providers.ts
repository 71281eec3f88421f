/**
 * Execution providers: which ones this onnxruntime-node build offers, the order a user asked
 * for, and opening a session on the first that works (the CPU provider always takes the nodes
 * an accelerator lacks kernels for). The provider a session opened on is recorded so a job can
 * name where it ran; a provider that failed to start is not retried for every graph.
 */
import * as ort from 'onnxruntime-node';

/** Provider names the engine knows, in onnxruntime-node's spelling. */
export const PROVIDER_NAMES = ['cuda', 'tensorrt', 'webgpu', 'dml', 'coreml', 'cpu'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export function isProviderName(s: string): s is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(s);
}

export interface OfferedProvider {
  name: string;
  /** False when the provider needs libraries installed apart from onnxruntime-node (CUDA, TensorRT). */
  bundled: boolean;
}

/** What this onnxruntime-node build can try on this platform (not a promise the hardware is there). */
export function offeredProviders(): OfferedProvider[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

export class ProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderError';
  }
}

/**
 * Checks a requested provider order against what this build offers. Unknown names and lists
 * with nothing offered are refused; offered-but-absent entries are kept (they fail over at
 * session time with their reason recorded). Default: CPU only.
 */
export function resolveProviders(requested: readonly string[] | undefined): ProviderName[] {
  if (!requested || requested.length === 0) return ['cpu'];
  const offered = offeredProviders().map((p) => p.name);
  const out: ProviderName[] = [];
  for (const raw of requested) {
    const name = raw.trim().toLowerCase();
    if (!isProviderName(name)) throw new ProviderError(`Unknown execution provider "${raw}"; known: ${PROVIDER_NAMES.join(', ')}.`);
    if (offered.includes(name) && !out.includes(name)) out.push(name);
  }
  if (out.length === 0)
    throw new ProviderError(
      `None of the execution providers ${requested.join(', ')} is offered by this onnxruntime-node build; it offers ${offered.join(', ')}.`,
    );
  return out;
}

/** Why a provider could not start in this process (kept so later graphs skip it). */
const failed = new Map<string, string>();

export function providerFailures(): ReadonlyMap<string, string> {
  return failed;
}

const providerOfSession = new WeakMap<ort.InferenceSession, string>();

/** The provider a session was opened on. */
export function providerOf(session: ort.InferenceSession): string | undefined {
  return providerOfSession.get(session);
}

/** Opens a session on the first provider of `providers` that starts; errors name every reason. */
export async function createOnProviders(
  path: string,
  providers: readonly ProviderName[],
  options: Omit<ort.InferenceSession.SessionOptions, 'executionProviders'>,
): Promise<ort.InferenceSession> {
  const reasons: string[] = [];
  for (const [i, p] of providers.entries()) {
    const known = failed.get(p);
    if (known && i < providers.length - 1) {
      reasons.push(`${p}: ${known}`);
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(path, { ...options, executionProviders: [p] });
      providerOfSession.set(session, p);
      return session;
    } catch (err) {
      const reason = firstLine((err as Error).message);
      // A model that cannot load fails on the CPU too; that is not the provider's fault.
      if (p === 'cpu' || i === providers.length - 1) {
        if (reasons.length === 0) throw err;
        throw new ProviderError(`No execution provider could open ${path}: ${[...reasons, `${p}: ${reason}`].join('; ')}`);
      }
      failed.set(p, reason);
      reasons.push(`${p}: ${reason}`);
    }
  }
  throw new ProviderError(`No execution provider could open ${path}: ${reasons.join('; ')}`);
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim()) ?? s;
  return line.length > 240 ? `${line.slice(0, 240)}…` : line;
}
