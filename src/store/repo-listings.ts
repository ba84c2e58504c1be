/**
 * The web pages' listings beyond `listRepos`: how many repos a listing holds, the recent repos of a
 * set of namespaces across types (the home page), and a user's gated-access requests and the pending
 * ones on repos of their namespaces. Visibility is always the caller's `PrivateScope`, computed by the
 * same listing scope as the API's (auth/listing-scope.ts).
 */
import type { AccessStatus, Repo } from "../domain/entities.ts";
import type { Db } from "./db.ts";
import { matching, type PrivateScope, type RepoQuery, toRepo, withinScope } from "./repos.ts";

export async function countRepos(
  db: Db,
  query: Pick<RepoQuery, "type" | "search" | "author" | "privateScope">,
): Promise<number> {
  const select = withinScope(matching(db.selectFrom("repo"), query), query.privateScope);
  const row = await select.select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The most recently updated repos of every type, in `namespaceIds` when given, newest first. */
export async function listRecentRepos(
  db: Db,
  query: { namespaceIds: readonly string[] | undefined; privateScope: PrivateScope; limit: number },
): Promise<Repo[]> {
  if (query.namespaceIds?.length === 0) return [];
  let select = db.selectFrom("repo").selectAll();
  if (query.namespaceIds) select = select.where("repo.namespace_id", "in", query.namespaceIds);
  const rows = await withinScope(select, query.privateScope)
    .orderBy("repo.last_modified", "desc")
    .orderBy("repo.key", "asc")
    .limit(query.limit)
    .execute();
  return rows.map(toRepo);
}

export interface OwnAccessRequest {
  readonly repo: Repo;
  readonly status: AccessStatus;
  readonly updatedAt: Date;
}

/** The gated-access requests a user made, newest first. */
export async function listRequestsOfUser(db: Db, userId: string, limit: number): Promise<OwnAccessRequest[]> {
  const rows = await db
    .selectFrom("access_request")
    .innerJoin("repo", "repo.id", "access_request.repo_id")
    .selectAll("repo")
    .select(["access_request.status as request_status", "access_request.updated_at as request_updated"])
    .where("access_request.user_id", "=", userId)
    .where("access_request.granted", "=", 0)
    .orderBy("access_request.updated_at", "desc")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    repo: toRepo(row),
    status: row.request_status as AccessStatus,
    updatedAt: new Date(row.request_updated),
  }));
}

export interface PendingRequests {
  readonly repo: Repo;
  readonly pending: number;
}

/**
 * Gated repos in `namespaceIds` with requests waiting for review. Who may review them is the engine's
 * question (`repo.access.write`): the caller asks it for each repo before showing one.
 */
export async function listPendingRequests(
  db: Db,
  namespaceIds: readonly string[],
  limit: number,
): Promise<PendingRequests[]> {
  if (namespaceIds.length === 0) return [];
  const pending = await db
    .selectFrom("access_request")
    .innerJoin("repo", "repo.id", "access_request.repo_id")
    .select((eb) => ["repo.id", eb.fn.countAll<number | string>().as("n")])
    .where("access_request.status", "=", "pending")
    .where("repo.namespace_id", "in", namespaceIds)
    .where("repo.gated", "!=", "false")
    .groupBy("repo.id")
    .orderBy("repo.id")
    .limit(limit)
    .execute();
  if (pending.length === 0) return [];
  const repos = await db
    .selectFrom("repo")
    .selectAll()
    .where(
      "id",
      "in",
      pending.map((row) => row.id),
    )
    .execute();
  const byId = new Map(repos.map((row) => [row.id, toRepo(row)]));
  return pending.flatMap((row) => {
    const repo = byId.get(row.id);
    return repo ? [{ repo, pending: Number(row.n) }] : [];
  });
}
