/**
 * Which private repos a listing (`GET /api/models` …) may show a principal. Listings cannot ask the
 * engine repo by repo without breaking pagination, so this computes, from the principal and the user's
 * org memberships, the set the store filters on. It must agree with `authorizeRepo(…, "repo.info")`:
 * a private repo is listed exactly when that call would allow it (the unit test checks this over
 * generated cases).
 *
 * - anonymous: no private repo.
 * - a site admin's web session: every private repo (the engine gives it admin everywhere).
 * - a session, read or write token: the user's own namespace and every org they belong to, whatever
 *   the role (an org `read` member reads every repo of the org).
 * - a fine-grained token: only where it holds `repo.content.read`, scoped to one of those namespaces,
 *   or to a repo that still sits in one of them (the intersection of token and user, tokens.md §3).
 */
import type { Membership, Repo } from "../domain/entities.ts";
import type { PrivateScope } from "../store/repos.ts";
import { fineGrainedCaps } from "./authorize.ts";
import type { Principal } from "./principal.ts";

const NOTHING: PrivateScope = Object.freeze({ all: false, namespaceIds: [], repoIds: [], repoNamespaceIds: [] });
const EVERYTHING: PrivateScope = Object.freeze({ all: true, namespaceIds: [], repoIds: [], repoNamespaceIds: [] });

export function listingScope(principal: Principal, memberships: readonly Membership[]): PrivateScope {
  if (principal.type === "anonymous") return NOTHING;
  if (principal.type === "session" && principal.user.isAdmin) return EVERYTHING;
  const readable = [principal.user.id, ...memberships.map((membership) => membership.org.id)];
  const fineGrained = fineGrainedCaps(principal);
  if (!fineGrained) return { all: false, namespaceIds: readable, repoIds: [], repoNamespaceIds: [] };

  const namespaceIds = new Set<string>();
  const repoIds = new Set<string>();
  for (const scope of fineGrained.scoped) {
    if (!scope.permissions.includes("repo.content.read")) continue;
    const entity = scope.entity;
    if (entity.type === "user" || entity.type === "org") {
      if (readable.includes(entity._id)) namespaceIds.add(entity._id);
    } else {
      repoIds.add(entity._id);
    }
  }
  return {
    all: false,
    namespaceIds: [...namespaceIds],
    repoIds: [...repoIds],
    repoNamespaceIds: repoIds.size > 0 ? readable : [],
  };
}

/** The store's filter, in memory: whether `scope` lists `repo`. */
export function scopeShows(scope: PrivateScope, repo: Pick<Repo, "id" | "namespaceId" | "private">): boolean {
  if (!repo.private || scope.all) return true;
  if (scope.namespaceIds.includes(repo.namespaceId)) return true;
  return scope.repoIds.includes(repo.id) && scope.repoNamespaceIds.includes(repo.namespaceId);
}
