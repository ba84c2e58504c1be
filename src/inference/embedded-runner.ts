/**
 * Runs models whose repo holds ONNX weights inside Berth: picks the task, materializes the commit's
 * files, and hands the job to the worker pool. Which task a model performs, first match wins:
 *   1. the task named by the request (`/models/{id}/pipeline/{task}`, or `/v1/embeddings`);
 *   2. `pipeline_tag` in the README front matter, then in config.json;
 *   3. config.json `architectures`: …ForSequenceClassification → text-classification,
 *      …ForTokenClassification → token-classification, …ForMaskedLM → fill-mask, a bare …Model →
 *      feature-extraction; with no architectures, an `id2label` means text-classification.
 * Aliases: sentiment-analysis → text-classification, ner → token-classification, sentence-similarity
 * and sentence-embeddings → feature-extraction (pooled as the sentence-transformers config says).
 */
import type { Context } from "../context.ts";
import type { Repo } from "../domain/entities.ts";
import { fullName } from "../domain/repo-id.ts";
import { HubError } from "../errors.ts";
import type { ModelFiles, ModelSnapshot } from "./model-files.ts";
import type { JobResult, WorkerPool } from "./worker-pool.ts";
import { EMBEDDED_TASKS, type EmbeddedTask, type PipelineJob, type WireTensor } from "./worker-protocol.ts";

const ALIASES: Record<string, EmbeddedTask> = {
  "sentiment-analysis": "text-classification",
  ner: "token-classification",
  "sentence-similarity": "feature-extraction",
  "sentence-embeddings": "feature-extraction",
};

export function normalizeTask(task: string): EmbeddedTask | undefined {
  if ((EMBEDDED_TASKS as readonly string[]).includes(task)) return task as EmbeddedTask;
  return ALIASES[task];
}

interface ModelConfig {
  architectures?: unknown;
  id2label?: unknown;
  pipeline_tag?: unknown;
}

function readmeTag(readme: string | undefined): string | undefined {
  const front = readme ? /^---\r?\n([\s\S]*?)\r?\n---/.exec(readme)?.[1] : undefined;
  return front ? /^pipeline_tag:\s*["']?([\w-]+)["']?\s*$/m.exec(front)?.[1] : undefined;
}

export function inferTask(config: ModelConfig, readme: string | undefined): string | undefined {
  const tag = readmeTag(readme) ?? (typeof config.pipeline_tag === "string" ? config.pipeline_tag : undefined);
  if (tag) return tag;
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  for (const architecture of architectures) {
    if (architecture.endsWith("ForSequenceClassification")) return "text-classification";
    if (architecture.endsWith("ForTokenClassification")) return "token-classification";
    if (architecture.endsWith("ForMaskedLM")) return "fill-mask";
    if (architecture.endsWith("Model")) return "feature-extraction";
  }
  if (architectures.length === 0 && config.id2label && typeof config.id2label === "object")
    return "text-classification";
  return undefined;
}

async function readJson(files: ModelFiles, snapshot: ModelSnapshot, file: string): Promise<Record<string, unknown>> {
  const text = await files.readText(snapshot, file);
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    throw new HubError("Unprocessable", `${file} of this model is not valid JSON`);
  }
}

/** Pooling and normalization of a sentence-transformers model, from modules.json and its Pooling config. */
async function sentenceTransformers(files: ModelFiles, snapshot: ModelSnapshot) {
  const modules = (await files.readText(snapshot, "modules.json")) ?? "";
  if (!modules) return undefined;
  const poolingDir = /"path"\s*:\s*"(\d+_Pooling)"/.exec(modules)?.[1];
  const pooling = poolingDir ? await readJson(files, snapshot, `${poolingDir}/config.json`) : {};
  return {
    pooling: pooling.pooling_mode_cls_token === true ? ("cls" as const) : ("mean" as const),
    normalize: modules.includes("sentence_transformers.models.Normalize"),
  };
}

export interface TaskRequest {
  readonly task?: string | undefined;
  readonly inputs: unknown;
  readonly parameters?: Record<string, unknown> | undefined;
  /** `/v1/embeddings`: always pooled and normalized, one vector per input. */
  readonly embeddings?: boolean;
}

interface ModelInfo {
  readonly inferredTask: string | undefined;
  readonly sentenceTransformers: Awaited<ReturnType<typeof sentenceTransformers>>;
}

/** Commits whose task and pooling were read, kept so a hot model costs no file reads per call. */
const MAX_INFO = 1000;

export class EmbeddedRunner {
  readonly #info = new Map<string, Promise<ModelInfo>>();

  constructor(
    readonly files: ModelFiles,
    readonly pool: WorkerPool,
  ) {}

  #modelInfo(snapshot: ModelSnapshot): Promise<ModelInfo> {
    const cached = this.#info.get(snapshot.commit);
    if (cached) return cached;
    const info = (async () => {
      const config = await readJson(this.files, snapshot, "config.json");
      return {
        inferredTask: inferTask(config, await this.files.readText(snapshot, "README.md")),
        sentenceTransformers: await sentenceTransformers(this.files, snapshot),
      };
    })();
    if (this.#info.size >= MAX_INFO) this.#info.delete(this.#info.keys().next().value as string);
    this.#info.set(snapshot.commit, info);
    info.catch(() => this.#info.delete(snapshot.commit));
    return info;
  }

  async runTask(ctx: Context, repo: Repo, commit: string, request: TaskRequest): Promise<JobResult & { task: string }> {
    const snapshot = await this.files.snapshot(ctx, repo, commit);
    const info = await this.#modelInfo(snapshot);
    const named = request.task ?? info.inferredTask;
    if (!named) {
      throw new HubError(
        "BadRequest",
        `Cannot tell which task ${fullName(repo)} performs: add pipeline_tag to its README or call /models/${fullName(repo)}/pipeline/{task}`,
      );
    }
    const task = normalizeTask(named);
    if (!task) {
      throw new HubError(
        "BadRequest",
        `Task ${named} is not supported by the embedded runner (it runs ${EMBEDDED_TASKS.join(", ")}); configure an upstream for ${fullName(repo)}`,
      );
    }
    const dtype = snapshot.files.has("onnx/model.onnx")
      ? "fp32"
      : snapshot.files.has("onnx/model_quantized.onnx")
        ? "q8"
        : snapshot.files.has("onnx/model_fp16.onnx")
          ? "fp16"
          : undefined;
    if (!dtype) {
      throw new HubError(
        "Unprocessable",
        `Pipelines need onnx/model.onnx (or model_quantized.onnx, model_fp16.onnx) in ${fullName(repo)}; raw tensors can use any .onnx file through /v2/models/${fullName(repo)}/infer`,
      );
    }
    const st = task === "feature-extraction" ? info.sentenceTransformers : undefined;
    const job: PipelineJob = {
      type: "pipeline",
      key: `${commit}:${task}:${dtype}`,
      modelId: commit,
      task,
      dtype,
      estimatedBytes: Math.ceil(snapshot.onnxBytes * 1.5) + 1024 * 1024,
      inputs: request.inputs,
      parameters: request.parameters,
      ...(request.embeddings
        ? { pooling: st?.pooling ?? "mean", normalize: true }
        : st
          ? { pooling: st.pooling, normalize: st.normalize }
          : {}),
    };
    return { ...(await this.pool.run(job)), task };
  }

  async runTensors(
    ctx: Context,
    repo: Repo,
    commit: string,
    request: { inputs: readonly WireTensor[]; outputs: readonly string[]; file?: string | undefined },
  ): Promise<JobResult> {
    const snapshot = await this.files.snapshot(ctx, repo, commit);
    const onnxFiles = [...snapshot.files].filter((file) => file.endsWith(".onnx"));
    const file =
      request.file ??
      ["onnx/model.onnx", "model.onnx"].find((f) => snapshot.files.has(f)) ??
      (onnxFiles.length === 1 ? onnxFiles[0] : undefined);
    if (!file || !snapshot.files.has(file) || !file.endsWith(".onnx")) {
      throw new HubError(
        "BadRequest",
        `Name the ONNX file to run with parameters.file: ${fullName(repo)} holds ${onnxFiles.join(", ")}`,
      );
    }
    return this.pool.run({
      type: "tensors",
      key: `${commit}:file:${file}`,
      file: `${snapshot.dir}/${file}`,
      estimatedBytes: Math.ceil(snapshot.onnxBytes * 1.5),
      inputs: request.inputs,
      outputs: request.outputs,
    });
  }
}
