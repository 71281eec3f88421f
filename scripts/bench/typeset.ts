// Typesetting benchmark (npm run bench): a 10,000-character mixed Chinese/English text in a
// 120 mm column: full layout, and re-layout after typing one character (target < 4 ms), in
// Node and in Chromium, against Chromium's own text layout of the same text with the same
// fonts in the same run. Writes bench/results/typeset.json.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { it } from 'vitest';
import { FontRegistry } from '../../core/typeset/font';
import { layoutText } from '../../core/typeset/layout';
import { DEFAULT_TEXT_STYLE, type LayoutInput } from '../../core/typeset/types';
import { mmToPt } from '../../core/units';
import { openTypesetPage } from '../../tests/e2e/typeset-page/harness';
import { typingTimes } from '../../tests/e2e/typeset-page/typing';
import { bundledFontFile, bundledRegistry } from '../../tests/helpers/fonts';
import { writeBenchResult } from './results';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? Number.NaN;
const r2 = (x: number) => Math.round(x * 100) / 100;

function sampleText(): string {
  const unit =
    '春节期间，全场商品八折优惠（Spring Festival sale: 20% off everything）。活动时间为2026年2月1日至15日，详情请咨询店员。Visit us at 88 Nanjing Road, Shanghai. ';
  let text = '';
  let n = 0;
  while (text.length < 10_000) text += unit + (++n % 8 === 0 ? '\n' : '');
  return text.slice(0, 10_000);
}

it('typesetting benchmark', async () => {
  const text = sampleText();
  const style = { ...DEFAULT_TEXT_STYLE, fontSize: 10, align: 'justify' as const, kinsoku: 'strict' as const };
  const input: LayoutInput = { runs: [{ text }], style, width: mmToPt(120), height: 1e6 };
  const typedAt = Array.from({ length: 60 }, (_, k) => 4000 + k * 7);

  // Node: cold layouts use a fresh registry each time (no caches), fonts already parsed.
  const bundled = await bundledRegistry();
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    const reg = new FontRegistry();
    for (const f of bundled.list()) {
      if (f.meta.family === 'Inter' || f.meta.family === 'Noto Sans SC') reg.add(f.meta, readFileSync(bundledFontFile(f.meta.id)));
    }
    const t0 = performance.now();
    const l = layoutText(reg, input);
    cold.push(performance.now() - t0);
    if (l.lines.length < 100) throw new Error('unexpected layout');
  }
  layoutText(bundled, input);
  const typing = typingTimes(bundled, input, typedAt);

  // Chromium: its own layout engine and ours, same fonts, same run.
  const tp = await openTypesetPage();
  let browser: Awaited<ReturnType<Window['typesetBench']>>;
  try {
    const pxPerPt = 96 / 72;
    browser = await tp.page.evaluate(([i, w, f, at]) => window.typesetBench(i as LayoutInput, w as number, f as number, at as number[]), [
      input,
      mmToPt(120) * pxPerPt,
      10 * pxPerPt,
      typedAt,
    ] as const);
  } finally {
    await tp.close();
  }

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    text: {
      characters: text.length,
      paragraphs: text.split('\n').length,
      column: '120 mm',
      fontSize: '10 pt',
      align: 'justify',
      kinsoku: 'strict',
    },
    node: {
      fullLayoutColdMs: { median: r2(median(cold)), runs: cold.map(r2) },
      typingRelayoutMs: { median: r2(median(typing)), p95: r2(p95(typing)), max: r2(Math.max(...typing)), targetMs: 4 },
    },
    chromium: {
      oursFullLayoutMs: r2(browser.oursFullMs),
      oursTypingRelayoutMs: { median: r2(median(browser.oursTypingMs)), p95: r2(p95(browser.oursTypingMs)) },
      chromiumFullLayoutMs: r2(browser.domFullMs),
      chromiumTypingRelayoutMs: { median: r2(median(browser.domTypingMs)), p95: r2(p95(browser.domTypingMs)) },
    },
    ratios: {
      fullLayoutOursOverChromium: r2(browser.oursFullMs / browser.domFullMs),
      typingOursOverChromium: r2(median(browser.oursTypingMs) / median(browser.domTypingMs)),
    },
    note: 'Chromium lays the same text out in a 120 mm div (same TTF fonts via FontFace, justify, line-break strict); its timing includes style and layout (offsetHeight), not paint. Ours runs core/typeset in the same page.',
  };
  writeBenchResult('typeset', result);
}, 600_000);
