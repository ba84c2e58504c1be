/**
 * What every inference route does around the model call: authorization through the engine
 * (`repo.inference`: content read of the model plus the right to call inference), the per-token rate
 * limit, one usage record per call (also for refusals past authorization and failures), and the body
 * as raw bytes (JSON is parsed here, so an upstream gets exactly what was sent when it is forwarded).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { requireRepo } from "../../auth/repo-access.ts";
import type { Repo } from "../../domain/entities.ts";
import { fullName } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import type { InferenceService } from "../../inference/inference-service.ts";
import { resolveCommit } from "../content-request.ts";

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: unknown;
  readonly inputTokens?: number | undefined;
  readonly outputTokens?: number | undefined;
  /** For a stream: resolves with the token counts once the body has been delivered. */
  readonly done?: Promise<{ inputTokens?: number | undefined; outputTokens?: number | undefined }>;
}

/** Every body arrives as a Buffer inside the inference routes' scope. */
export function rawBodyParsers(scope: FastifyInstance, bodyLimit: number): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_request, body, done) => done(null, body));
}

export function bodyBytes(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

export function isJson(request: FastifyRequest): boolean {
  const type = request.headers["content-type"] ?? "";
  if (type.includes("json")) return true;
  // The JS client posts JSON without a content type when it has none to set; so may curl.
  const first = bodyBytes(request).subarray(0, 64).toString("utf8").trimStart()[0];
  return type === "" || type.startsWith("text/plain") ? first === "{" || first === "[" : false;
}

export function jsonBody(request: FastifyRequest): unknown {
  const bytes = bodyBytes(request);
  if (bytes.length === 0) throw new HubError("BadRequest", "The request body is empty; send JSON");
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    throw new HubError("BadRequest", "The request body is not valid JSON");
  }
}

export function jsonObject(request: FastifyRequest): Record<string, unknown> {
  const value = jsonBody(request);
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new HubError("BadRequest", "The request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** `?revision=` (default `main`), resolved to a commit of the repo. */
export async function requestedCommit(svc: InferenceService, request: FastifyRequest, repo: Repo): Promise<string> {
  const revision = (request.query as { revision?: unknown }).revision;
  if (revision !== undefined && (typeof revision !== "string" || revision === "")) {
    throw new HubError("BadRequest", "revision must be one non-empty value");
  }
  return resolveCommit(svc.ctx, repo, revision ?? "main");
}

export async function inferenceCall(
  svc: InferenceService,
  request: FastifyRequest,
  reply: FastifyReply,
  target: { namespace: string; name: string },
  route: string,
  work: (repo: Repo) => Promise<Answer>,
): Promise<FastifyReply> {
  const principal = request.principal;
  // Routes that name the model in their URL were authorized before the body was read (repoFirst).
  const { repo } =
    request.repoAccess ??
    (await requireRepo(
      svc.ctx,
      principal,
      { type: "model", namespace: target.namespace, name: target.name },
      "repo.inference",
    ));
  const model = fullName(repo);
  const startedAt = performance.now();
  let answer: Answer;
  try {
    await svc.admit(principal);
    answer = await work(repo);
  } catch (error) {
    const status = error instanceof HubError ? error.status : 500;
    await svc.record(principal, { model, route, status, startedAt });
    throw error;
  }
  const finished =
    answer.done ?? Promise.resolve({ inputTokens: answer.inputTokens, outputTokens: answer.outputTokens });
  void finished.then((tokens) => svc.record(principal, { model, route, status: answer.status, startedAt, ...tokens }));
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
  return reply.send(answer.body);
}

/** `ns/name` from an OpenAI `model` field, or a 400 saying what is expected. */
export function modelFromBody(body: Record<string, unknown>): { namespace: string; name: string } {
  const model = body.model;
  const parts = typeof model === "string" ? model.split("/") : [];
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new HubError(
      "BadRequest",
      `"model" must be a repo id such as "acme/bert" (or call /models/{namespace}/{name}/v1/… and send any model)`,
    );
  }
  return { namespace: parts[0], name: parts[1] };
}
