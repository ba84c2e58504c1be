/**
 * The authorization engine: one pure function of (principal, facts about the resource, action) that
 * allows or returns a typed denial. Every route, git and LFS ask it; none keeps an access rule of its
 * own. It does no I/O: callers load the facts (repo row, the principal's org role, access request).
 *
 * Effective rights = what the user may do (tokens.md §5) ∩ what the credential allows (§3–§4).
 * Checks run in an order that never tells a stranger more than they may know: visibility first (a
 * private repo they cannot see is "not found"), then the gate, then the user's right, then the token's.
 *
 * Choices where tokens.md is silent (the matrix in authorize.test.ts pins them):
 * - A gate is passed with write on the repo (owner, org write/admin, a contributor on a repo they
 *   created) or an accepted request; org `read` members and other contributors ask like anyone.
 * - A fine-grained token sees a private repo when it holds any `repo.*` permission on it or on its
 *   namespace; a read without `repo.content.read` is then a 403 naming it, not a 404. A namespace
 *   scope with `repo.content.read` counts like a repo scope for gated repos.
 * - A read token may list access requests (a read) and ask for access (it concerns only its owner).
 * - Org members of any role may read the member list; a fine-grained token needs `org.read` for it.
 * - `repo.inference` is a content read (so visibility and gate decide first), then the credential's
 *   right to call inference: sessions, read and write tokens have it; a fine-grained token needs
 *   `inference.serverless.write` on its owner's user entity or in `global` (an org or another user's
 *   entity does not count). Anonymous callers get 401.
 * - An OAuth access token (issue 12) is a fine-grained token whose permissions come from its scopes
 *   (domain/oauth-scopes.ts), plus two rules the permissions cannot say: administering or moving a repo
 *   (`repo.admin`, `repo.transfer`) takes the `manage-repos` scope, and creating one takes
 *   `manage-repos` or `contribute-repos`, in the user's own namespace or an org chosen at consent.
 */
import type { AccessStatus, NamespaceRef, Repo } from "../domain/entities.ts";
import { CREATE_SCOPES, MANAGE_SCOPES } from "../domain/oauth-scopes.ts";
import type { RepoType } from "../domain/repo-id.ts";
import { fullName } from "../domain/repo-id.ts";
import type { FineGrained, OrgRole, Permission } from "../domain/token.ts";
import type { AppCaps, Principal } from "./principal.ts";

/** What the engine needs of a repo. */
export type RepoFacts = Pick<
  Repo,
  "id" | "type" | "namespace" | "name" | "namespaceId" | "namespaceKind" | "private" | "gated" | "createdBy"
>;

export type NamespaceFacts = NamespaceRef;

/** The principal's relation to the resource, loaded by the caller. */
export interface Relation {
  /** Role in the org owning the namespace, when there is one and the principal is a member. */
  readonly orgRole?: OrgRole | undefined;
  /** The principal's gated-access request on the repo. */
  readonly accessStatus?: AccessStatus | undefined;
}

export type RepoAction =
  /** Metadata, tree listings and README.md: readable on a gated repo without access. */
  | "repo.info"
  /** Files, commits, git fetch: behind the gate. */
  | "repo.content"
  /** Commit, push, branches, tags. */
  | "repo.write"
  /** Settings, visibility, gating, delete, rename within its namespace. */
  | "repo.admin"
  /**
   * Move the repo out of its namespace (issue 8): admin rights on the repo are not enough, the user
   * must hold admin rights on the namespace it leaves (its owner for a user namespace, an org admin
   * for an org), so a member cannot carry an org's repo off. Moving in is `repo.create` there.
   */
  | "repo.transfer"
  /**
   * Upload LFS or Xet objects for a commit: anyone who may write, or open a pull request (whose commit
   * lands on `refs/pr/N` only). Uploading never opens the gate: a commit still references only
   * objects its author may read or has proved to hold by uploading them (git/lfs-possession.ts).
   */
  | "repo.upload"
  /** Ask for access to a gated repo. */
  | "repo.request-access"
  /** List gated access requests. */
  | "repo.access.read"
  /** Accept, reject, grant gated access. */
  | "repo.access.write"
  /**
   * Open a pull request (`create_pr=1` commits) or discussion: read access to the repo is enough for
   * the user (hub-api.md §8.1); a read-role token is refused like any write, a write-role token
   * passes, a fine-grained one needs `discussion.write` (global, or on the repo or its namespace).
   */
  | "repo.discussion.write"
  /**
   * Call the inference API on the model (issue 5): read of its content, gate included, and a credential
   * that may call inference on its owner's behalf: a session, a read or write token, or a fine-grained
   * token holding `inference.serverless.write` on the owner's own user entity (or in `global`).
   */
  | "repo.inference";

/**
 * `apps.write`: register, rotate and delete the namespace's OAuth apps (issue 12): its own user, or an
 * admin of the org; a web session only (like token management, no token may do it).
 */
export type NamespaceAction = "repo.create" | "org.members.read" | "org.members.write" | "apps.write";

export type Denial =
  /** The repo does not exist for this principal (missing, or private and not theirs). */
  | { readonly type: "not-found" }
  /** A write needs a signed-in user. */
  | { readonly type: "auth-required"; readonly message?: string }
  /** Gated content without an accepted request. */
  | { readonly type: "gated"; readonly state: "none" | AccessStatus }
  /** The user passed the gate but the fine-grained token may not read gated repos. */
  | { readonly type: "token-gated" }
  | { readonly type: "read-role" }
  | { readonly type: "token-lacks"; readonly permission: Permission; readonly target: string }
  | { readonly type: "user-lacks"; readonly message: string }
  /** A fine-grained token without `inference.serverless.write` for its owner `user`. */
  | { readonly type: "inference-lacks"; readonly user: string }
  /** An OAuth access token without the scope the action needs (`manage-repos`). */
  | { readonly type: "scope-lacks"; readonly scope: string; readonly target: string };

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly denial: Denial };

const ALLOW: Decision = Object.freeze({ allowed: true });
const deny = (denial: Denial): Decision => ({ allowed: false, denial });

/** The user's own right on a repo, before any token cap. */
export type RepoRight = "none" | "read" | "write" | "admin";

export function userRepoRight(principal: Principal, repo: RepoFacts, relation: Relation): RepoRight {
  const publicRight: RepoRight = repo.private ? "none" : "read";
  if (principal.type === "anonymous") return publicRight;
  const user = principal.user;
  if (principal.type === "session" && user.isAdmin) return "admin";
  if (repo.namespaceKind === "user") return repo.namespaceId === user.id ? "admin" : publicRight;
  switch (relation.orgRole) {
    case "admin":
    case "write":
      return "admin";
    case "contributor":
      return repo.createdBy === user.id ? "admin" : "read";
    case "read":
      return "read";
    default:
      return publicRight;
  }
}

const rank: Record<RepoRight, number> = { none: 0, read: 1, write: 2, admin: 3 };

/** Permissions a fine-grained token holds on a repo: scoped to the repo itself or to its namespace. */
const NO_PERMISSIONS: FineGrained = Object.freeze({ canReadGatedRepos: false, global: [], scoped: [] });

/**
 * The caps of a fine-grained token, or undefined when the principal is not one. A fine-grained token
 * whose permissions are missing holds none: it must never count as uncapped.
 */
export function fineGrainedCaps(principal: Principal): FineGrained | undefined {
  if (principal.type !== "token" || principal.token.role !== "fineGrained") return undefined;
  return principal.token.fineGrained ?? NO_PERMISSIONS;
}

function repoPermissions(fineGrained: FineGrained, repo: RepoFacts): Set<Permission> {
  const held = new Set<Permission>();
  for (const scope of fineGrained.scoped) {
    const entity = scope.entity;
    const onRepo = entity.type === repo.type && entity._id === repo.id;
    const onNamespace = (entity.type === "user" || entity.type === "org") && entity._id === repo.namespaceId;
    if (onRepo || onNamespace) for (const permission of scope.permissions) held.add(permission);
  }
  return held;
}

function namespacePermissions(fineGrained: FineGrained, namespace: NamespaceFacts): Set<Permission> {
  const held = new Set<Permission>();
  for (const scope of fineGrained.scoped) {
    if (scope.entity.type === namespace.kind && scope.entity._id === namespace.id) {
      for (const permission of scope.permissions) held.add(permission);
    }
  }
  return held;
}

export function authorizeRepo(principal: Principal, repo: RepoFacts, relation: Relation, action: RepoAction): Decision {
  const right = userRepoRight(principal, repo, relation);
  if (right === "none") return deny({ type: "not-found" });

  const fineGrained = fineGrainedCaps(principal);
  const held = fineGrained ? repoPermissions(fineGrained, repo) : undefined;
  // A fine-grained token sees a private repo only through a permission on it or its namespace.
  if (held && repo.private && ![...held].some((permission) => permission.startsWith("repo."))) {
    return deny({ type: "not-found" });
  }

  if (action === "repo.inference") {
    const read = authorizeRepo(principal, repo, relation, "repo.content");
    if (!read.allowed) return read;
    if (principal.type === "anonymous") {
      return deny({
        type: "auth-required",
        message: "You must be authenticated to call the inference API: send a token",
      });
    }
    if (!fineGrained) return ALLOW;
    const ownUser = fineGrained.scoped.some(
      (scope) =>
        scope.entity.type === "user" &&
        scope.entity._id === principal.user.id &&
        scope.permissions.includes("inference.serverless.write"),
    );
    return ownUser || fineGrained.global.includes("inference.serverless.write")
      ? ALLOW
      : deny({ type: "inference-lacks", user: principal.user.name });
  }

  if (action === "repo.info") {
    return held && repo.private && !held.has("repo.content.read") ? tokenLacks("repo.content.read", repo) : ALLOW;
  }

  if (action === "repo.content") {
    const passesGate = rank[right] >= rank.write || relation.accessStatus === "accepted";
    if (repo.gated !== false && !passesGate) {
      const state = principal.type === "anonymous" ? "none" : (relation.accessStatus ?? "none");
      return deny({ type: "gated", state });
    }
    if (!held) return ALLOW;
    if (repo.private) return held.has("repo.content.read") ? ALLOW : tokenLacks("repo.content.read", repo);
    if (repo.gated === false) return ALLOW;
    // Public gated: the token must be allowed into gated repos, by flag or by naming the repo or its namespace.
    const mayReadGated = fineGrained?.canReadGatedRepos === true || held.has("repo.content.read");
    return mayReadGated ? ALLOW : deny({ type: "token-gated" });
  }

  if (principal.type === "anonymous") return deny({ type: "auth-required" });

  if (action === "repo.request-access") return ALLOW;

  if (action === "repo.upload") {
    const write = authorizeRepo(principal, repo, relation, "repo.write");
    if (write.allowed) return write;
    const pullRequest = authorizeRepo(principal, repo, relation, "repo.discussion.write");
    // A writer refused both is told what writing takes; anyone else what a pull request takes.
    return pullRequest.allowed || rank[right] < rank.write ? pullRequest : write;
  }

  if (action === "repo.discussion.write") {
    if (principal.type === "session") return ALLOW;
    if (principal.token.role === "read") return deny({ type: "read-role" });
    if (!fineGrained || !held) return ALLOW;
    return held.has("discussion.write") || fineGrained.global.includes("discussion.write")
      ? ALLOW
      : tokenLacks("discussion.write", repo);
  }

  const needed: RepoRight = action === "repo.admin" || action === "repo.transfer" ? "admin" : "write";
  if (action === "repo.transfer" && !isNamespaceAdmin(principal, repo, relation)) {
    return deny({
      type: "user-lacks",
      message: `You must be an admin of ${repo.namespace} to move ${repo.type} ${fullName(repo)} out of it`,
    });
  }
  if (rank[right] < rank[needed]) {
    const verb =
      action === "repo.access.read"
        ? "see the access requests of"
        : action === "repo.admin"
          ? "administer"
          : "write to";
    return deny({ type: "user-lacks", message: `You don't have the rights to ${verb} ${repo.type} ${fullName(repo)}` });
  }
  if (principal.type === "session") return ALLOW;
  const app = principal.token.app;
  if ((action === "repo.admin" || action === "repo.transfer") && app && !hasScope(app, MANAGE_SCOPES)) {
    return deny({ type: "scope-lacks", scope: "manage-repos", target: fullName(repo) });
  }
  const role = principal.token.role;
  if (action === "repo.access.read") {
    if (!held) return ALLOW;
    return held.has("repo.access.read") ? ALLOW : tokenLacks("repo.access.read", repo);
  }
  if (role === "read") return deny({ type: "read-role" });
  if (!held) return ALLOW;
  return held.has("repo.write") ? ALLOW : tokenLacks("repo.write", repo);
}

export function authorizeNamespace(
  principal: Principal,
  namespace: NamespaceFacts,
  relation: Relation,
  action: NamespaceAction,
  repoType: RepoType = "model",
): Decision {
  if (principal.type === "anonymous") return deny({ type: "auth-required" });
  const user = principal.user;
  const own = namespace.kind === "user" && namespace.id === user.id;
  const siteAdmin = principal.type === "session" && user.isAdmin;
  const orgRole = namespace.kind === "org" ? relation.orgRole : undefined;

  let userMay: boolean;
  let message: string;
  switch (action) {
    case "repo.create":
      userMay = own || siteAdmin || orgRole === "contributor" || orgRole === "write" || orgRole === "admin";
      message = `You don't have the rights to create a ${repoType} under namespace "${namespace.name}"`;
      break;
    case "org.members.read":
      userMay = namespace.kind === "org" && (siteAdmin || orgRole !== undefined);
      message = `You are not a member of ${namespace.name}`;
      break;
    case "org.members.write":
      userMay = namespace.kind === "org" && (siteAdmin || orgRole === "admin");
      message = `You must be an admin of ${namespace.name} to manage its members`;
      break;
    case "apps.write":
      userMay = own || siteAdmin || (namespace.kind === "org" && orgRole === "admin");
      message = `You must be an admin of ${namespace.name} to manage its OAuth apps`;
      break;
  }
  if (!userMay) return deny({ type: "user-lacks", message });
  if (principal.type === "session") return ALLOW;
  if (action === "apps.write") {
    return deny({ type: "user-lacks", message: "Tokens cannot manage OAuth apps: sign in on the web to do this" });
  }

  const token = principal.token;
  if (action === "repo.create" && token.app) {
    if (!hasScope(token.app, CREATE_SCOPES)) {
      return deny({ type: "scope-lacks", scope: "manage-repos", target: namespace.name });
    }
    // The user's own namespace, or an org the user let the app reach: nowhere else.
    const reached = namespace.kind === "user" ? namespace.id === user.id : token.app.orgIds.includes(namespace.id);
    return reached ? ALLOW : deny({ type: "token-lacks", permission: "repo.write", target: namespace.name });
  }
  const isRead = action === "org.members.read";
  if (token.role === "read" && !isRead) return deny({ type: "read-role" });
  const fineGrained = fineGrainedCaps(principal);
  if (!fineGrained) return ALLOW;
  const needed: Permission = action === "repo.create" ? "repo.write" : isRead ? "org.read" : "org.write";
  return namespacePermissions(fineGrained, namespace).has(needed)
    ? ALLOW
    : deny({ type: "token-lacks", permission: needed, target: namespace.name });
}

function hasScope(app: AppCaps, scopes: readonly string[]): boolean {
  return app.scopes.some((scope) => scopes.includes(scope));
}

/** Admin rights on the namespace the repo lives in: its owner, an org admin, a site admin's session. */
function isNamespaceAdmin(principal: Principal, repo: RepoFacts, relation: Relation): boolean {
  if (principal.type === "anonymous") return false;
  if (principal.type === "session" && principal.user.isAdmin) return true;
  return repo.namespaceKind === "user" ? repo.namespaceId === principal.user.id : relation.orgRole === "admin";
}

function tokenLacks(permission: Permission, repo: RepoFacts): Decision {
  return deny({ type: "token-lacks", permission, target: fullName(repo) });
}
