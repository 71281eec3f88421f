// Re-layout time after typing one character at each offset in turn (for the benchmarks in
// Node and in the browser page alike).
import type { FontRegistry } from '../../../core/typeset/font';
import { layoutText } from '../../../core/typeset/layout';
import type { LayoutInput } from '../../../core/typeset/types';

export function typingTimes(registry: FontRegistry, input: LayoutInput, typedAt: number[]): number[] {
  let current = input.runs.map((r) => r.text).join('');
  return typedAt.map((at) => {
    current = `${current.slice(0, at)}新${current.slice(at)}`;
    const t0 = performance.now();
    layoutText(registry, { ...input, runs: [{ text: current }] });
    return performance.now() - t0;
  });
}
