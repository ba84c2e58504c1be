/**
 * The OpenAI-compatible routes (hub-api.md §12): `/v1/chat/completions`, `/v1/completions` and
 * `/v1/embeddings` with `model` = a repo id, the same under `/models/{ns}/{name}/v1/…` (model from the
 * path; the clients send `"model": "dummy"` there), and `GET /v1/models`.
 *
 * Chat and completions need an upstream; embeddings run on the upstream when there is one, else on the
 * embedded runner (feature-extraction, pooled and normalized). The `model` sent upstream is the one
 * configured for the upstream, else the repo id.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { authorizeRepo } from "../../auth/authorize.ts";
import { listingScope } from "../../auth/listing-scope.ts";
import { loadRelation } from "../../auth/repo-access.ts";
import type { Repo } from "../../domain/entities.ts";
import { fullName } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import type { InferenceService } from "../../inference/inference-service.ts";
import { forward } from "../../inference/upstream.ts";
import { listRepos } from "../../store/repos.ts";
import { listMemberships } from "../../store/users.ts";
import { requireUser } from "../auth-hook.ts";
import { repoFirst, userFirst } from "../repo-guard.ts";
import { type Answer, inferenceCall, jsonObject, modelFromBody, requestedCommit } from "./inference-call.ts";

const OPENAI_ROUTES = ["chat/completions", "completions", "embeddings"] as const;
type OpenAiRoute = (typeof OPENAI_ROUTES)[number];

/** How many readable model repos `GET /v1/models` examines, most recently changed first. */
const MODEL_LIST_SCAN = 500;

export function registerOpenAiRoutes(scope: FastifyInstance, svc: InferenceService): void {
  const modelFirst = repoFirst(
    svc.ctx,
    (request) => {
      const params = request.params as { ns: string; name: string };
      return { type: "model", namespace: params.ns, name: params.name };
    },
    "repo.inference",
  );
  for (const route of OPENAI_ROUTES) {
    // The model is named in the body: only the caller can be checked before it is read.
    scope.post(`/v1/${route}`, { config: { beforeBody: userFirst } }, (request, reply) => {
      const body = jsonObject(request);
      return openAiCall(svc, request, reply, route, body, modelFromBody(body));
    });
    scope.post(`/models/:ns/:name/v1/${route}`, { config: { beforeBody: modelFirst } }, (request, reply) => {
      const params = request.params as { ns: string; name: string };
      return openAiCall(svc, request, reply, route, jsonObject(request), { namespace: params.ns, name: params.name });
    });
  }
  scope.get("/v1/models", (request) => listModels(svc, request));
}

function openAiCall(
  svc: InferenceService,
  request: FastifyRequest,
  reply: FastifyReply,
  route: OpenAiRoute,
  body: Record<string, unknown>,
  target: { namespace: string; name: string },
): Promise<FastifyReply> {
  return inferenceCall(svc, request, reply, target, route, async (repo): Promise<Answer> => {
    const repoId = fullName(repo);
    const upstream = await svc.upstreamFor(repoId);
    if (upstream) {
      const forwarded = { ...body, model: upstream.upstream.upstreamModel ?? repoId };
      const result = await forward({
        ...upstream,
        path: `/v1/${route}`,
        body: Buffer.from(JSON.stringify(forwarded)),
        contentType: "application/json",
        repoId,
      });
      return { status: result.status, headers: result.headers, body: result.body, done: result.done };
    }
    if (route !== "embeddings") {
      throw new HubError(
        "BadRequest",
        `Model ${repoId} has no inference upstream, and the embedded runner does not generate text: it serves task calls, /v1/embeddings and /v2 tensors. An administrator can map it with "npx berth inference add-upstream ${repoId} URL"`,
      );
    }
    return embeddings(svc, request, repo, body);
  });
}

async function embeddings(
  svc: InferenceService,
  request: FastifyRequest,
  repo: Repo,
  body: Record<string, unknown>,
): Promise<Answer> {
  const input = body.input;
  const texts = typeof input === "string" ? [input] : input;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === "string")) {
    throw new HubError("BadRequest", '"input" must be a string or a list of strings (token arrays are not supported)');
  }
  const base64 = body.encoding_format === "base64";
  const commit = await requestedCommit(svc, request, repo);
  const result = await svc.runner.runTask(svc.ctx, repo, commit, {
    task: "feature-extraction",
    inputs: texts,
    parameters: undefined,
    embeddings: true,
  });
  const vectors = result.output as number[][];
  const promptTokens = result.inputTokens ?? 0;
  const data = vectors.map((vector, index) => ({
    object: "embedding",
    index,
    embedding: base64 ? Buffer.from(Float32Array.from(vector).buffer).toString("base64") : vector,
  }));
  return {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", "x-repo-commit": commit },
    body: JSON.stringify({
      object: "list",
      data,
      model: fullName(repo),
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    }),
    inputTokens: result.inputTokens,
  };
}

/**
 * The models this credential may call: readable model repos (most recently changed first) that are
 * mapped to an upstream or hold ONNX weights on main, each confirmed by the engine (`repo.inference`).
 */
async function listModels(svc: InferenceService, request: FastifyRequest) {
  const principal = requireUser(request);
  const ctx = svc.ctx;
  const memberships = await listMemberships(ctx.db, principal.user.id);
  const repos = await listRepos(ctx.db, {
    type: "model",
    search: [],
    author: undefined,
    sort: "lastModified",
    descending: true,
    limit: MODEL_LIST_SCAN,
    offset: 0,
    privateScope: listingScope(principal, memberships),
  });
  const data = [];
  for (const repo of repos) {
    if (!(await callable(svc, repo))) continue;
    const decision = authorizeRepo(principal, repo, await loadRelation(ctx, principal, repo), "repo.inference");
    if (!decision.allowed) continue;
    data.push({
      id: fullName(repo),
      object: "model",
      created: Math.floor(repo.createdAt.getTime() / 1000),
      owned_by: repo.namespace,
    });
  }
  return { object: "list", data };
}

async function callable(svc: InferenceService, repo: Repo): Promise<boolean> {
  if (await svc.upstreamFor(fullName(repo)).catch(() => undefined)) return true;
  const ctx = svc.ctx;
  const commit = await ctx.storage.readBranch(repo.type, repo.id, "main");
  if (!commit) return false;
  const tree = await ctx.trees.read(ctx.storage.pathOf(repo.type, repo.id), commit);
  return tree.entries.some((entry) => entry.type === "file" && entry.path.endsWith(".onnx"));
}
