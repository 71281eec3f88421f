import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../electron/engine/onnx/graph';
import { rand } from './measure';

describe('ONNX graph builder', () => {
  it('builds a Linear + RMSNorm + GELU graph that onnxruntime runs with the expected numbers', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', [1, 'n', 4]);
    const w = { dims: [3, 4], data: rand(12, 1) };
    const b = { dims: [3], data: rand(3, 2) };
    const y = g.linear(x, 'fc', w, b);
    const n = g.rmsNorm(y, 'norm', { dims: [3], data: new Float32Array([1, 2, 3]) }, 1e-6);
    g.output(g.geluTanh(n), 'y', [1, 'n', 3]);
    const dir = mkdtempSync(join(tmpdir(), 'onnx-'));
    const { model, data } = g.build({ externalFile: 'w.bin' });
    writeFileSync(join(dir, 'm.onnx'), model);
    writeFileSync(join(dir, 'w.bin'), Buffer.concat(data ?? []));
    const session = await ort.InferenceSession.create(join(dir, 'm.onnx'));
    const input = rand(8, 3);
    const out = (await session.run({ x: new ort.Tensor('float32', input, [1, 2, 4]) })).y;
    expect(out?.dims).toEqual([1, 2, 3]);
    const got = out?.data as Float32Array;
    for (let r = 0; r < 2; r++) {
      const lin = [0, 1, 2].map((o) => {
        let s = b.data[o] as number;
        for (let i = 0; i < 4; i++) s += (input[r * 4 + i] as number) * (w.data[o * 4 + i] as number);
        return s;
      });
      const rms = Math.sqrt(lin.reduce((a, v) => a + v * v, 0) / 3 + 1e-6);
      lin.forEach((v, o) => {
        const z = (v / rms) * (o + 1);
        const gelu = 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
        expect(got[r * 3 + o]).toBeCloseTo(gelu, 5);
      });
    }
    // The Python onnx checker accepts the file too (where Debian's python3-onnx is installed).
    try {
      execFileSync(
        '/usr/bin/python3',
        ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', join(dir, 'm.onnx')],
        { stdio: 'pipe' },
      );
    } catch (err) {
      const msg = String((err as { stderr?: Buffer }).stderr ?? err);
      if (!msg.includes('No module named')) throw new Error(msg);
    }
  });
});
