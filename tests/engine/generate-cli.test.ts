// `poster generate` as a user runs it (the built CLI, a tiny model folder): a PNG of the asked
// size with the settings in its text chunks, the same bytes for the same seed, clear errors for
// bad arguments, and Ctrl+C leaving no file behind.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readImageInfo } from '../../core/image-info';
import { readPngText } from '../../electron/export/png-stream';
import { makeTinyQwenImage } from './tiny';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/poster.mjs');
const work = mkdtempSync(join(tmpdir(), 'gen-cli-'));
const model = join(work, 'tiny');

async function poster(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  await makeTinyQwenImage(model);
}, 60_000);

describe('poster generate', () => {
  it('writes a PNG of the asked size with the settings in it, the same bytes for the same seed', async () => {
    const a = join(work, 'a.png');
    const b = join(work, 'b.png');
    const args = [
      '--prompt',
      '红色背景，金色圆点 red background',
      '--negative',
      'blurry',
      '--size',
      '96x64',
      '--steps',
      '3',
      '--cfg',
      '2.5',
      '--seed',
      '42',
      '--model',
      model,
      '--threads',
      '1',
    ];
    const r = await poster(['generate', ...args, '--out', a]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Wrote .*a\.png/);
    expect(r.stderr).toMatch(/step 3\/3/);
    const png = readFileSync(a);
    const info = readImageInfo(png);
    expect([info.width, info.height]).toEqual([96, 64]);
    expect(readPngText(png)).toMatchObject({
      prompt: '红色背景，金色圆点 red background',
      negative_prompt: 'blurry',
      size: '96x64',
      steps: '3',
      cfg: '2.5',
      seed: '42',
      model: 'tiny',
    });
    await poster(['generate', ...args, '--out', b]);
    expect(readFileSync(b).equals(png)).toBe(true);
  }, 60_000);

  it.each([
    [['--prompt', 'x', '--size', '100x100', '--out', 'x.png'], /multiple of 16/],
    [['--size', '64x64', '--out', 'x.png'], /--prompt is required/],
    [['--prompt', 'x', '--out', 'x.jpg'], /--out FILE\.png/],
    [['--prompt', 'x', '--steps', 'many', '--out', 'x.png'], /--steps needs/],
    [['--prompt', 'x', '--model', '/no/such/model', '--out', 'x.png'], /does not exist/],
    [['--prompt', 'x', '--wat', '1', '--out', 'x.png'], /Unknown option --wat/],
  ])('refuses bad arguments with exit code 2: %j', async (args, message) => {
    const r = await poster(['generate', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--precision int8, --ram-budget and --no-prefetch reach the engine, which prints its plan', async () => {
    const base = ['generate', '--prompt', 'red dots', '--size', '64x64', '--steps', '2', '--seed', '5', '--model', model, '--threads', '1'];
    const fp32 = join(work, 'p-fp32.png');
    const int8 = join(work, 'p-int8.png');
    const streamed = join(work, 'p-streamed.png');
    expect((await poster([...base, '--out', fp32])).code).toBe(0);
    expect((await poster([...base, '--precision', 'int8', '--out', int8])).code).toBe(0);
    expect(readFileSync(int8).equals(readFileSync(fp32))).toBe(false);
    const small = await poster([...base, '--ram-budget', '1K', '--out', join(work, 'p-small.png')]);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/Not enough memory: needs at least .* \((\d+) bytes, --ram-budget \S+\) of RAM/);
    expect(existsSync(join(work, 'p-small.png'))).toBe(false);
    // The smallest budget named runs (on this tiny model it holds everything: two streaming
    // buffers of its largest group would be more) and gives the same image, prefetch or not.
    const min = Number(/\((\d+) bytes, --ram-budget/.exec(small.stderr)?.[1]);
    for (const extra of [[], ['--no-prefetch']]) {
      const r = await poster([...base, '--ram-budget', `${min}B`, ...extra, '--out', streamed]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Plan: runs on the CPU, 2 steps × 2 passes \(CFG\), prefetch (on|off)/);
      expect(r.stdout).toContain(`prefetch ${extra.length ? 'off' : 'on'}`);
      expect(r.stdout).toMatch(/RAM {11}peak .* \(needs at least /);
      expect(r.stdout).toMatch(/Memory: peak \S+ \S+ resident/);
      expect(readFileSync(streamed).equals(readFileSync(fp32))).toBe(true);
    }
    expect((await poster([...base, '--precision', 'int2', '--out', int8])).stderr).toMatch(
      /--precision needs fp32, int8, int4, fp16, got int2/,
    );
  }, 60_000);

  it('reports a broken model folder in words and writes nothing', async () => {
    const out = join(work, 'broken.png');
    const r = await poster(['generate', '--prompt', 'x', '--size', '64x64', '--model', join(work), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/transformer\/config\.json is missing/);
    expect(existsSync(out)).toBe(false);
  });

  it('Ctrl+C cancels and leaves no file, not even a temporary one', async () => {
    const out = join(work, 'cancelled.png');
    const child = spawn(process.execPath, [
      BIN,
      'generate',
      '--prompt',
      'x',
      '--size',
      '256x256',
      '--steps',
      '100',
      '--seed',
      '1',
      '--model',
      model,
      '--threads',
      '1',
      '--out',
      out,
    ]);
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/step 2\//.test(stderr)) resolve();
      });
      child.once('exit', (c) => reject(new Error(`poster exited early (${c}): ${stderr}`)));
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stdout).toMatch(/Cancelled; nothing was written/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work).filter((n) => n.includes('cancelled'))).toEqual([]);
  }, 60_000);
});
