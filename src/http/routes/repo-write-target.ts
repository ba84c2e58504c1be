/**
 * The repo and revision named by a write URL (`/api/{type}s/{ns}/{name}/{verb}/{rev}`), and the ref a
 * commit to that revision moves. The revision is read from the raw path and decoded segment by segment,
 * so `refs%2Fpr%2F1` (JS, Python) and `refs/pr/1` name the same ref (hub-api.md §1.2).
 */
import type { FastifyRequest } from "fastify";
import type { RepoRequest } from "../../auth/repo-access.ts";
import type { RepoType } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { parseRevisionOnly, refNameProblem } from "../../git/revision.ts";

export function writeTarget(request: FastifyRequest, type: RepoType): { repo: RepoRequest; revision: string } {
  const params = request.params as { ns: string; name: string };
  const path = (request.url.split("?")[0] ?? "").replace(/\/{2,}/g, "/");
  // ["", "api", "{type}s", ns, name, verb, ...revision]
  const tail = path.split("/").slice(6).join("/");
  const revision = tail === "" ? "main" : parseRevisionOnly(tail);
  return { repo: { type, namespace: params.ns, name: params.name }, revision };
}

/** The ref a commit on `revision` moves: a branch or `refs/pr/<n>`; anything else names no branch. */
export function commitRef(revision: string): string {
  if (/^refs\/pr\/[1-9][0-9]{0,8}$/.test(revision)) return revision;
  const branch = revision === "HEAD" ? "main" : revision.replace(/^refs\/heads\//, "");
  if (refNameProblem(branch) !== undefined) {
    throw new HubError("RevisionNotFound", `Invalid rev id: ${revision.slice(0, 100)}`);
  }
  return `refs/heads/${branch}`;
}
