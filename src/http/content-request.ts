/**
 * What the content routes (resolve, raw, tree, paths-info, refs, commits, branches, tags) share: the
 * undecoded URL tail, revision resolution with the commit-tree cache, and a second question to the
 * authorization engine once the path is known (README.md stays readable on gated repos).
 */
import type { FastifyRequest } from "fastify";
import type { Relation } from "../auth/authorize.ts";
import { authorizeRepo, type RepoAction } from "../auth/authorize.ts";
import { denialError } from "../auth/denial-error.ts";
import type { Context } from "../context.ts";
import type { Repo } from "../domain/entities.ts";
import { HubError } from "../errors.ts";
import type { LastCommit } from "../git/commit-log.ts";
import { listRefNames } from "../git/ref-store.ts";
import { mayHaveMultiSegmentRevision, parseRevisionPath, type RevisionPath } from "../git/revision.ts";
import type { TreeEntry } from "../git/tree-reader.ts";

const COMMIT_ID = /^[0-9a-f]{40}$/;

/**
 * Everything after the `segment`-th `/` of the raw path, still percent-encoded (the query stays on; the
 * parsers drop it). Fastify's params are decoded, which would turn `refs%2Fpr%2F1` into three segments.
 */
export function rawTail(request: FastifyRequest, segment: number): string {
  const url = request.raw.url ?? "";
  const query = url.indexOf("?");
  const path = query < 0 ? url : url.slice(0, query);
  return path.split("/").slice(segment).join("/");
}

export function repoDir(ctx: Context, repo: Repo): string {
  return ctx.storage.pathOf(repo.type, repo.id);
}

/** Splits a raw tail into revision and path, reading the repo's ref names only when it must. */
export async function revisionAndPath(ctx: Context, repo: Repo, tail: string): Promise<RevisionPath> {
  if (!mayHaveMultiSegmentRevision(tail)) return parseRevisionPath(tail, []);
  // Git refs are hierarchical: when the first segment is itself a branch (`main` in the common
  // `main/config.json`), no ref `main/…` can exist, and one ref-file read spares listing them all.
  const first = firstSegment(tail);
  if (first !== undefined && (await ctx.storage.readBranch(repo.type, repo.id, first))) {
    return parseRevisionPath(tail, []);
  }
  return parseRevisionPath(tail, await listRefNames(repoDir(ctx, repo)));
}

function firstSegment(tail: string): string | undefined {
  const segment = tail.split(/[/?]/, 1)[0] ?? "";
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The commit a revision names. A full commit id whose tree is cached for this repo is known to exist
 * and needs no process; a branch is a file read; anything else asks git.
 */
export async function resolveCommit(ctx: Context, repo: Repo, revision: string): Promise<string> {
  if (COMMIT_ID.test(revision) && ctx.trees.has(repoDir(ctx, repo), revision)) return revision;
  const commit = await ctx.storage.resolveRevision(repo.type, repo.id, revision);
  if (!commit) throw new HubError("RevisionNotFound", `Invalid rev id: ${revision.slice(0, 200)}`);
  return commit;
}

/** Asks the engine about a further action on a repo already loaded by requireRepo. */
export function assertAllowed(
  ctx: Context,
  request: FastifyRequest,
  access: { repo: Repo; relation: Relation },
  action: RepoAction,
): void {
  const decision = authorizeRepo(request.principal, access.repo, access.relation, action);
  if (!decision.allowed) throw denialError(decision.denial, request.principal, access.repo, ctx.config.publicUrl);
}

/** A tree or paths-info entry as the clients read it (hub-api.md §5); never `xetHash`. */
export function apiTreeEntry(entry: TreeEntry, lastCommit?: LastCommit) {
  return {
    type: entry.type,
    oid: entry.oid,
    size: entry.size,
    path: entry.path,
    ...(entry.lfs ? { lfs: { oid: entry.lfs.oid, size: entry.lfs.size, pointerSize: entry.lfs.pointerSize } } : {}),
    ...(lastCommit
      ? { lastCommit: { id: lastCommit.id, title: lastCommit.title, date: lastCommit.date.toISOString() } }
      : {}),
  };
}

/** A percent-encoded path that keeps its slashes, for Link URLs. */
export function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}
