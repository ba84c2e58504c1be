/**
 * Listings and metadata (hub-api.md §5): `GET /api/{type}s/{ns}/{name}/tree/{rev}[/{path}]` and
 * `POST …/paths-info/{rev}`. Both need only `repo.info`: a gated repo's file list stays public.
 *
 * The tree is paginated with an offset cursor, and the `Link` next URL names the resolved commit
 * instead of the branch, so a push between two pages cannot shift or mix the listing. A path naming
 * a file lists that one file.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { requireRepo } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import type { Repo } from "../../domain/entities.ts";
import { REPO_TYPES, type RepoType } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { type LastCommit, lastCommits } from "../../git/commit-log.ts";
import { parseRevisionOnly, readPathProblem } from "../../git/revision.ts";
import type { TreeEntry } from "../../git/tree-reader.ts";
import { apiTreeEntry, encodePath, rawTail, repoDir, resolveCommit, revisionAndPath } from "../content-request.ts";
import { parseBoolean, parsePageSize, queryList } from "../query-params.ts";

const PAGE_SIZE = 1000;
/** `lastCommit` walks history: smaller pages keep each request short. */
const EXPANDED_PAGE_SIZE = 100;

// Segments before the tail: "", api, {type}s, ns, name, tree|paths-info.
const TAIL_AT = 6;

const pathsInfoBody = z.object({
  paths: z.union([z.string(), z.array(z.string())]),
  expand: z.union([z.boolean(), z.string(), z.array(z.string())]).optional(),
});

export function registerTreeRoutes(app: FastifyInstance, ctx: Context): void {
  for (const type of REPO_TYPES) {
    const base = `/api/${type}s/:ns/:name`;
    app.get(`${base}/tree/*`, (request, reply) => listTree(ctx, type, request, reply));
    app.post(`${base}/paths-info/*`, (request) => pathsInfo(ctx, type, request));
  }
}

async function loadRepo(ctx: Context, type: RepoType, request: FastifyRequest): Promise<Repo> {
  const params = request.params as { ns: string; name: string };
  const { repo } = await requireRepo(
    ctx,
    request.principal,
    { type, namespace: params.ns, name: params.name },
    "repo.info",
  );
  return repo;
}

async function listTree(ctx: Context, type: RepoType, request: FastifyRequest, reply: FastifyReply) {
  const repo = await loadRepo(ctx, type, request);
  const { revision, path } = await revisionAndPath(ctx, repo, rawTail(request, TAIL_AT));
  const query = request.query as Record<string, unknown>;
  const recursive = parseBoolean(query.recursive);
  const expand = parseBoolean(queryList(query, "expand"));
  const commit = await resolveCommit(ctx, repo, revision);
  const dir = repoDir(ctx, repo);
  const tree = await ctx.trees.read(dir, commit);

  let listed: readonly TreeEntry[];
  const entry = path === "" ? undefined : tree.byPath.get(path);
  if (path !== "" && !entry) {
    throw new HubError("EntryNotFound", `Entry not found: ${path} does not exist at revision ${revision}`, {
      headers: { "X-Repo-Commit": commit },
    });
  }
  if (entry?.type === "file") listed = [entry];
  else if (!recursive) listed = tree.children.get(path) ?? [];
  else if (path === "") listed = tree.entries;
  else listed = tree.entries.filter((e) => e.path.startsWith(`${path}/`));

  const maxPage = expand ? EXPANDED_PAGE_SIZE : PAGE_SIZE;
  const limit = parsePageSize(query.limit, "limit", maxPage, maxPage);
  const offset = decodeCursor(query.cursor);
  const page = listed.slice(offset, offset + limit);
  if (offset + limit < listed.length) {
    const next = new URLSearchParams();
    if (recursive) next.set("recursive", "true");
    if (expand) next.set("expand", "true");
    if (query.limit !== undefined) next.set("limit", String(limit));
    next.set("cursor", encodeCursor(offset + limit));
    const tail = path === "" ? commit : `${commit}/${encodePath(path)}`;
    const url = `${ctx.config.publicUrl}/api/${type}s/${repo.namespace}/${repo.name}/tree/${tail}?${next}`;
    reply.header("Link", `<${url}>; rel="next"`);
  }
  const commits = expand
    ? await lastCommits(
        dir,
        commit,
        page.map((e) => e.path),
      )
    : undefined;
  return page.map((e) => apiTreeEntry(e, commits?.get(e.path)));
}

async function pathsInfo(ctx: Context, type: RepoType, request: FastifyRequest) {
  const repo = await loadRepo(ctx, type, request);
  const revision = parseRevisionOnly(rawTail(request, TAIL_AT));
  const body = pathsInfoBody.parse(request.body ?? {});
  const expand = body.expand !== undefined && parseBoolean(body.expand);
  const commit = await resolveCommit(ctx, repo, revision || "main");
  const dir = repoDir(ctx, repo);
  const tree = await ctx.trees.read(dir, commit);

  const found: TreeEntry[] = [];
  const seen = new Set<string>();
  for (const raw of [body.paths].flat()) {
    const path = raw.replace(/^\/+|\/+$/g, "");
    if (path === "" || readPathProblem(path) || seen.has(path)) continue;
    const entry = tree.byPath.get(path);
    if (!entry) continue;
    seen.add(path);
    found.push(entry);
  }
  let commits: Map<string, LastCommit> | undefined;
  if (expand)
    commits = await lastCommits(
      dir,
      commit,
      found.map((e) => e.path),
    );
  return found.map((e) => apiTreeEntry(e, commits?.get(e.path)));
}

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString("base64url");
}

function decodeCursor(value: unknown): number {
  if (value === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(String(value), "base64url").toString("utf8")) as { o?: unknown };
    if (typeof parsed.o === "number" && Number.isSafeInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through to the error below
  }
  throw new HubError("BadRequest", "Invalid cursor");
}
