/**
 * The inference API (issue 5, hub-api.md §12). Registered here:
 *   POST /models/{ns}/{name}                       the Hub's task API: {"inputs", "parameters"} or raw bytes
 *   POST /models/{ns}/{name}/pipeline/{task}       the same with the task named (what JS sends for
 *   POST /hf-inference/models/{ns}/{name}[/pipeline/{task}]   feature-extraction, and its router path)
 *   POST /pipeline/{task}/{ns}/{name}              Python's deprecated InferenceApi
 *   POST /v2/models/{ns}/{name}/infer              Open Inference Protocol, raw tensors (embedded only)
 * and, from inference-openai.ts, the OpenAI-compatible /v1 routes.
 *
 * A model mapped to an upstream (`npx berth inference add-upstream`) is forwarded there; any other
 * model runs on the embedded runner from its ONNX files. `?revision=` picks the revision (default main).
 * Every route asks the engine for `repo.inference` on the model first.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Context } from "../../context.ts";
import { fullName } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { type InferenceOptions, InferenceService } from "../../inference/inference-service.ts";
import { forward } from "../../inference/upstream.ts";
import { TENSOR_TYPES } from "../../inference/worker-protocol.ts";
import { repoFirst } from "../repo-guard.ts";
import {
  type Answer,
  bodyBytes,
  inferenceCall,
  isJson,
  jsonBody,
  rawBodyParsers,
  requestedCommit,
} from "./inference-call.ts";
import { registerOpenAiRoutes } from "./inference-openai.ts";

type Params = { ns: string; name: string; task?: string };

function inferenceTarget(request: FastifyRequest) {
  const params = request.params as Params;
  return { type: "model" as const, namespace: params.ns, name: params.name };
}

export function registerInferenceRoutes(app: FastifyInstance, ctx: Context, options: InferenceOptions = {}): void {
  const svc = new InferenceService(ctx, options);
  app.addHook("onClose", () => svc.close());
  void app.register(async (scope) => {
    rawBodyParsers(scope, svc.bodyLimit);
    const task = (request: FastifyRequest, reply: Parameters<typeof taskCall>[2]) =>
      taskCall(svc, request, reply, request.params as Params);
    // The model is in the URL: the engine decides before the body is read.
    const beforeBody = repoFirst(ctx, inferenceTarget, "repo.inference");
    for (const url of [
      "/models/:ns/:name",
      "/models/:ns/:name/pipeline/:task",
      "/hf-inference/models/:ns/:name",
      "/hf-inference/models/:ns/:name/pipeline/:task",
      "/pipeline/:task/:ns/:name",
    ]) {
      scope.post(url, { config: { beforeBody } }, task);
    }
    scope.post("/v2/models/:ns/:name/infer", { config: { beforeBody } }, (request, reply) =>
      tensorCall(svc, request, reply),
    );
    registerOpenAiRoutes(scope, svc);
  });
}

const TaskBody = z
  .object({
    inputs: z.unknown().refine((value) => value !== undefined && value !== null, '"inputs" is required'),
    parameters: z.record(z.unknown()).nullish(),
  })
  .passthrough();

function taskCall(
  svc: InferenceService,
  request: FastifyRequest,
  reply: Parameters<typeof inferenceCall>[2],
  params: Params,
) {
  return inferenceCall(svc, request, reply, { namespace: params.ns, name: params.name }, "task", async (repo) => {
    const upstream = await svc.upstreamFor(fullName(repo));
    if (upstream) {
      // Task calls go to the upstream's root as they came (TGI and Inference Endpoints take them there).
      const result = await forward({
        ...upstream,
        path: "",
        body: bodyBytes(request),
        contentType: request.headers["content-type"] ?? "application/json",
        repoId: fullName(repo),
      });
      return { status: result.status, headers: result.headers, body: result.body, done: result.done };
    }
    if (!isJson(request)) {
      throw new HubError(
        "BadRequest",
        `The embedded runner takes text tasks as JSON {"inputs": …}; binary inputs (${request.headers["content-type"] ?? "no content type"}) need an upstream for ${fullName(repo)}`,
      );
    }
    const body = TaskBody.parse(jsonBody(request));
    const commit = await requestedCommit(svc, request, repo);
    const result = await svc.runner.runTask(svc.ctx, repo, commit, {
      task: params.task,
      inputs: body.inputs,
      parameters: body.parameters ?? undefined,
    });
    return answerJson(result.output, commit, result.inputTokens);
  });
}

function answerJson(output: unknown, commit: string, inputTokens: number | undefined): Answer {
  return {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", "x-repo-commit": commit },
    body: JSON.stringify(output),
    inputTokens,
  };
}

const Tensor = z.object({
  name: z.string().min(1).max(200),
  shape: z.array(z.number().int().nonnegative()).max(16),
  datatype: z.enum(TENSOR_TYPES),
  data: z.array(z.unknown()),
  parameters: z.record(z.unknown()).optional(),
});
const InferBody = z.object({
  id: z.string().max(200).optional(),
  inputs: z.array(Tensor).min(1).max(64),
  outputs: z
    .array(z.object({ name: z.string().min(1).max(200) }).passthrough())
    .max(64)
    .optional(),
  parameters: z
    .object({ file: z.string().max(1000).optional() })
    .passthrough()
    .optional(),
});

function tensorCall(svc: InferenceService, request: FastifyRequest, reply: Parameters<typeof inferenceCall>[2]) {
  const params = request.params as Params;
  return inferenceCall(svc, request, reply, { namespace: params.ns, name: params.name }, "tensors", async (repo) => {
    const body = InferBody.parse(jsonBody(request));
    const commit = await requestedCommit(svc, request, repo);
    const result = await svc.runner.runTensors(svc.ctx, repo, commit, {
      inputs: body.inputs.map((t) => ({ ...t, data: t.data as (number | string | boolean)[] })),
      outputs: (body.outputs ?? []).map((o) => o.name),
      file: body.parameters?.file,
    });
    const output = {
      model_name: fullName(repo),
      model_version: commit,
      ...(body.id !== undefined ? { id: body.id } : {}),
      outputs: result.output,
    };
    return answerJson(output, commit, undefined);
  });
}
