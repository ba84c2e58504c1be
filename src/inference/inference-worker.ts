/**
 * One inference worker thread. Loads models from the per-commit cache directories the main thread
 * materialized (never from the network: transformers.js runs with remote models disabled and reads
 * only under the cache root) and keeps them in an LRU bounded by estimated bytes. One job at a time.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { InferenceSession } from "onnxruntime-node";
import { ModelLru } from "./model-lru.ts";
import { InputError, type LoadedPipeline, runPipeline } from "./pipeline-tasks.ts";
import { runTensors } from "./raw-tensors.ts";
import type { Job, JobReply, JobRequest, WorkerOptions } from "./worker-protocol.ts";

const options = workerData as WorkerOptions;
const ort = await import("onnxruntime-node");
const transformers = await import("@huggingface/transformers");
const env = transformers.env;
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = options.root.endsWith("/") ? options.root : `${options.root}/`;
env.useFSCache = false;
env.useBrowserCache = false;
env.remoteHost = "http://127.0.0.1:9/"; // unreachable by construction, should anything ever try
env.fetch = () => Promise.reject(new Error("network access is disabled for the embedded runner"));
const onnxEnv = env.backends.onnx as { logLevel?: string };
onnxEnv.logLevel = "error";

const models = new ModelLru<LoadedPipeline | InferenceSession>(options.cacheBytes, async (loaded) => {
  if ("release" in loaded) await loaded.release();
  else await loaded.dispose?.();
});
const sessionOptions: InferenceSession.SessionOptions = {
  intraOpNumThreads: options.intraOpThreads,
  interOpNumThreads: 1,
  logSeverityLevel: 3,
};

class ModelError extends Error {}

async function load(job: Job): Promise<LoadedPipeline | InferenceSession> {
  try {
    if (job.type === "tensors") return await ort.InferenceSession.create(job.file, sessionOptions);
    const pipe = await transformers.pipeline(job.task, job.modelId, {
      local_files_only: true,
      dtype: job.dtype,
      device: "cpu",
      session_options: sessionOptions,
    });
    return pipe as unknown as LoadedPipeline;
  } catch (error) {
    throw new ModelError(`The model cannot be loaded: ${String((error as Error).message).slice(0, 400)}`);
  }
}

async function run(request: JobRequest): Promise<JobReply> {
  const { id, job } = request;
  try {
    const model = await models.get(job.key, job.estimatedBytes, () => load(job));
    if (job.type === "tensors") {
      const outputs = await runTensors(ort, model as InferenceSession, job.inputs, job.outputs);
      return { id, ok: true, output: outputs, inputTokens: undefined };
    }
    const { output, inputTokens } = await runPipeline(model as LoadedPipeline, job);
    return { id, ok: true, output, inputTokens };
  } catch (error) {
    const kind = error instanceof InputError ? "input" : error instanceof ModelError ? "model" : "internal";
    return { id, ok: false, kind, message: String((error as Error)?.message ?? error).slice(0, 1000) };
  }
}

// One job at a time: a pipeline is not reentrant, and the pool already spreads load over workers.
let chain: Promise<void> = Promise.resolve();
parentPort?.on("message", (request: JobRequest) => {
  chain = chain.then(async () => parentPort?.postMessage(await run(request)));
});
parentPort?.postMessage({ ready: true });
