/**
 * Memory budgets: parsing what a user types ("24G", "512M", "1.5T"), the default from measured
 * free memory, and byte formatting for plans. Sizes are binary: 1K = 1024 bytes, "G", "GB" and
 * "GiB" all mean 2^30 bytes (how memory is sold and how operating systems report it).
 */
import { execFile } from 'node:child_process';
import os from 'node:os';

export class BudgetError extends Error {}

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** "24G", "24GB", "24GiB", "512M", "1.5T", "1048576B" -> bytes (whole). A bare number is refused. */
export function parseBytes(text: string, what = 'budget'): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m || (!m[2] && !m[3])) throw new BudgetError(`${what} needs a size with a unit, like 24G, 512M, 32GB or 1.5T; got "${text}"`);
  const bytes = Math.floor(Number(m[1]) * (UNITS[(m[2] ?? '').toUpperCase()] as number));
  if (!Number.isSafeInteger(bytes)) throw new BudgetError(`${what} is too large: "${text}"`);
  return bytes;
}

/** Reserve kept back from free memory: 15% of it or 2 GiB, whichever is larger. */
export function reserveFor(freeBytes: number): number {
  return Math.max(Math.floor(freeBytes * 0.15), 2 * 2 ** 30);
}

/** Default budget from measured free memory: free minus the reserve, never negative. */
export function defaultBudget(freeBytes: number): number {
  return Math.max(0, freeBytes - reserveFor(freeBytes));
}

export interface MeasuredBudget {
  budgetBytes: number;
  freeBytes: number;
  reserveBytes: number;
  source: string;
}

export function defaultRamBudget(freeBytes = os.freemem()): MeasuredBudget {
  return { budgetBytes: defaultBudget(freeBytes), freeBytes, reserveBytes: reserveFor(freeBytes), source: 'free RAM' };
}

/**
 * Free memory of the first NVIDIA GPU from nvidia-smi, or undefined where there is none (other
 * vendors have no portable query; pass --gpu-budget there).
 */
export async function measureNvidiaFree(timeoutMs = 3000): Promise<MeasuredBudget | undefined> {
  const out = await new Promise<string | undefined>((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=memory.free,name', '--format=csv,noheader,nounits'], { timeout: timeoutMs }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
  return out === undefined ? undefined : parseNvidiaSmi(out);
}

/** The first line of `nvidia-smi --query-gpu=memory.free,name --format=csv,noheader,nounits` ("81079, NVIDIA H100 80GB HBM3"). */
export function parseNvidiaSmi(stdout: string): MeasuredBudget | undefined {
  const line = stdout.split('\n')[0]?.trim();
  const m = line ? /^(\d+)\s*,\s*(.+)$/.exec(line) : null;
  if (!m) return undefined;
  const freeBytes = Number(m[1]) * 2 ** 20;
  return { budgetBytes: defaultBudget(freeBytes), freeBytes, reserveBytes: reserveFor(freeBytes), source: `free memory of ${m[2]}` };
}

/** 1536 -> "1.5 KiB"; two decimals from GiB up. */
export function formatBytes(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 2 ** 40) return `${(n / 2 ** 40).toFixed(2)} TiB`;
  if (abs >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (abs >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (abs >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

/** A budget a user can type back that is at least n bytes: "3.43G" rounded up to 0.01 GiB. */
export function bytesArg(n: number): string {
  if (n >= 2 ** 30) return `${(Math.ceil((n / 2 ** 30) * 100) / 100).toFixed(2)}G`;
  return `${Math.ceil(n / 2 ** 20)}M`;
}

/** How a measured budget came about, e.g. "free RAM 20.1 GiB minus a 2.00 GiB reserve". */
export function describeBudget(m: MeasuredBudget): string {
  return `${m.source} ${formatBytes(m.freeBytes)} minus a ${formatBytes(m.reserveBytes)} reserve`;
}
