import type { Context } from "../context.ts";
import type { AccessStatus, NamespaceRef, Repo } from "../domain/entities.ts";
import { isValidName } from "../domain/names.ts";
import type { RepoType } from "../domain/repo-id.ts";
import type { OrgRole } from "../domain/token.ts";
import { HubError } from "../errors.ts";
import { findAccessStatus } from "../store/access-requests.ts";
import { findNamespace, findOrgRole } from "../store/orgs.ts";
import { findRepoAccess, type RepoAccessRow, repoKey } from "../store/repos.ts";
import {
  authorizeNamespace,
  authorizeRepo,
  type NamespaceAction,
  type Relation,
  type RepoAction,
} from "./authorize.ts";
import { denialError, repoNotFound } from "./denial-error.ts";
import { type Principal, userOf } from "./principal.ts";

/** Loads what the engine needs about the principal and a repo: their org role and access request. */
export async function loadRelation(ctx: Context, principal: Principal, repo: Repo): Promise<Relation> {
  if (principal.type === "anonymous") return {};
  const [orgRole, accessStatus] = await Promise.all([
    repo.namespaceKind === "org" ? findOrgRole(ctx.db, repo.namespaceId, principal.user.id) : undefined,
    repo.gated === false ? undefined : findAccessStatus(ctx.db, repo.id, principal.user.id),
  ]);
  return { orgRole, accessStatus: accessStatus as AccessStatus | undefined };
}

export interface RepoRequest {
  readonly type: RepoType;
  readonly namespace: string;
  readonly name: string;
}

/**
 * The repo named, if the principal may do `action` on it; otherwise the HubError of tokens.md §6.
 * Every route on a repo goes through here, git and LFS included. The repo, an old name's redirect and
 * the principal's relation come from one statement (store/repos.ts `findRepoAccess`), so a hidden
 * private repo and a missing name cost the same work.
 */
export async function requireRepo(
  ctx: Context,
  principal: Principal,
  target: RepoRequest,
  action: RepoAction,
): Promise<{ repo: Repo; relation: Relation }> {
  // A name that cannot exist names no repo: answer before the database sees it (PostgreSQL refuses NUL).
  const named = isValidName(target.namespace) && isValidName(target.name);
  const found = named ? await lookUpRepo(ctx, target, userOf(principal)?.id) : undefined;
  if (!found) throw repoNotFound(principal);
  const { repo, orgRole, accessStatus } = found;
  const relation: Relation = principal.type === "anonymous" ? {} : { orgRole, accessStatus };
  if (found.via === "redirect") throw movedOrNotFound(principal, target, repo, relation);
  const decision = authorizeRepo(principal, repo, relation, action);
  if (!decision.allowed) throw denialError(decision.denial, principal, repo, ctx.config.publicUrl);
  return { repo, relation };
}

/**
 * The repo a name leads to for a user, from memory when the caches may answer (auth-caches.ts), else
 * from the one statement of `findRepoAccess`; a name that leads nowhere is remembered too, so a hidden
 * private repo and a missing name still cost the same.
 */
export async function lookUpRepo(
  ctx: Context,
  target: RepoRequest,
  userId: string | undefined,
): Promise<RepoAccessRow | undefined> {
  const key = repoKey(target.type, target.namespace, target.name);
  const user = userId ?? "";
  const now = Date.now();
  const cached = await ctx.caches.findRepo(key, user, now);
  if (cached !== undefined) return cached ?? undefined;
  const generation = ctx.caches.generation;
  const found = await findRepoAccess(ctx.db, target, userId);
  ctx.caches.rememberRepo(key, user, found, now, generation);
  return found;
}

/**
 * A moved repo's old name answers with a redirect to the new one, as the Hub's does, but only to those
 * who may see the repo: to anyone else the old name is as missing as any other.
 */
function movedOrNotFound(principal: Principal, target: RepoRequest, moved: Repo, relation: Relation): HubError {
  if (!authorizeRepo(principal, moved, relation, "repo.info").allowed) return repoNotFound(principal);
  const to = `${moved.namespace}/${moved.name}`;
  return new HubError("RepoMoved", `This repository has moved to ${to}`, {
    moved: { from: `${target.namespace}/${target.name}`, to },
  });
}

/** The namespace named, if the principal may do `action` in it. */
export async function requireNamespace(
  ctx: Context,
  principal: Principal,
  name: string,
  action: NamespaceAction,
  repoType: RepoType = "model",
): Promise<{ namespace: NamespaceRef; orgRole: OrgRole | undefined }> {
  const namespace = isValidName(name) ? await findNamespace(ctx.db, name) : undefined;
  if (!namespace) {
    if (action === "repo.create") {
      throw new HubError("Forbidden", `You don't have the rights to create a ${repoType} under namespace "${name}"`);
    }
    throw new HubError("NotFound", `Organization "${name}" not found`);
  }
  const orgRole =
    principal.type !== "anonymous" && namespace.kind === "org"
      ? await findOrgRole(ctx.db, namespace.id, principal.user.id)
      : undefined;
  const decision = authorizeNamespace(principal, namespace, { orgRole }, action, repoType);
  if (!decision.allowed) throw denialError(decision.denial, principal, undefined, ctx.config.publicUrl);
  return { namespace, orgRole };
}
