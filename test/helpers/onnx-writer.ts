/**
 * A minimal ONNX (protobuf) encoder for tests and the bench: enough of ModelProto to write a small graph
 * of standard operators with float and int64 initializers. Field numbers are those of onnx.proto3.
 */

type Field = Buffer;

function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: number | bigint): Field => Buffer.concat([key(field, 0), varint(value)]);
const bytes = (field: number, value: Buffer): Field => Buffer.concat([key(field, 2), varint(value.length), value]);
const str = (field: number, value: string): Field => bytes(field, Buffer.from(value, "utf8"));
const message = (field: number, parts: Field[]): Field => bytes(field, Buffer.concat(parts));

export const DataType = { FLOAT: 1, INT64: 7 } as const;

export interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: "float" | "int64";
  readonly values: readonly number[];
}

export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Integer or integer-list attributes (`to`, `keepdims`, `axes`…). */
  readonly attributes?: Readonly<Record<string, number | readonly number[]>>;
}

export interface ValueInfo {
  readonly name: string;
  readonly type: "float" | "int64";
  /** A number is a fixed size, a string a symbolic one. */
  readonly shape: readonly (number | string)[];
}

export interface GraphSpec {
  readonly nodes: readonly GraphNode[];
  readonly initializers: readonly Initializer[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly opset?: number;
}

function tensor(field: number, init: Initializer): Field {
  const raw = Buffer.alloc(init.values.length * (init.type === "float" ? 4 : 8));
  init.values.forEach((value, i) => {
    if (init.type === "float") raw.writeFloatLE(value, i * 4);
    else raw.writeBigInt64LE(BigInt(value), i * 8);
  });
  return message(field, [
    ...init.dims.map((dim) => int(1, dim)),
    int(2, init.type === "float" ? DataType.FLOAT : DataType.INT64),
    str(8, init.name),
    bytes(9, raw),
  ]);
}

function attribute(name: string, value: number | readonly number[]): Field {
  if (typeof value === "number") return message(5, [str(1, name), int(3, value), int(20, 2)]);
  return message(5, [str(1, name), ...value.map((v) => int(8, v)), int(20, 7)]);
}

function valueInfo(field: number, info: ValueInfo): Field {
  const dims = info.shape.map((dim) => message(1, [typeof dim === "number" ? int(1, dim) : str(2, dim)]));
  const tensorType = message(1, [int(1, info.type === "float" ? DataType.FLOAT : DataType.INT64), message(2, dims)]);
  return message(field, [str(1, info.name), message(2, [tensorType])]);
}

/** The serialized ModelProto. */
export function encodeOnnxModel(spec: GraphSpec): Buffer {
  const nodes = spec.nodes.map((node, i) =>
    message(1, [
      ...node.inputs.map((input) => str(1, input)),
      ...node.outputs.map((output) => str(2, output)),
      str(3, `node${i}`),
      str(4, node.op),
      ...Object.entries(node.attributes ?? {}).map(([name, value]) => attribute(name, value)),
    ]),
  );
  const graph = message(7, [
    ...nodes,
    str(2, "graph"),
    ...spec.initializers.map((init) => tensor(5, init)),
    ...spec.inputs.map((input) => valueInfo(11, input)),
    ...spec.outputs.map((output) => valueInfo(12, output)),
  ]);
  return Buffer.concat([
    int(1, 8), // ir_version 8
    str(2, "berth-test"),
    graph,
    message(8, [str(1, ""), int(2, spec.opset ?? 13)]),
  ]);
}
