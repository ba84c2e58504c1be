/**
 * Open Inference Protocol tensors (`{name, shape, datatype, data}`, data flat in row-major order) to
 * onnxruntime tensors and back. Runs in the worker; shape and data problems are the caller's (400).
 */
import type { InferenceSession, Tensor as OrtTensor } from "onnxruntime-node";
import { InputError } from "./pipeline-tasks.ts";
import type { TensorType, WireTensor } from "./worker-protocol.ts";

type OrtModule = typeof import("onnxruntime-node");

const ORT_TYPE: Record<TensorType, OrtTensor.Type> = {
  BOOL: "bool",
  UINT8: "uint8",
  INT8: "int8",
  INT16: "int16",
  INT32: "int32",
  INT64: "int64",
  FP32: "float32",
  FP64: "float64",
  BYTES: "string",
};
const WIRE_TYPE: Partial<Record<string, TensorType>> = Object.fromEntries(
  Object.entries(ORT_TYPE).map(([wire, ort]) => [ort, wire as TensorType]),
);

const MAX_ELEMENTS = 16 * 1024 * 1024;

function toOrt(ort: OrtModule, tensor: WireTensor): OrtTensor {
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (!tensor.shape.every((d) => Number.isInteger(d) && d >= 0) || count > MAX_ELEMENTS) {
    throw new InputError(`Input ${tensor.name}: shape must be non-negative integers, at most ${MAX_ELEMENTS} elements`);
  }
  const data = tensor.data.flat(Number.POSITIVE_INFINITY) as unknown[];
  if (data.length !== count) {
    throw new InputError(
      `Input ${tensor.name}: shape [${tensor.shape.join(", ")}] holds ${count} elements but data has ${data.length}`,
    );
  }
  const type = ORT_TYPE[tensor.datatype];
  const dims = [...tensor.shape];
  const numbers = () => {
    if (!data.every((v) => typeof v === "number" && Number.isFinite(v))) {
      throw new InputError(`Input ${tensor.name}: ${tensor.datatype} data must be finite numbers`);
    }
    return data as number[];
  };
  switch (type) {
    case "string":
      if (!data.every((v) => typeof v === "string"))
        throw new InputError(`Input ${tensor.name}: BYTES data must be strings`);
      return new ort.Tensor("string", data as string[], dims);
    case "bool":
      return new ort.Tensor("bool", Uint8Array.from(data.map((v) => (v === true || v === 1 ? 1 : 0))), dims);
    case "int64": {
      const values = numbers();
      if (!values.every(Number.isInteger)) throw new InputError(`Input ${tensor.name}: INT64 data must be integers`);
      return new ort.Tensor("int64", BigInt64Array.from(values.map((v) => BigInt(v))), dims);
    }
    case "float32":
      return new ort.Tensor("float32", Float32Array.from(numbers()), dims);
    case "float64":
      return new ort.Tensor("float64", Float64Array.from(numbers()), dims);
    case "int32":
      return new ort.Tensor("int32", Int32Array.from(numbers()), dims);
    case "int16":
      return new ort.Tensor("int16", Int16Array.from(numbers()), dims);
    case "int8":
      return new ort.Tensor("int8", Int8Array.from(numbers()), dims);
    case "uint8":
      return new ort.Tensor("uint8", Uint8Array.from(numbers()), dims);
    default:
      throw new InputError(`Input ${tensor.name}: unsupported datatype ${tensor.datatype}`);
  }
}

function fromOrt(name: string, tensor: OrtTensor) {
  const datatype = WIRE_TYPE[tensor.type];
  if (!datatype) throw new Error(`Output ${name} has type ${tensor.type}, which the protocol cannot carry`);
  const data = Array.from(tensor.data as ArrayLike<unknown>, (v) =>
    typeof v === "bigint" ? Number(v) : datatype === "BOOL" ? Boolean(v) : v,
  );
  return { name, shape: [...tensor.dims], datatype, data };
}

export async function runTensors(
  ort: OrtModule,
  session: InferenceSession,
  inputs: readonly WireTensor[],
  outputs: readonly string[],
) {
  const expected = session.inputNames;
  const given = new Map(inputs.map((tensor) => [tensor.name, tensor]));
  const missing = expected.filter((name) => !given.has(name));
  const unknown = [...given.keys()].filter((name) => !expected.includes(name));
  if (missing.length > 0 || unknown.length > 0) {
    throw new InputError(
      `The model takes inputs ${expected.join(", ")}${missing.length ? `; missing ${missing.join(", ")}` : ""}${unknown.length ? `; unknown ${unknown.join(", ")}` : ""}`,
    );
  }
  const wanted = outputs.length > 0 ? [...outputs] : [...session.outputNames];
  const unknownOutputs = wanted.filter((name) => !session.outputNames.includes(name));
  if (unknownOutputs.length > 0) {
    throw new InputError(
      `Unknown outputs ${unknownOutputs.join(", ")}; the model has ${session.outputNames.join(", ")}`,
    );
  }
  const feeds: Record<string, OrtTensor> = {};
  for (const tensor of inputs) feeds[tensor.name] = toOrt(ort, tensor);
  let results: InferenceSession.ReturnType;
  try {
    results = await session.run(feeds, wanted);
  } catch (error) {
    // Wrong shapes or types for this graph: the request's fault, and ORT's message says which.
    throw new InputError(String((error as Error).message).slice(0, 500));
  }
  return wanted.map((name) => {
    const tensor = results[name];
    if (!tensor) throw new Error(`output ${name} missing from the run`);
    return fromOrt(name, tensor);
  });
}
