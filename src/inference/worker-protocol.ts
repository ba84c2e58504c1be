/** Messages between the inference worker pool (main thread) and its workers. Plain data only. */

export const EMBEDDED_TASKS = [
  "text-classification",
  "token-classification",
  "feature-extraction",
  "fill-mask",
  "zero-shot-classification",
] as const;
export type EmbeddedTask = (typeof EMBEDDED_TASKS)[number];

export interface PipelineJob {
  readonly type: "pipeline";
  /** Cache key: commit, task and weights variant. */
  readonly key: string;
  /** Directory name under the cache root (the commit id), which transformers.js loads as a model id. */
  readonly modelId: string;
  readonly task: EmbeddedTask;
  /** transformers.js weights variant: fp32 reads onnx/model.onnx, q8 onnx/model_quantized.onnx. */
  readonly dtype: "fp32" | "fp16" | "q8";
  readonly estimatedBytes: number;
  readonly inputs: unknown;
  readonly parameters: Record<string, unknown> | undefined;
  /** feature-extraction: how to pool and whether to normalize, from the sentence-transformers config. */
  readonly pooling?: "none" | "mean" | "cls";
  readonly normalize?: boolean;
}

export const TENSOR_TYPES = ["BOOL", "UINT8", "INT8", "INT16", "INT32", "INT64", "FP32", "FP64", "BYTES"] as const;
export type TensorType = (typeof TENSOR_TYPES)[number];

export interface WireTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: TensorType;
  readonly data: readonly (number | string | boolean)[];
}

export interface TensorJob {
  readonly type: "tensors";
  readonly key: string;
  /** Absolute path of the .onnx file. */
  readonly file: string;
  readonly estimatedBytes: number;
  readonly inputs: readonly WireTensor[];
  /** Output names to return; all when empty. */
  readonly outputs: readonly string[];
}

export type Job = PipelineJob | TensorJob;

export interface JobRequest {
  readonly id: number;
  readonly job: Job;
}

export type JobReply =
  | { readonly id: number; readonly ok: true; readonly output: unknown; readonly inputTokens: number | undefined }
  | {
      readonly id: number;
      readonly ok: false;
      /** input: the request's fault (400); model: the files cannot be loaded (422); internal: ours (500). */
      readonly kind: "input" | "model" | "internal";
      readonly message: string;
    };

export interface WorkerOptions {
  /** Cache root holding one directory per commit. */
  readonly root: string;
  /** Memory budget of this worker's loaded models, in estimated bytes. */
  readonly cacheBytes: number;
  /** Threads onnxruntime may use inside one worker. */
  readonly intraOpThreads: number;
}
