/**
 * A minimal protobuf encoder for the parts of onnx.proto (IR version 8) the engine writes:
 * ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto (raw or external data) and
 * ValueInfoProto. Field numbers follow onnx/onnx.proto; tests load the output with the Python
 * `onnx` checker and with onnxruntime.
 */

export enum DataType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  BFLOAT16 = 16,
}

/** Growable byte buffer with protobuf primitives. */
class Writer {
  private buf = new Uint8Array(256);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.length++] = Number(v);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  int(field: number, value: number | bigint): void {
    this.tag(field, 0);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.length, 4).setFloat32(0, value, true);
    this.length += 4;
  }

  message(field: number, build: (w: Writer) => void): void {
    const inner = new Writer();
    build(inner);
    this.bytes(field, inner.finish());
  }

  packedInts(field: number, values: readonly (number | bigint)[]): void {
    const inner = new Writer();
    for (const v of values) inner.varint(v);
    this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): void {
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    for (const [i, v] of values.entries()) view.setFloat32(i * 4, v, true);
    this.bytes(field, data);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export type AttributeValue = number | string | number[] | { ints: number[] } | { float: number } | TensorData;

export interface TensorData {
  name: string;
  dataType: DataType;
  dims: readonly number[];
  /** Little-endian raw bytes. */
  raw?: Uint8Array;
  /** Stored outside the model file. */
  external?: { location: string; offset: number; length: number };
}

export interface NodeData {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface ValueInfo {
  name: string;
  dataType: DataType;
  /** Numbers are fixed, strings are symbolic dimensions. */
  shape: readonly (number | string)[];
}

export interface ModelData {
  graphName: string;
  nodes: NodeData[];
  initializers: TensorData[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  opset: number;
  /** Extra operator domains, e.g. com.microsoft. */
  extraOpsets?: { domain: string; version: number }[];
  docString?: string;
}

function writeTensor(w: Writer, t: TensorData): void {
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  w.string(8, t.name);
  if (t.external) {
    const entries: [string, string][] = [
      ['location', t.external.location],
      ['offset', String(t.external.offset)],
      ['length', String(t.external.length)],
    ];
    for (const [key, value] of entries) {
      w.message(13, (e) => {
        e.string(1, key);
        e.string(2, value);
      });
    }
    w.int(14, 1);
  } else {
    w.bytes(9, t.raw ?? new Uint8Array(0));
  }
}

function isTensor(v: AttributeValue): v is TensorData {
  return typeof v === 'object' && !Array.isArray(v) && 'dataType' in v;
}

function writeAttribute(w: Writer, name: string, v: AttributeValue): void {
  w.string(1, name);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use { float } for non-integers`);
    w.int(3, v);
    w.int(20, 2);
  } else if (typeof v === 'string') {
    w.string(4, v);
    w.int(20, 3);
  } else if (Array.isArray(v)) {
    w.packedInts(8, v);
    w.int(20, 7);
  } else if (isTensor(v)) {
    w.message(5, (t) => writeTensor(t, v));
    w.int(20, 4);
  } else if ('float' in v) {
    w.float(2, v.float);
    w.int(20, 1);
  } else {
    w.packedInts(8, v.ints);
    w.int(20, 7);
  }
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) => {
    type.message(1, (tensor) => {
      tensor.int(1, v.dataType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => {
            if (typeof d === 'number') dim.int(1, d);
            else dim.string(2, d);
          });
        }
      });
    });
  });
}

/** Serialises a model to ONNX protobuf bytes. */
export function encodeModel(model: ModelData): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'poster-studio');
  w.string(3, '1');
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => {
    for (const node of model.nodes) {
      g.message(1, (n) => {
        for (const i of node.inputs) n.string(1, i);
        for (const o of node.outputs) n.string(2, o);
        if (node.name) n.string(3, node.name);
        n.string(4, node.opType);
        for (const [key, value] of Object.entries(node.attributes ?? {})) {
          n.message(5, (a) => writeAttribute(a, key, value));
        }
        if (node.domain) n.string(7, node.domain);
      });
    }
    g.string(2, model.graphName);
    for (const t of model.initializers) g.message(5, (m) => writeTensor(m, t));
    for (const v of model.inputs) g.message(11, (m) => writeValueInfo(m, v));
    for (const v of model.outputs) g.message(12, (m) => writeValueInfo(m, v));
  });
  const opsets = [{ domain: '', version: model.opset }, ...(model.extraOpsets ?? [])];
  for (const o of opsets) {
    w.message(8, (m) => {
      if (o.domain) m.string(1, o.domain);
      m.int(2, o.version);
    });
  }
  return w.finish();
}
