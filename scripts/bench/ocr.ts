// OCR benchmark (npm run bench): the text check's time per image at 512, 1024 and 2048 px, in
// this process (readText's own cost) and through the engine process the app uses (one IPC round
// trip with the PNG). The images are poster-like: a coloured background with a bilingual
// headline and a smaller line, their size a fixed fraction of the image, drawn with Noto Sans SC.
// Also how long the calling process's event loop stalls meanwhile (the app's main process, were it
// to run OCR itself). Writes bench/results/ocr.json (median of 3 runs, the first run of each size
// apart as cold; accuracy of each size too).
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { it } from 'vitest';
import { ProcessExecutor } from '../../electron/engine/runtime/host';
import { checkPaintedText } from '../../electron/engine/text-check/index';
import { writeBenchResult } from './results';

const root = path.resolve(import.meta.dirname, '../..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
/** Runs `fn` and reports the longest the calling process's event loop was held up meanwhile. */
async function withStall<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; stallMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t = performance.now();
  const value = await fn();
  const ms = performance.now() - t;
  h.disable();
  return { value, ms, stallMs: h.max / 1e6 };
}

const HEADLINE = '春节快乐 Happy New Year';
const SUBLINE = '全场八折 20% off 2月1日至15日';

function poster(side: number): Uint8Array {
  GlobalFonts.registerFromPath(path.join(root, 'node_modules/@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf'), 'BenchSC');
  const c = createCanvas(side, side);
  const g = c.getContext('2d');
  const grad = g.createLinearGradient(0, 0, 0, side);
  grad.addColorStop(0, '#b3141c');
  grad.addColorStop(1, '#e8553d');
  g.fillStyle = grad;
  g.fillRect(0, 0, side, side);
  g.fillStyle = '#ffe9a8';
  g.textAlign = 'center';
  g.font = `${Math.round(side / 16)}px BenchSC`;
  g.fillText(HEADLINE, side / 2, side * 0.3);
  g.font = `${Math.round(side / 28)}px BenchSC`;
  g.fillText(SUBLINE, side / 2, side * 0.75);
  return c.toBuffer('image/png');
}

it('OCR time per image', async () => {
  const expected = `${HEADLINE}\n${SUBLINE}`;
  const workerPath = path.join(root, 'out/main/engine-worker.js');
  if (!existsSync(workerPath)) throw new Error('build first (npx electron-vite build): out/main/engine-worker.js is missing');
  const executor = new ProcessExecutor({ workerPath, cacheDir: mkdtempSync(path.join(os.tmpdir(), 'ocr-bench-')) });
  const sizes = [];
  try {
    // The event loop's stall with nothing to do, as a baseline (other processes share the CPUs).
    const idle = await withStall(() => new Promise((r) => setTimeout(r, 3000)));
    const t0 = performance.now();
    await executor.textCheck(poster(256), expected); // starts the process and loads the OCR model
    const engineStartMs = performance.now() - t0;
    await checkPaintedText(poster(256), expected);
    for (const side of [512, 1024, 2048]) {
      const png = poster(side);
      const local: number[] = [];
      const remote: number[] = [];
      const localStall: number[] = [];
      const remoteStall: number[] = [];
      let accuracy = 0;
      const t = performance.now();
      await checkPaintedText(png, expected);
      const firstMs = performance.now() - t;
      for (let i = 0; i < 3; i++) {
        const here = await withStall(() => checkPaintedText(png, expected));
        accuracy = here.value.accuracy;
        local.push(here.ms);
        localStall.push(here.stallMs);
        const there = await withStall(() => executor.textCheck(png, expected));
        remote.push(there.ms);
        remoteStall.push(there.stallMs);
      }
      sizes.push({
        side,
        pngBytes: png.length,
        firstInProcessMs: Math.round(firstMs),
        inProcessMs: Math.round(median(local)),
        engineProcessMs: Math.round(median(remote)),
        inProcessEventLoopStallMs: Math.round(Math.max(...localStall)),
        engineProcessEventLoopStallMs: Math.round(Math.max(...remoteStall)),
        accuracy: Math.round(accuracy * 1000) / 1000,
      });
      console.log(JSON.stringify(sizes.at(-1)));
    }
    const result = {
      date: new Date().toISOString(),
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      engineStartAndModelLoadMs: Math.round(engineStartMs),
      idleEventLoopStallMs: Math.round(idle.stallMs),
      loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
      sizes,
      note: 'Median of 3 after a first (cold) run, on a machine shared with other jobs. inProcessMs: readText + compare in the calling process; engineProcessMs: the same through the engine process (what the app does), PNG sent over IPC. *EventLoopStallMs: the longest the calling (app main) process could not run anything while the check ran (max over the 3 runs): this is why the app runs OCR in the engine process.',
    };
    writeBenchResult('ocr', result);
  } finally {
    await executor.terminate();
  }
}, 1_800_000);
