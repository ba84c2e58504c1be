import { type SelectQueryBuilder, sql } from "kysely";
import type { AccessStatus, Gated, NamespaceRef, Repo } from "../domain/entities.ts";
import { nameKey } from "../domain/names.ts";
import type { RepoType } from "../domain/repo-id.ts";
import type { OrgRole } from "../domain/token.ts";
import { HubError } from "../errors.ts";
import { type Db, isUniqueViolation } from "./db.ts";
import { preparedQuery } from "./prepared-query.ts";
import type { Database, RepoTable } from "./schema.ts";

export function repoKey(type: RepoType, namespace: string, name: string): string {
  return `${type}/${nameKey(namespace)}/${nameKey(name)}`;
}

export function toRepo(row: RepoTable): Repo {
  return {
    id: row.id,
    type: row.type as RepoType,
    namespaceId: row.namespace_id,
    namespaceKind: row.namespace_kind,
    namespace: row.namespace,
    name: row.name,
    private: row.private === 1,
    gated: row.gated === "auto" || row.gated === "manual" ? row.gated : false,
    sdk: row.sdk ?? undefined,
    createdBy: row.created_by ?? undefined,
    createdAt: new Date(row.created_at),
    lastModified: new Date(row.last_modified),
  };
}

export interface NewRepo {
  id: string;
  type: RepoType;
  namespace: NamespaceRef;
  name: string;
  private: boolean;
  sdk: string | undefined;
  createdBy: string;
}

export async function insertRepo(db: Db, input: NewRepo, now: Date): Promise<Repo> {
  const row: RepoTable = {
    id: input.id,
    type: input.type,
    namespace_id: input.namespace.id,
    namespace_kind: input.namespace.kind,
    namespace: input.namespace.name,
    name: input.name,
    key: repoKey(input.type, input.namespace.name, input.name),
    private: input.private ? 1 : 0,
    gated: "false",
    sdk: input.sdk ?? null,
    created_by: input.createdBy,
    created_at: now.toISOString(),
    last_modified: now.toISOString(),
  };
  try {
    await db.insertInto("repo").values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw repoExists(input.type, `${input.namespace.name}/${input.name}`);
    throw error;
  }
  return toRepo(row);
}

export function repoExists(type: RepoType, id: string): HubError {
  return new HubError("Conflict", `A ${type} repository called ${id} already exists`);
}

const selectRepoByKey = preparedQuery((db, key) => db.selectFrom("repo").selectAll().where("key", "=", key));

export async function findRepo(db: Db, type: RepoType, namespace: string, name: string): Promise<Repo | undefined> {
  const [row] = await selectRepoByKey(db, repoKey(type, namespace, name));
  return row && toRepo(row);
}

/** A repo as a principal reaches it by name: the row, how the name led there, and their relation. */
export interface RepoAccessRow {
  readonly repo: Repo;
  /** `name`: the repo's own name; `redirect`: an old name it was moved away from. */
  readonly via: "name" | "redirect";
  readonly orgRole: OrgRole | undefined;
  readonly accessStatus: AccessStatus | undefined;
}

/**
 * The repo a name leads to, by its own name or an old one, joined with the user's org role and access
 * request (`userId` "" for anonymous, which matches nothing). One statement whatever the outcome, so a
 * private repo the caller cannot see costs the same work as a missing name: the answer time says
 * nothing about existence, and the hot path pays one round trip instead of up to four.
 */
const selectRepoAccess = preparedQuery((db, memberUser, requestUser, key, redirectKey) =>
  db
    .selectFrom("repo")
    .leftJoin("member", (join) =>
      join.onRef("member.org_id", "=", "repo.namespace_id").on("member.user_id", "=", memberUser),
    )
    .leftJoin("access_request", (join) =>
      join.onRef("access_request.repo_id", "=", "repo.id").on("access_request.user_id", "=", requestUser),
    )
    .selectAll("repo")
    .select(["member.role as org_role", "access_request.status as access_status"])
    .where((eb) =>
      eb.or([
        eb("repo.key", "=", key),
        eb(
          "repo.id",
          "=",
          eb.selectFrom("repo_redirect").select("repo_redirect.repo_id").where("repo_redirect.key", "=", redirectKey),
        ),
      ]),
    ),
);

export async function findRepoAccess(
  db: Db,
  target: { type: RepoType; namespace: string; name: string },
  userId: string | undefined,
): Promise<RepoAccessRow | undefined> {
  const key = repoKey(target.type, target.namespace, target.name);
  const rows = await selectRepoAccess(db, userId ?? "", userId ?? "", key, key);
  // A real repo under the name wins over a redirect from it (a repo created later under an old name).
  const row = rows.find((r) => r.key === key) ?? rows[0];
  if (!row) return undefined;
  return {
    repo: toRepo(row),
    via: row.key === key ? "name" : "redirect",
    orgRole: row.namespace_kind === "org" ? ((row.org_role ?? undefined) as OrgRole | undefined) : undefined,
    accessStatus: (row.access_status ?? undefined) as AccessStatus | undefined,
  };
}

export async function deleteRepoRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom("repo").where("id", "=", id).execute();
}

/**
 * Renames or transfers a repo and leaves its old key pointing at it, so the old name keeps working. A
 * real repo always wins over a redirect: a later repo created under the old name takes it back.
 */
export async function moveRepoRow(db: Db, repo: Repo, to: NamespaceRef, name: string, now: Date): Promise<Repo> {
  const key = repoKey(repo.type, to.name, name);
  const oldKey = repoKey(repo.type, repo.namespace, repo.name);
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("repo")
        .set({
          namespace_id: to.id,
          namespace_kind: to.kind,
          namespace: to.name,
          name,
          key,
          last_modified: now.toISOString(),
        })
        .where("id", "=", repo.id)
        .execute();
      if (oldKey !== key) {
        await trx
          .insertInto("repo_redirect")
          .values({ key: oldKey, repo_id: repo.id, created_at: now.toISOString() })
          .onConflict((oc) => oc.column("key").doUpdateSet({ repo_id: repo.id, created_at: now.toISOString() }))
          .execute();
      }
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw repoExists(repo.type, `${to.name}/${name}`);
    throw error;
  }
  return { ...repo, namespaceId: to.id, namespaceKind: to.kind, namespace: to.name, name, lastModified: now };
}

export async function updateRepoSettings(
  db: Db,
  id: string,
  settings: { private?: boolean | undefined; gated?: Gated | undefined },
  now: Date,
): Promise<void> {
  await db
    .updateTable("repo")
    .set({
      ...(settings.private === undefined ? {} : { private: settings.private ? 1 : 0 }),
      ...(settings.gated === undefined ? {} : { gated: String(settings.gated) }),
      last_modified: now.toISOString(),
    })
    .where("id", "=", id)
    .execute();
}

export async function touchRepo(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable("repo").set({ last_modified: now.toISOString() }).where("id", "=", id).execute();
}

export type RepoSort = "id" | "createdAt" | "lastModified";

/**
 * Which private repos a listing may show (computed by auth/listing-scope.ts); public repos are always
 * listed. A private repo is listed when `all`, when its namespace is in `namespaceIds`, or when its id is
 * in `repoIds` and it still sits in one of `repoNamespaceIds` (a repo-scoped token must not follow a repo
 * moved to a namespace its owner cannot read).
 */
export interface PrivateScope {
  readonly all: boolean;
  readonly namespaceIds: readonly string[];
  readonly repoIds: readonly string[];
  readonly repoNamespaceIds: readonly string[];
}

export interface RepoQuery {
  type: RepoType;
  search: readonly string[];
  author: string | undefined;
  sort: RepoSort;
  descending: boolean;
  limit: number;
  offset: number;
  privateScope: PrivateScope;
}

const sortColumn = { id: "key", createdAt: "created_at", lastModified: "last_modified" } as const;

export async function listRepos(db: Db, query: RepoQuery): Promise<Repo[]> {
  // The key is `type/ns/name`, lower-cased: search matches after the type prefix so "model" does not match
  // every model, and LIKE's wildcards are escaped so a search for "_" means an underscore.
  const select = matching(db.selectFrom("repo").selectAll(), query);
  const rows = await withinScope(select, query.privateScope)
    .orderBy(sortColumn[query.sort], query.descending ? "desc" : "asc")
    .orderBy("key", "asc")
    .limit(query.limit)
    .offset(query.offset)
    .execute();
  return rows.map(toRepo);
}

/** Narrows a select of repos to those `scope` may list: public ones, and the private ones it names. */
export function withinScope<Q extends SelectQueryBuilder<Database, "repo", O>, O>(select: Q, scope: PrivateScope): Q {
  if (scope.all) return select;
  return select.where((eb) => {
    const visible = [eb("repo.private", "=", 0)];
    if (scope.namespaceIds.length > 0) visible.push(eb("repo.namespace_id", "in", scope.namespaceIds));
    if (scope.repoIds.length > 0 && scope.repoNamespaceIds.length > 0) {
      visible.push(eb.and([eb("repo.id", "in", scope.repoIds), eb("repo.namespace_id", "in", scope.repoNamespaceIds)]));
    }
    return eb.or(visible);
  }) as Q;
}

/** The search and author filters of a listing, shared by the page and the count. */
export function matching<Q extends SelectQueryBuilder<Database, "repo", O>, O>(
  select: Q,
  query: Pick<RepoQuery, "type" | "search" | "author">,
): Q {
  let out = select.where("repo.type", "=", query.type) as Q;
  for (const term of query.search) out = out.where(likeKey(`${query.type}/%${escapeLike(nameKey(term))}%`)) as Q;
  if (query.author !== undefined) out = out.where(likeKey(`${query.type}/${escapeLike(nameKey(query.author))}/%`)) as Q;
  return out;
}

function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function likeKey(pattern: string) {
  return sql<boolean>`repo.key like ${pattern} escape '\\'`;
}
