import type { Weight } from '../onnx/graph.js';

/** Where graph builders read weights from (a model component's safetensors, in float32). */
export interface WeightSource {
  shape(name: string): number[] | undefined;
  readFloat32(name: string): Promise<Float32Array>;
}

/** Reads a weight and checks its shape; `expected` may leave dimensions as -1 (any). */
export async function load(src: WeightSource, name: string, expected?: number[]): Promise<Weight> {
  const dims = src.shape(name);
  if (!dims) throw new Error(`weight ${name} is missing from the model`);
  if (expected && (expected.length !== dims.length || expected.some((d, i) => d !== -1 && d !== dims[i]))) {
    throw new Error(`weight ${name} has shape [${dims.join(', ')}], expected [${expected.join(', ')}]`);
  }
  return { dims, data: await src.readFloat32(name) };
}

/** Loads `prefix.weight` and, when present, `prefix.bias`. */
export async function loadLinear(src: WeightSource, prefix: string, out: number, inp: number): Promise<{ w: Weight; b?: Weight }> {
  const w = await load(src, `${prefix}.weight`, [out, inp]);
  const b = src.shape(`${prefix}.bias`) ? await load(src, `${prefix}.bias`, [out]) : undefined;
  return { w, b };
}
