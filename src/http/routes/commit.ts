/**
 * `POST /api/{type}s/{ns}/{name}/commit/{rev}[?create_pr=1]` (hub-api.md §8.4): an HTTP commit as NDJSON
 * (what JS and Python send) or as the older JSON object form, written by git/commit-writer.ts.
 *
 * Access: `repo.write` on the repo; with `create_pr=1`, `repo.discussion.write` (read access for the
 * user; a write token or a fine-grained one holding discussion.write). The body limit is
 * COMMIT_BODY_LIMIT: regular files arrive base64-encoded inline, and a Python test sends 12 × 9 MiB in
 * one commit (about 150 MB of base64); larger files go through LFS and are not in the body at all.
 */

import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { authorizeRepo } from "../../auth/authorize.ts";
import type { Context } from "../../context.ts";
import { REPO_TYPES, type RepoType, repoUrlPath } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { writeCommit } from "../../git/commit-writer.ts";
import { requireUser } from "../auth-hook.ts";
import { parseBoolean } from "../query-params.ts";
import { getRepoAccess, repoFirst } from "../repo-guard.ts";
import { CommitBody, jsonCommit, readNdjsonCommit } from "./commit-body.ts";
import { commitRef, writeTarget } from "./repo-write-target.ts";

export const COMMIT_BODY_LIMIT = 256 * 1024 * 1024;

/** Base64 costs 4/3 of its bytes and is decoded as it arrives (commit-body.ts): about 0.8 per body byte. */
const COMMIT_MEMORY_FACTOR = 1;

export function registerCommitRoutes(app: FastifyInstance, ctx: Context): void {
  // Encapsulated so the NDJSON parser serves these routes only.
  void app.register(async (scope) => {
    scope.addContentTypeParser("application/x-ndjson", (_request, payload, done) => {
      readNdjsonCommit(payload as Readable).then(
        (body) => done(null, body),
        (error: unknown) => done(error as Error, undefined),
      );
    });
    for (const type of REPO_TYPES) {
      // The repo and the action are in the URL: decided before a byte of the body is read.
      const beforeBody = repoFirst(
        ctx,
        (request) => writeTarget(request, type).repo,
        (request) => (isPullRequest(request) ? "repo.discussion.write" : "repo.write"),
      );
      scope.post(
        `/api/${type}s/:ns/:name/commit/*`,
        { bodyLimit: COMMIT_BODY_LIMIT, config: { beforeBody, bodyMemoryFactor: COMMIT_MEMORY_FACTOR } },
        async (request) => commit(ctx, type, request),
      );
    }
  });
}

function isPullRequest(request: FastifyRequest): boolean {
  return parseBoolean((request.query as Record<string, unknown>).create_pr);
}

async function commit(ctx: Context, type: RepoType, request: FastifyRequest) {
  const { revision } = writeTarget(request, type);
  const createPr = isPullRequest(request);
  const access = getRepoAccess(request);
  const { repo } = access;
  const principal = requireUser(request);
  // Someone who may not read the content (a stranger's pull request on a gated repo) may point only at
  // LFS objects whose bytes they uploaded themselves (git/commit-writer.ts).
  const mayRead = authorizeRepo(principal, repo, access.relation, "repo.content").allowed;
  const ref = commitRef(revision);
  const body = request.body instanceof CommitBody ? request.body : parseBody(request.body);
  const { header: first, operations } = body;

  const result = await writeCommit(ctx, repo, {
    target: createPr ? { type: "pull-request", from: ref } : { type: "ref", ref },
    operations,
    summary: first.summary,
    description: first.description ?? "",
    author: { name: principal.user.name, email: principal.user.email },
    parentCommit: first.parentCommit ?? undefined,
    lfsReferences: mayRead ? "readable" : { uploadedBy: principal.user.id },
  });
  const base = `${ctx.config.publicUrl}${repoUrlPath(repo)}`;
  return {
    success: true,
    commitOid: result.commit,
    commitUrl: `${base}/commit/${result.commit}`,
    hookOutput: "",
    ...(result.pullRequest === undefined ? {} : { pullRequestUrl: `${base}/discussions/${result.pullRequest}` }),
  };
}

function parseBody(body: unknown): CommitBody {
  if (body !== null && typeof body === "object") return jsonCommit(body);
  throw new HubError("UnsupportedMediaType", "Send the commit as application/x-ndjson");
}
