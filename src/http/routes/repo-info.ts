/**
 * Repository information and listings (hub-api.md §4): `GET /api/{type}s/{ns}/{name}[/revision/{rev}]`,
 * `GET /api/{type}s` and `…/auth-check`. Access goes through requireRepo for single repos and through
 * listingScope (which mirrors the engine) for listings, so private repos show only to those who may read
 * them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { repoNotFound } from "../../auth/denial-error.ts";
import { listingScope } from "../../auth/listing-scope.ts";
import { requireRepo } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import type { Repo } from "../../domain/entities.ts";
import { isValidName } from "../../domain/names.ts";
import { REPO_TYPES, type RepoType } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { parseRevisionOnly } from "../../git/revision.ts";
import { listRepos, type RepoSort } from "../../store/repos.ts";
import { listMemberships } from "../../store/users.ts";
import { rawTail } from "../content-request.ts";
import { parseBoolean, parsePageSize, queryList } from "../query-params.ts";
import { apiRepoCore } from "../wire.ts";

type RepoParams = { ns: string; name: string };

/** The repo a path names; a name that cannot exist is "not found" before it reaches the database. */
function target(type: RepoType, request: FastifyRequest) {
  const params = request.params as RepoParams;
  if (!isValidName(params.ns) || !isValidName(params.name)) throw repoNotFound(request.principal);
  return { type, namespace: params.ns, name: params.name };
}

/** `/api/{type}s/{ns}/{name}/revision/…`: the revision starts after the sixth `/`. */
const REVISION_AT = 6;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Listings that ask for `sha`/`siblings` read each repo's branch; a few at a time keeps git spawns bounded. */
const EXPAND_CONCURRENCY = 8;

export function registerRepoInfoRoutes(app: FastifyInstance, ctx: Context): void {
  for (const type of REPO_TYPES) {
    const base = `/api/${type}s`;

    app.get(base, async (request, reply) => listing(ctx, type, request, reply));

    app.get(`${base}/:ns/:name`, async (request) => {
      const { repo } = await requireRepo(ctx, request.principal, target(type, request), "repo.info");
      return repoInfo(ctx, repo, "main");
    });

    // JS sends the revision encoded (`refs%2Fpr%2F1`), other callers may send it raw (`refs/pr/1`): take
    // everything after `revision/` from the undecoded path and decode segment by segment.
    app.get(`${base}/:ns/:name/revision/*`, async (request) => {
      const revision = parseRevisionOnly(rawTail(request, REVISION_AT));
      const { repo } = await requireRepo(ctx, request.principal, target(type, request), "repo.info");
      return repoInfo(ctx, repo, revision);
    });

    app.get(`${base}/:ns/:name/auth-check`, async (request) => {
      await requireRepo(ctx, request.principal, target(type, request), "repo.content");
      return {};
    });

    // A one-segment id (`missing_repo_id`) names no repo; the clients need RepoNotFound, not a bare 404.
    app.get(`${base}/:name`, async (request) => {
      throw repoNotFound(request.principal);
    });
  }
}

async function repoInfo(ctx: Context, repo: Repo, revision: string) {
  const sha = await ctx.storage.resolveRevision(repo.type, repo.id, revision);
  if (!sha) throw new HubError("RevisionNotFound", `Invalid rev id: ${revision}`);
  const files = await ctx.storage.listFiles(repo.type, repo.id, sha);
  return {
    ...apiRepoCore(repo),
    sha,
    siblings: files.map((rfilename) => ({ rfilename })),
    ...(repo.type === "model" ? { spaces: [] as string[] } : {}),
  };
}

async function listing(ctx: Context, type: RepoType, request: FastifyRequest, reply: FastifyReply) {
  const query = request.query;
  const limit = parsePageSize(first(query, "limit"), "limit", DEFAULT_LIMIT, MAX_LIMIT);
  const offset = parseCursor(first(query, "cursor"));
  const { sort, descending } = parseSort(first(query, "sort"), first(query, "direction"));
  // No repo carries tags or a pipeline tag yet, so a listing filtered on them is empty rather than everything.
  if (queryList(query, "filter").length > 0 || queryList(query, "pipeline_tag").length > 0) return [];

  const search = queryList(query, "search").filter((term) => term.length > 0);
  // PostgreSQL refuses NUL in text; no repo id holds a control character anyway.
  if (search.some((term) => /\p{Cc}/u.test(term))) throw new HubError("BadRequest", "Invalid search term");
  const author = first(query, "author") || undefined;
  if (author !== undefined && !isValidName(author)) return [];

  const principal = request.principal;
  const memberships = principal.type === "anonymous" ? [] : await listMemberships(ctx.db, principal.user.id);
  const repos = await listRepos(ctx.db, {
    type,
    search,
    author,
    sort,
    descending,
    limit: limit + 1,
    offset,
    privateScope: listingScope(principal, memberships),
  });
  const page = repos.slice(0, limit);
  if (repos.length > limit) {
    const params = new URLSearchParams(request.url.split("?")[1] ?? "");
    params.set("cursor", Buffer.from(String(offset + limit)).toString("base64url"));
    reply.header("Link", `<${ctx.config.publicUrl}/api/${type}s?${params}>; rel="next"`);
  }

  const expand = new Set(queryList(query, "expand"));
  const full = parseBoolean(queryList(query, "full"));
  const withSiblings = full || expand.has("siblings");
  const withSha = withSiblings || expand.has("sha");
  if (!withSha) return page.map(apiRepoCore);
  const out: object[] = [];
  for (let i = 0; i < page.length; i += EXPAND_CONCURRENCY) {
    const batch = page.slice(i, i + EXPAND_CONCURRENCY).map(async (repo) => {
      const sha = await ctx.storage.resolveRevision(repo.type, repo.id, "main");
      const files = withSiblings && sha ? await ctx.storage.listFiles(repo.type, repo.id, sha) : undefined;
      return {
        ...apiRepoCore(repo),
        ...(sha ? { sha } : {}),
        ...(files ? { siblings: files.map((rfilename) => ({ rfilename })) } : {}),
      };
    });
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

function first(query: unknown, key: string): string | undefined {
  return queryList(query, key)[0];
}

function parseCursor(value: string | undefined): number {
  if (value === undefined) return 0;
  const decoded = Buffer.from(value, "base64url").toString("utf8");
  if (!/^\d{1,9}$/.test(decoded)) throw new HubError("BadRequest", "Invalid cursor");
  return Number(decoded);
}

/**
 * `lastModified`, `createdAt` and `id` sort for real. Every repo has 0 downloads and likes, so those
 * sorts (and trendingScore) are ties broken by id: the stable order. Without `direction` the date sorts
 * are newest first, as on the Hub; `direction=-1` means descending, anything else ascending.
 */
function parseSort(sort: string | undefined, direction: string | undefined): { sort: RepoSort; descending: boolean } {
  const column: RepoSort = sort === "lastModified" || sort === "createdAt" ? sort : "id";
  if (column === "id" && sort !== undefined && sort !== "id") return { sort: "id", descending: false };
  const descending = direction === undefined ? column !== "id" : direction === "-1";
  return { sort: column, descending };
}
