/**
 * The task API (hub-api.md §12) on transformers.js pipelines, inside a worker thread: request
 * `{inputs, parameters}` in, the Hub's hf-inference response shapes out (the shapes the Python and JS
 * clients validate). Runs in the worker only; errors thrown here with `kind: "input"` become 400s.
 */
import type { PipelineJob } from "./worker-protocol.ts";

export class InputError extends Error {
  readonly kind = "input";
}

// transformers.js pipelines are callables whose precise types depend on the task; we call them loosely.
type Callable = (...args: unknown[]) => Promise<unknown>;
export interface LoadedPipeline {
  (...args: unknown[]): Promise<unknown>;
  tokenizer?: (texts: string | string[], options?: object) => { attention_mask?: { data: ArrayLike<unknown> } };
  dispose?: () => Promise<void>;
}

function texts(inputs: unknown, task: string): string | string[] {
  if (typeof inputs === "string") return inputs;
  if (
    Array.isArray(inputs) &&
    inputs.length > 0 &&
    inputs.length <= 256 &&
    inputs.every((i) => typeof i === "string")
  ) {
    return inputs;
  }
  throw new InputError(`${task} expects "inputs" to be a string or a list of 1 to 256 strings`);
}

/** Input tokens as the tokenizer counts them (padding excluded), for usage records. */
export function countTokens(pipe: LoadedPipeline, input: string | string[]): number | undefined {
  try {
    const encoded = pipe.tokenizer?.(input, { padding: true, truncation: true });
    const mask = encoded?.attention_mask?.data;
    if (!mask) return undefined;
    let total = 0;
    for (let i = 0; i < mask.length; i++) total += Number(mask[i]);
    return total;
  } catch {
    return undefined;
  }
}

interface Entity {
  readonly word: string;
  readonly score: number;
  readonly entity?: string;
  readonly entity_group?: string;
  readonly index?: number;
  readonly start?: number | null;
  readonly end?: number | null;
}

/**
 * The Hub's token-classification elements carry character offsets (the JS client requires `start` and
 * `end`); transformers.js leaves them out when the tokenizer gives none, so each word is found in the
 * text from where the previous one ended (case-insensitively: tokenizers may lower-case).
 */
function withOffsets(text: string, entities: readonly Entity[]) {
  const lower = text.toLowerCase();
  let cursor = 0;
  return entities.map((entity) => {
    let { start, end } = entity;
    if (typeof start !== "number" || typeof end !== "number") {
      const word = entity.word.replace(/^##/, "").toLowerCase();
      const at = word === "" ? -1 : lower.indexOf(word, cursor);
      start = at >= 0 ? at : cursor;
      end = at >= 0 ? at + word.length : cursor;
      cursor = end;
    }
    const group = entity.entity_group ?? entity.entity?.replace(/^[BIES]-/, "") ?? "";
    return {
      entity_group: group,
      ...(entity.entity !== undefined ? { entity: entity.entity, index: entity.index } : {}),
      score: entity.score,
      word: entity.word,
      start,
      end,
    };
  });
}

interface TensorLike {
  tolist(): unknown;
  dims: number[];
}

export async function runPipeline(
  pipe: LoadedPipeline,
  job: PipelineJob,
): Promise<{ output: unknown; inputTokens: number | undefined }> {
  const p = job.parameters ?? {};
  const call = pipe as unknown as Callable;
  switch (job.task) {
    case "text-classification": {
      const input = texts(job.inputs, job.task);
      const topK = typeof p.top_k === "number" && p.top_k > 0 ? Math.floor(p.top_k) : null;
      const result = await call(input, { top_k: topK });
      // The Hub answers one list of {label, score} per input, even for a single string.
      const output = typeof input === "string" ? [result] : result;
      return { output, inputTokens: countTokens(pipe, input) };
    }
    case "token-classification": {
      const input = texts(job.inputs, job.task);
      const strategy = p.aggregation_strategy === "none" ? "none" : "simple";
      const ignore = Array.isArray(p.ignore_labels) ? p.ignore_labels : ["O"];
      const result = await call(input, { aggregation_strategy: strategy, ignore_labels: ignore });
      const output =
        typeof input === "string"
          ? withOffsets(input, result as Entity[])
          : input.map((text, i) => withOffsets(text, (result as Entity[][])[i] ?? []));
      return { output, inputTokens: countTokens(pipe, input) };
    }
    case "fill-mask": {
      const input = texts(job.inputs, job.task);
      const topK = typeof p.top_k === "number" && p.top_k > 0 ? Math.min(Math.floor(p.top_k), 100) : 5;
      try {
        return { output: await call(input, { top_k: topK }), inputTokens: countTokens(pipe, input) };
      } catch (error) {
        if (/mask/i.test(String((error as Error).message))) throw new InputError((error as Error).message);
        throw error;
      }
    }
    case "zero-shot-classification": {
      if (typeof job.inputs !== "string")
        throw new InputError('zero-shot-classification expects "inputs" to be a string');
      const raw = p.candidate_labels;
      const labels = typeof raw === "string" ? raw.split(",").map((l) => l.trim()) : raw;
      if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === "string" && l !== "")) {
        throw new InputError('zero-shot-classification needs "parameters.candidate_labels": a list of labels');
      }
      const options: Record<string, unknown> = { multi_label: p.multi_label === true };
      if (typeof p.hypothesis_template === "string") options.hypothesis_template = p.hypothesis_template;
      const result = (await call(job.inputs, labels, options)) as { labels: string[]; scores: number[] };
      const output = result.labels.map((label, i) => ({ label, score: result.scores[i] ?? 0 }));
      return { output, inputTokens: countTokens(pipe, job.inputs) };
    }
    case "feature-extraction": {
      const input = texts(job.inputs, job.task);
      const pooling = job.pooling ?? "none";
      const normalize = typeof p.normalize === "boolean" ? p.normalize : job.normalize === true;
      const tensor = (await call(input, { pooling, normalize })) as TensorLike;
      const list = tensor.tolist() as unknown[];
      // One string: drop the batch dimension, as the Hub does ([dim] pooled, [tokens][dim] otherwise).
      return { output: typeof input === "string" ? list[0] : list, inputTokens: countTokens(pipe, input) };
    }
    default:
      throw new InputError(`Task ${job.task} is not supported by the embedded runner`);
  }
}
