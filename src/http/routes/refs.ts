/**
 * Refs, history, branches and tags (hub-api.md §9):
 * `GET /api/{type}s/{ns}/{name}/refs`, `GET …/commits/{rev}`, `POST|DELETE …/branch/{branch}`,
 * `POST …/tag/{rev}`, `DELETE …/tag/{tag}`.
 *
 * Refs and history are metadata (`repo.info`), readable on a gated repo like the tree; every change
 * needs `repo.write`. Changes go through `git update-ref` with the expected old value, so a concurrent
 * change of the same ref makes one of them fail with 409 instead of silently overwriting the other.
 * Deleting `main` is refused with 403 (the Hub's "Cannot delete refs/heads/main").
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { requireRepo } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import { REPO_TYPES, type RepoType } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { countCommits, listCommits } from "../../git/commit-log.ts";
import { createEmptyCommit, createTagObject, deleteRef, listRefs, readRef, updateRef } from "../../git/ref-store.ts";
import { parseRevisionOnly, refNameProblem } from "../../git/revision.ts";
import { rawTail, repoDir, resolveCommit } from "../content-request.ts";
import { MAX_OFFSET, parseBoolean, parseOffset, parsePageSize, queryList } from "../query-params.ts";
import { userFirst } from "../repo-guard.ts";
import { apiAvatarUrl } from "../wire.ts";

// Segments before the tail: "", api, {type}s, ns, name, commits|branch|tag.
const TAIL_AT = 6;
const DEFAULT_COMMITS = 50;
const MAX_COMMITS = 1000;

const branchBody = z
  .object({
    startingPoint: z.string().min(1).optional().nullable(),
    emptyBranch: z.union([z.boolean(), z.string()]).optional(),
    overwrite: z.union([z.boolean(), z.string()]).optional(),
  })
  .passthrough();

const tagBody = z.object({ tag: z.string(), message: z.string().optional().nullable() }).passthrough();

export function registerRefRoutes(app: FastifyInstance, ctx: Context): void {
  for (const type of REPO_TYPES) {
    const base = `/api/${type}s/:ns/:name`;
    app.get(`${base}/refs`, (request) => refs(ctx, type, request));
    app.get(`${base}/commits/*`, (request, reply) => commits(ctx, type, request, reply));
    app.post(`${base}/branch/*`, { config: { beforeBody: userFirst } }, (request) => createBranch(ctx, type, request));
    app.delete(`${base}/branch/*`, { config: { beforeBody: userFirst } }, (request) =>
      deleteBranch(ctx, type, request),
    );
    app.post(`${base}/tag/*`, { config: { beforeBody: userFirst } }, (request) => createTag(ctx, type, request));
    app.delete(`${base}/tag/*`, { config: { beforeBody: userFirst } }, (request) => deleteTag(ctx, type, request));
  }
}

async function load(ctx: Context, type: RepoType, request: FastifyRequest, action: "repo.info" | "repo.write") {
  const params = request.params as { ns: string; name: string };
  const { repo } = await requireRepo(ctx, request.principal, { type, namespace: params.ns, name: params.name }, action);
  return repo;
}

async function refs(ctx: Context, type: RepoType, request: FastifyRequest) {
  const repo = await load(ctx, type, request, "repo.info");
  const all = await listRefs(repoDir(ctx, repo));
  const pick = (prefix: string) =>
    all
      .filter((r) => r.ref.startsWith(prefix))
      .map((r) => ({ name: r.ref.slice(prefix.length), ref: r.ref, targetCommit: r.commit }));
  const includePrs = parseBoolean((request.query as Record<string, unknown>).include_prs);
  const pullRequests = all
    .filter((r) => /^refs\/pr\/[0-9]+$/.test(r.ref))
    .map((r) => ({ name: r.ref, ref: r.ref, targetCommit: r.commit }))
    .sort((a, b) => Number(a.ref.slice(8)) - Number(b.ref.slice(8)));
  return {
    branches: pick("refs/heads/"),
    // Python reads `converts` unconditionally.
    converts: pick("refs/convert/"),
    tags: pick("refs/tags/"),
    ...(includePrs ? { pullRequests } : {}),
  };
}

async function commits(ctx: Context, type: RepoType, request: FastifyRequest, reply: FastifyReply) {
  const repo = await load(ctx, type, request, "repo.info");
  const revision = parseRevisionOnly(rawTail(request, TAIL_AT)) || "main";
  const commit = await resolveCommit(ctx, repo, revision);
  const query = request.query as Record<string, unknown>;
  const limit = parsePageSize(query.limit, "limit", DEFAULT_COMMITS, MAX_COMMITS);
  const page = parseOffset(query.p, "p");
  const dir = repoDir(ctx, repo);
  const [total, list] = await Promise.all([
    countCommits(dir, commit),
    // Clamped: git reads `--skip` as an int and skips nothing past it; a page past the end is empty.
    listCommits(dir, commit, { skip: Math.min(page * limit, MAX_OFFSET), limit }),
  ]);
  reply.header("X-Total-Count", String(total));
  // The next page names the commit, not the branch: a push between pages cannot shift them.
  if ((page + 1) * limit < total) {
    const next = new URLSearchParams({ limit: String(limit), p: String(page + 1) });
    for (const e of queryList(query, "expand")) next.append("expand[]", e);
    const url = `${ctx.config.publicUrl}/api/${type}s/${repo.namespace}/${repo.name}/commits/${commit}?${next}`;
    reply.header("Link", `<${url}>; rel="next"`);
  }
  const formatted = queryList(query, "expand").includes("formatted");
  return list.map((c) => ({
    id: c.id,
    title: c.title,
    message: c.message,
    date: c.date.toISOString(),
    authors: [{ user: c.authorName, avatar: `${ctx.config.publicUrl}${apiAvatarUrl(c.authorName)}` }],
    ...(formatted ? { formatted: { title: escapeHtml(c.title), message: escapeHtml(c.message) } } : {}),
  }));
}

function author(request: FastifyRequest): { name: string; email: string } {
  const principal = request.principal;
  if (principal.type === "anonymous") throw new HubError("AuthRequired", "You must be authenticated to do this");
  return { name: principal.user.name, email: principal.user.email };
}

async function createBranch(ctx: Context, type: RepoType, request: FastifyRequest) {
  const repo = await load(ctx, type, request, "repo.write");
  const branch = parseRevisionOnly(rawTail(request, TAIL_AT));
  const problem = refNameProblem(branch);
  if (problem) throw new HubError("BadRequest", `Invalid reference for a branch: ${branch.slice(0, 200)} (${problem})`);
  const body = branchBody.parse(request.body ?? {});
  const dir = repoDir(ctx, repo);
  const ref = `refs/heads/${branch}`;
  const existing = await readRef(dir, ref);
  if (existing && !parseBoolean(body.overwrite)) throw new HubError("Conflict", `Reference ${ref} already exists`);
  const target = parseBoolean(body.emptyBranch)
    ? await createEmptyCommit(dir, author(request), ctx.now())
    : await resolveCommit(ctx, repo, body.startingPoint ?? "main");
  if (!(await updateRef(dir, ref, target, existing))) {
    throw new HubError("Conflict", `Reference ${ref} was changed concurrently; try again`);
  }
  return {};
}

async function deleteBranch(ctx: Context, type: RepoType, request: FastifyRequest) {
  const repo = await load(ctx, type, request, "repo.write");
  const branch = parseRevisionOnly(rawTail(request, TAIL_AT));
  if (branch === "main") throw new HubError("Forbidden", "Cannot delete refs/heads/main");
  const dir = repoDir(ctx, repo);
  const ref = `refs/heads/${branch}`;
  const existing = refNameProblem(branch) ? undefined : await readRef(dir, ref);
  if (!existing) throw new HubError("RevisionNotFound", `Invalid rev id: ${branch.slice(0, 200)}`);
  if (!(await deleteRef(dir, ref, existing))) {
    throw new HubError("Conflict", `Reference ${ref} was changed concurrently; try again`);
  }
  return {};
}

async function createTag(ctx: Context, type: RepoType, request: FastifyRequest) {
  const repo = await load(ctx, type, request, "repo.write");
  const revision = parseRevisionOnly(rawTail(request, TAIL_AT)) || "main";
  const body = tagBody.parse(request.body ?? {});
  const problem = refNameProblem(body.tag);
  if (problem) throw new HubError("BadRequest", `Invalid tag name: ${body.tag.slice(0, 200)} (${problem})`);
  const commit = await resolveCommit(ctx, repo, revision);
  const dir = repoDir(ctx, repo);
  const ref = `refs/tags/${body.tag}`;
  if (await readRef(dir, ref)) throw new HubError("Conflict", `Tag ${body.tag} already exists`);
  const target = body.message
    ? await createTagObject(dir, commit, body.tag, body.message, author(request), ctx.now())
    : commit;
  if (!(await updateRef(dir, ref, target, undefined))) throw new HubError("Conflict", `Tag ${body.tag} already exists`);
  return {};
}

async function deleteTag(ctx: Context, type: RepoType, request: FastifyRequest) {
  const repo = await load(ctx, type, request, "repo.write");
  const tag = parseRevisionOnly(rawTail(request, TAIL_AT));
  const dir = repoDir(ctx, repo);
  const ref = `refs/tags/${tag}`;
  const existing = refNameProblem(tag) ? undefined : await readRef(dir, ref);
  if (!existing) throw new HubError("RevisionNotFound", `Invalid rev id: tag ${tag.slice(0, 200)} does not exist`);
  if (!(await deleteRef(dir, ref, existing))) {
    throw new HubError("Conflict", `Reference ${ref} was changed concurrently; try again`);
  }
  return {};
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
