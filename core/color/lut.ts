// The table machinery of ICC transforms: 1-D curves (sampled and parametric), multi-dimensional
// CLUTs (tetrahedral interpolation for three inputs, simplex otherwise) and lut8/lut16 stages.

export type Stage = (v: Float64Array) => Float64Array;

export interface Lut {
  inputs: number;
  outputs: number;
  run: Stage;
  /** How Lab is encoded at this table's PCS side (lut16 uses the legacy v2 encoding). */
  labEncoding: 'v2' | 'v4';
  /** The CLUT's grid nodes after the output stage, for measuring what the table can produce. */
  clutOutputs(): Float64Array[];
}

export type Curve = (x: number) => number;

export const clamp01 = (x: number) => Math.min(Math.max(x, 0), 1);

export function table1d(t: Float64Array, x: number): number {
  const p = clamp01(x) * (t.length - 1);
  const i = Math.min(Math.floor(p), t.length - 2);
  const f = p - i;
  return t[i]! + (t[i + 1]! - t[i]!) * f;
}

export function parametric(fn: number, p: number[]): Curve {
  const [g, a = 1, b = 0, c = 0, d = 0, e = 0, f = 0] = p as [number, ...number[]];
  const pow = (x: number) => (x > 0 ? x ** g : 0);
  switch (fn) {
    case 0:
      return (x) => clamp01(pow(x));
    case 1:
      return (x) => clamp01(x >= -b / a ? pow(a * x + b) : 0);
    case 2:
      return (x) => clamp01(x >= -b / a ? pow(a * x + b) + c : c);
    case 3:
      return (x) => clamp01(x >= d ? pow(a * x + b) : c * x);
    default:
      return (x) => clamp01(x >= d ? pow(a * x + b) + e : c * x + f);
  }
}

export function nodes(data: Float64Array, outputs: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < data.length; i += outputs) out.push(data.slice(i, i + outputs));
  return out;
}

/** Interpolation in a CLUT: tetrahedral for three inputs, simplex for any other count. Inputs 0..1. */
export function clutInterpolator(inputs: number, outputs: number, grid: number[], data: Float64Array): Stage {
  // Strides: the first input varies slowest.
  const stride = new Array<number>(inputs);
  let s = outputs;
  for (let i = inputs - 1; i >= 0; i--) {
    stride[i] = s;
    s *= grid[i]!;
  }
  const locate = (x: Float64Array, i: number): [number, number] => {
    const p = clamp01(x[i]!) * (grid[i]! - 1);
    const k = Math.min(Math.floor(p), grid[i]! - 2);
    return [k, p - k];
  };
  if (inputs === 3) {
    const [s0, s1, s2] = stride as [number, number, number];
    return (x) => {
      const [i0, rx] = locate(x, 0);
      const [i1, ry] = locate(x, 1);
      const [i2, rz] = locate(x, 2);
      const base = i0 * s0 + i1 * s1 + i2 * s2;
      const out = new Float64Array(outputs);
      // Tetrahedral: walk from the cell origin along the axes in order of decreasing fraction.
      let a: number;
      let b: number;
      let fa: number;
      let fb: number;
      let fc: number;
      if (rx >= ry) {
        if (ry >= rz) [a, b, fa, fb, fc] = [s0, s0 + s1, rx, ry, rz];
        else if (rx >= rz) [a, b, fa, fb, fc] = [s0, s0 + s2, rx, rz, ry];
        else [a, b, fa, fb, fc] = [s2, s0 + s2, rz, rx, ry];
      } else if (rx >= rz) [a, b, fa, fb, fc] = [s1, s0 + s1, ry, rx, rz];
      else if (ry >= rz) [a, b, fa, fb, fc] = [s1, s1 + s2, ry, rz, rx];
      else [a, b, fa, fb, fc] = [s2, s1 + s2, rz, ry, rx];
      const c = s0 + s1 + s2;
      for (let o = 0; o < outputs; o++) {
        const p0 = data[base + o]!;
        const pa = data[base + a + o]!;
        const pb = data[base + b + o]!;
        const pc = data[base + c + o]!;
        out[o] = p0 + (pa - p0) * fa + (pb - pa) * fb + (pc - pb) * fc;
      }
      return out;
    };
  }
  // Simplex interpolation in n dimensions (what tetrahedral is in three): walk from the cell's
  // origin one axis at a time, in order of decreasing fraction.
  return (x) => {
    let base = 0;
    const frac: [number, number][] = [];
    for (let i = 0; i < inputs; i++) {
      const [k, f] = locate(x, i);
      base += k * stride[i]!;
      frac.push([f, i]);
    }
    frac.sort((a, b) => b[0] - a[0]);
    const out = new Float64Array(outputs);
    let at = base;
    let prevWeight = 1;
    for (const [f, axis] of frac) {
      const w = prevWeight - f;
      for (let o = 0; o < outputs; o++) out[o]! += w * data[at + o]!;
      at += stride[axis]!;
      prevWeight = f;
    }
    for (let o = 0; o < outputs; o++) out[o]! += prevWeight * data[at + o]!;
    return out;
  };
}

export function tableLut(
  inputs: number,
  outputs: number,
  inCurves: Float64Array[],
  grid: number[],
  clut: Float64Array,
  outCurves: Float64Array[],
  labEncoding: 'v2' | 'v4',
): Lut {
  const interp = clutInterpolator(inputs, outputs, grid, clut);
  const outStage = (y: Float64Array) => y.map((t, i) => table1d(outCurves[i]!, t));
  return {
    inputs,
    outputs,
    labEncoding,
    run: (x) => outStage(interp(x.map((t, i) => table1d(inCurves[i]!, t)))),
    clutOutputs: () => nodes(clut, outputs).map(outStage),
  };
}
