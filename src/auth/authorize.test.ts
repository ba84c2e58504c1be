/**
 * The authorization matrix of tokens.md, written from the spec text and checked against the engine.
 *
 * `expectRepo` and `expectNamespace` below are the reference: small tables of what a user may do (§5)
 * and what a credential allows (§3–§4), intersected, with the denial order of §6 (a repo the caller
 * cannot see is "not found" before anything else; then the gate; then the user's right; then the
 * token's). Every row is mapped through `denialError` so the test asserts what a client sees: the
 * status and `X-Error-Code` (and, for the plain 403s, which message).
 *
 * Choices where the spec is silent (also in the engine's doc comment):
 * - Passing a gate needs write on the repo or an accepted request: so a contributor passes on the repos
 *   they created, and org `read` members and other contributors need a request, like outsiders.
 * - A fine-grained token sees a private repo when it holds any `repo.*` permission on it (or on its
 *   namespace); without `repo.content.read` a read of it is then a 403 naming that permission.
 * - A read token may list access requests (a read) and may ask for access (it concerns only its owner).
 * - `org.members.read` needs membership of the org; a token needs `org.read` on it when fine-grained.
 * - `repo.inference` is a content read (visibility and gate first) plus the right to call inference:
 *   any session, read or write token; a fine-grained one only with `inference.serverless.write` on its
 *   owner's own user entity or in `global` (the permission on an org or another user counts for nothing).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccessStatus, Gated, Repo } from "../domain/entities.ts";
import { OAUTH_SCOPE_NAMES, scopesToFineGrained } from "../domain/oauth-scopes.ts";
import type { FineGrained, OrgRole, Permission, ScopedPermissions } from "../domain/token.ts";
import {
  authorizeNamespace,
  authorizeRepo,
  type Decision,
  type NamespaceAction,
  type NamespaceFacts,
  type Relation,
  type RepoAction,
} from "./authorize.ts";
import { denialError } from "./denial-error.ts";
import type { Principal, UserRef } from "./principal.ts";

const PUBLIC_URL = "http://hub.test";
const READ_ROLE_MESSAGE =
  "This token has the read role; write access needs a write or fine-grained token with repo.write";

// ---- the cast ----------------------------------------------------------------------------------

const alice: UserRef = { id: "u-alice", name: "alice", fullname: "Alice", email: "alice@x.test", isAdmin: false };
const NS = {
  alice: { id: "u-alice", name: "alice", kind: "user" },
  bob: { id: "u-bob", name: "bob", kind: "user" },
  acme: { id: "o-acme", name: "acme", kind: "org" },
} as const satisfies Record<string, NamespaceFacts>;
const OTHER_ENTITIES: ScopedPermissions["entity"][] = [
  { _id: "r-other", type: "model", name: "carol/other" },
  { _id: "u-carol", type: "user", name: "carol" },
  { _id: "o-initech", type: "org", name: "initech" },
];

const CREDENTIALS = [
  "session",
  "read",
  "write",
  "fg-repo",
  "fg-repo+gated",
  "fg-namespace",
  "fg-namespace+gated",
  "fg-other",
  "fg-other+gated",
  "fg-none",
  "fg-none+gated",
] as const;
type Credential = (typeof CREDENTIALS)[number];

const RELATIONS = [
  "owner",
  "org-read",
  "org-contributor-creator",
  "org-contributor",
  "org-write",
  "org-admin",
  "stranger-user-ns",
  "stranger-org-ns",
] as const;
type UserRelation = (typeof RELATIONS)[number];

const REQUEST_STATES = ["none", "pending", "accepted", "rejected"] as const;
type RequestState = (typeof REQUEST_STATES)[number];
interface Visibility {
  readonly label: string;
  readonly private: boolean;
  readonly gated: Gated;
  readonly request: RequestState;
}
const VISIBILITIES: Visibility[] = [
  { label: "public", private: false, gated: false, request: "none" },
  { label: "private", private: true, gated: false, request: "none" },
  ...(["auto", "manual"] as const).flatMap((gated) =>
    REQUEST_STATES.map((request) => ({ label: `gated ${gated}, request ${request}`, private: false, gated, request })),
  ),
];

const REPO_ACTIONS: RepoAction[] = [
  "repo.info",
  "repo.content",
  "repo.write",
  "repo.admin",
  "repo.access.read",
  "repo.access.write",
  "repo.request-access",
  "repo.transfer",
  "repo.upload",
];

// ---- what the client sees ---------------------------------------------------------------------

interface Seen {
  readonly status: number;
  readonly code?: string;
  /** Which §6 row, for the rows that share a status and have no code. */
  readonly message?: string | RegExp;
}
const ALLOW: Seen = { status: 200 };
const notFound = (anonymous: boolean): Seen => ({ status: anonymous ? 401 : 404, code: "RepoNotFound" });
const AUTH_REQUIRED: Seen = { status: 401 };
const GATED_MESSAGES: Record<RequestState, RegExp> = {
  none: /is restricted and you are not in the authorized list\. Visit http:\/\/hub\.test\/\S+ to ask for access\.$/,
  pending: /awaiting a review from the repo authors/,
  accepted: /^$/, // never denied
  rejected: /has been rejected by the repo's authors/,
};
const gated = (anonymous: boolean, state: RequestState): Seen =>
  anonymous
    ? { status: 401, code: "GatedRepo", message: /Please log in\.$/ }
    : { status: 403, code: "GatedRepo", message: GATED_MESSAGES[state] };
const TOKEN_GATED: Seen = { status: 403, code: "GatedRepo", message: /This token cannot read gated repos/ };
const READ_ROLE: Seen = { status: 403, message: READ_ROLE_MESSAGE };
const tokenLacks = (permission: Permission, target: string): Seen => ({
  status: 403,
  message: `This token lacks ${permission} on ${target}`,
});
const TRANSFER_LACKS: Seen = { status: 403, message: /^You must be an admin of \S+ to move model \S+ out of it$/ };
const USER_LACKS: Seen = { status: 403, message: /^You (don't have the rights|are not a member|must be an admin)/ };

function seen(decision: Decision, principal: Principal, repo: Repo | undefined): Seen {
  if (decision.allowed) return ALLOW;
  const error = denialError(decision.denial, principal, repo, PUBLIC_URL);
  return { status: error.status, ...(error.wireCode ? { code: error.wireCode } : {}), message: error.message };
}

function matches(actual: Seen, expected: Seen): boolean {
  if (actual.status !== expected.status || actual.code !== expected.code) return false;
  if (expected.message === undefined) return true;
  const message = typeof actual.message === "string" ? actual.message : "";
  return typeof expected.message === "string" ? message === expected.message : expected.message.test(message);
}

// ---- the reference, from the spec text --------------------------------------------------------

/** tokens.md §5: what the user may do on a repo, by relation. The gate is passed with write (see header). */
const USER_MAY: Record<
  UserRelation,
  { read: "all" | "public"; write: boolean; admin: boolean; namespaceAdmin: boolean }
> = {
  owner: { read: "all", write: true, admin: true, namespaceAdmin: true },
  "org-read": { read: "all", write: false, admin: false, namespaceAdmin: false },
  "org-contributor-creator": { read: "all", write: true, admin: true, namespaceAdmin: false },
  "org-contributor": { read: "all", write: false, admin: false, namespaceAdmin: false },
  "org-write": { read: "all", write: true, admin: true, namespaceAdmin: false },
  "org-admin": { read: "all", write: true, admin: true, namespaceAdmin: true },
  "stranger-user-ns": { read: "public", write: false, admin: false, namespaceAdmin: false },
  "stranger-org-ns": { read: "public", write: false, admin: false, namespaceAdmin: false },
};

/** §4: the fine-grained permission each action needs, when it needs one. */
const NEEDED: Record<RepoAction, Permission | undefined> = {
  "repo.info": "repo.content.read",
  "repo.content": "repo.content.read",
  "repo.write": "repo.write",
  "repo.admin": "repo.write",
  "repo.access.read": "repo.access.read",
  "repo.access.write": "repo.write",
  "repo.request-access": undefined,
  "repo.transfer": "repo.write",
  "repo.upload": "repo.write",
  "repo.discussion.write": "discussion.write",
  "repo.inference": "inference.serverless.write",
};
const WRITES: ReadonlySet<RepoAction> = new Set(["repo.write", "repo.admin", "repo.access.write", "repo.transfer"]);

interface Row {
  readonly credential: Credential | "anonymous";
  readonly relation: UserRelation | "anonymous";
  readonly visibility: Visibility;
  readonly action: RepoAction;
}

function expectRepo(row: Row): Seen {
  const { visibility: vis, action } = row;
  const target = "ns/model"; // filled in by the caller's repo name, see below
  const isGatedRepo = vis.gated !== false;
  if (row.credential === "anonymous" || row.relation === "anonymous") {
    if (vis.private) return notFound(true);
    if (action === "repo.info") return ALLOW;
    if (action === "repo.content") return isGatedRepo ? gated(true, "none") : ALLOW;
    return AUTH_REQUIRED;
  }
  const user = USER_MAY[row.relation];
  const credential = row.credential;
  const fineGrained = credential.startsWith("fg-");
  const scopeOnRepo = credential.startsWith("fg-repo") || credential.startsWith("fg-namespace");
  const canReadGated = credential.endsWith("+gated");
  // The token holds NEEDED[action] on this repo when scoped to it or its namespace; nothing else here.
  const held = (permission: Permission | undefined): boolean =>
    permission !== undefined && scopeOnRepo && NEEDED[action] === permission;
  const holdsAnyRepoPermission = scopeOnRepo && NEEDED[action] !== undefined;

  // 1. Visibility: a private repo the user cannot read, or the token has nothing on, does not exist.
  if (vis.private && user.read === "public") return notFound(false);
  if (vis.private && fineGrained && !holdsAnyRepoPermission) return notFound(false);

  if (action === "repo.info") {
    if (fineGrained && vis.private && !held("repo.content.read")) return tokenLacks("repo.content.read", target);
    return ALLOW;
  }
  if (action === "repo.request-access") return ALLOW;

  if (action === "repo.content") {
    // 2. The gate (§5): write on the repo or an accepted request.
    if (isGatedRepo && !user.write && vis.request !== "accepted") return gated(false, vis.request);
    // 3. The token (§3–§4): every token reads public non-gated content.
    if (!fineGrained) return ALLOW;
    if (vis.private) return held("repo.content.read") ? ALLOW : tokenLacks("repo.content.read", target);
    if (isGatedRepo) return canReadGated || held("repo.content.read") ? ALLOW : TOKEN_GATED;
    return ALLOW;
  }

  // An upload is a write for writers; for the others it is what opening a pull request takes: read
  // access (given here), no read-role token, and `discussion.write` for a fine-grained one.
  if (action === "repo.upload") {
    if (credential === "session" || credential === "write") return ALLOW;
    if (credential === "read") return READ_ROLE;
    if (user.write && held("repo.write")) return ALLOW;
    return tokenLacks(user.write ? "repo.write" : "discussion.write", target);
  }

  // Writes, admin and the owner side of access requests: write/admin users only (§5, hub-api §10).
  // Moving a repo out of its namespace takes admin rights on the namespace, not just on the repo.
  const userMay = action === "repo.admin" ? user.admin : action === "repo.transfer" ? user.namespaceAdmin : user.write;
  if (!userMay) return action === "repo.transfer" ? TRANSFER_LACKS : USER_LACKS;
  if (credential === "session" || credential === "write") return ALLOW;
  if (credential === "read") return WRITES.has(action) ? READ_ROLE : ALLOW;
  const needed = NEEDED[action] as Permission;
  return held(needed) ? ALLOW : tokenLacks(needed, target);
}

// ---- building the engine's inputs -------------------------------------------------------------

function repoFor(relation: UserRelation | "anonymous", vis: Visibility): Repo {
  const ns = relation === "owner" ? NS.alice : relation === "stranger-user-ns" ? NS.bob : NS.acme;
  return {
    id: "r-target",
    type: "model",
    namespaceId: ns.id,
    namespaceKind: ns.kind,
    namespace: ns.name,
    name: "model",
    private: vis.private,
    gated: vis.gated,
    sdk: undefined,
    createdBy: relation === "owner" || relation === "org-contributor-creator" ? alice.id : NS.bob.id,
    createdAt: new Date(0),
    lastModified: new Date(0),
  };
}

const ORG_ROLE: Partial<Record<UserRelation, OrgRole>> = {
  "org-read": "read",
  "org-contributor-creator": "contributor",
  "org-contributor": "contributor",
  "org-write": "write",
  "org-admin": "admin",
};

function relationFor(relation: UserRelation | "anonymous", vis: Visibility): Relation {
  if (relation === "anonymous") return {};
  return {
    orgRole: ORG_ROLE[relation],
    accessStatus: vis.request === "none" ? undefined : (vis.request as AccessStatus),
  };
}

function tokenPrincipal(user: UserRef, role: "read" | "write" | "fineGrained", fineGrained?: FineGrained): Principal {
  return {
    type: "token",
    user,
    token: {
      id: "t1",
      hash: "h",
      displayName: "t",
      role,
      fineGrained,
      createdAt: new Date(0),
      expiresAt: undefined,
      lastUsedAt: undefined,
    },
  };
}

function fineGrainedFor(
  credential: Credential,
  repo: Repo,
  permission: Permission | undefined,
): FineGrained | undefined {
  if (!credential.startsWith("fg-")) return undefined;
  const permissions = permission ? [permission] : [];
  const repoEntity = { _id: repo.id, type: repo.type, name: `${repo.namespace}/${repo.name}` };
  const nsEntity = { _id: repo.namespaceId, type: repo.namespaceKind, name: repo.namespace };
  const scoped: ScopedPermissions[] = credential.startsWith("fg-repo")
    ? [{ entity: repoEntity, permissions }]
    : credential.startsWith("fg-namespace")
      ? [{ entity: nsEntity, permissions }]
      : credential.startsWith("fg-other")
        ? OTHER_ENTITIES.map((entity) => ({ entity, permissions: [...PERMISSIONS_ALL] }))
        : [];
  return { canReadGatedRepos: credential.endsWith("+gated"), global: [], scoped };
}
const PERMISSIONS_ALL: Permission[] = ["repo.content.read", "repo.access.read", "repo.write", "org.read", "org.write"];

function principalFor(credential: Credential | "anonymous", repo: Repo, action: RepoAction, user = alice): Principal {
  switch (credential) {
    case "anonymous":
      return { type: "anonymous" };
    case "session":
      return { type: "session", user, sessionHash: "h", csrfToken: "c" };
    case "read":
    case "write":
      return tokenPrincipal(user, credential);
    default:
      return tokenPrincipal(user, "fineGrained", fineGrainedFor(credential, repo, NEEDED[action]));
  }
}

const ROWS: Row[] = [
  ...CREDENTIALS.flatMap((credential) =>
    RELATIONS.flatMap((relation) =>
      VISIBILITIES.flatMap((visibility) =>
        REPO_ACTIONS.map((action) => ({ credential, relation, visibility, action })),
      ),
    ),
  ),
  ...VISIBILITIES.flatMap((visibility) =>
    REPO_ACTIONS.map((action) => ({
      credential: "anonymous" as const,
      relation: "anonymous" as const,
      visibility,
      action,
    })),
  ),
];

function check(row: Row): { actual: Seen; expected: Seen } {
  const repo = repoFor(row.relation, row.visibility);
  const principal = principalFor(row.credential, repo, row.action);
  const decision = authorizeRepo(principal, repo, relationFor(row.relation, row.visibility), row.action);
  const expected = expectRepo(row);
  const message =
    typeof expected.message === "string" ? expected.message.replace("ns/model", `${repo.namespace}/model`) : undefined;
  return { actual: seen(decision, principal, repo), expected: message ? { ...expected, message } : expected };
}

describe("authorizeRepo: the matrix of tokens.md", () => {
  it("has every row: 11 credentials × 8 relations × 10 visibilities × 9 actions, plus anonymous", () => {
    expect(ROWS).toHaveLength(11 * 8 * 10 * 9 + 10 * 9);
    expect(ROWS).toHaveLength(8010);
    // Every §6 row shows up somewhere, so the table is not trivially all-allow or all-deny.
    const outcomes = new Set(ROWS.map((row) => expectRepo(row)).map((seen) => `${seen.status} ${seen.code ?? "-"}`));
    expect([...outcomes].sort()).toEqual(
      ["200 -", "401 -", "401 GatedRepo", "401 RepoNotFound", "403 -", "403 GatedRepo", "404 RepoNotFound"].sort(),
    );
  });

  const groups = [...new Set(ROWS.map((row) => `${row.credential} as ${row.relation}`))];
  it.each(groups)("%s decides every visibility and action as the spec says", (group) => {
    const mismatches: string[] = [];
    for (const row of ROWS.filter((r) => `${r.credential} as ${r.relation}` === group)) {
      const { actual, expected } = check(row);
      if (!matches(actual, expected)) {
        mismatches.push(
          `${row.visibility.label} / ${row.action}: expected ${JSON.stringify({ ...expected, message: String(expected.message ?? "") })}, got ${JSON.stringify(actual)}`,
        );
      }
    }
    expect(mismatches).toEqual([]);
  });
});

// ---- namespace actions -------------------------------------------------------------------------

const NS_CREDENTIALS = ["session", "read", "write", "fg-namespace", "fg-repo", "fg-other", "fg-none"] as const;
type NsCredential = (typeof NS_CREDENTIALS)[number];
const NS_RELATIONS = [
  "own-user-ns",
  "other-user-ns",
  "org-read",
  "org-contributor",
  "org-write",
  "org-admin",
  "org-non-member",
] as const;
type NsRelation = (typeof NS_RELATIONS)[number];
const NS_ACTIONS: NamespaceAction[] = ["repo.create", "org.members.read", "org.members.write", "apps.write"];

/**
 * §5: create needs write on the namespace; members are read by members, managed by org admins. OAuth
 * apps (issue 12) are managed by the namespace's own user or an org admin, through a web session only.
 */
const NS_USER_MAY: Record<NsRelation, Record<NamespaceAction, boolean>> = {
  "own-user-ns": { "repo.create": true, "org.members.read": false, "org.members.write": false, "apps.write": true },
  "other-user-ns": { "repo.create": false, "org.members.read": false, "org.members.write": false, "apps.write": false },
  "org-read": { "repo.create": false, "org.members.read": true, "org.members.write": false, "apps.write": false },
  "org-contributor": { "repo.create": true, "org.members.read": true, "org.members.write": false, "apps.write": false },
  "org-write": { "repo.create": true, "org.members.read": true, "org.members.write": false, "apps.write": false },
  "org-admin": { "repo.create": true, "org.members.read": true, "org.members.write": true, "apps.write": true },
  "org-non-member": {
    "repo.create": false,
    "org.members.read": false,
    "org.members.write": false,
    "apps.write": false,
  },
};
const NS_NEEDED: Record<NamespaceAction, Permission> = {
  "repo.create": "repo.write",
  "org.members.read": "org.read",
  "org.members.write": "org.write",
  // No permission lets a token manage apps; the principal is built with one to show it does not help.
  "apps.write": "org.write",
};
const TOKENS_CANNOT: Seen = { status: 403, message: /^Tokens cannot manage OAuth apps/ };

function namespaceOf(relation: NsRelation): NamespaceFacts {
  return relation === "own-user-ns" ? NS.alice : relation === "other-user-ns" ? NS.bob : NS.acme;
}

function expectNamespace(credential: NsCredential | "anonymous", relation: NsRelation, action: NamespaceAction): Seen {
  if (credential === "anonymous") return AUTH_REQUIRED;
  if (!NS_USER_MAY[relation][action]) return USER_LACKS;
  if (credential === "session") return ALLOW;
  if (action === "apps.write") return TOKENS_CANNOT;
  if (credential === "write") return ALLOW;
  if (credential === "read") return action === "org.members.read" ? ALLOW : READ_ROLE;
  if (credential === "fg-namespace") return ALLOW;
  return tokenLacks(NS_NEEDED[action], namespaceOf(relation).name);
}

function nsPrincipal(credential: NsCredential | "anonymous", ns: NamespaceFacts, action: NamespaceAction): Principal {
  if (credential === "anonymous") return { type: "anonymous" };
  if (credential === "session") return { type: "session", user: alice, sessionHash: "h", csrfToken: "c" };
  if (credential === "read" || credential === "write") return tokenPrincipal(alice, credential);
  const permissions = [NS_NEEDED[action]];
  const scoped: ScopedPermissions[] =
    credential === "fg-namespace"
      ? [{ entity: { _id: ns.id, type: ns.kind, name: ns.name }, permissions }]
      : credential === "fg-repo"
        ? [{ entity: { _id: "r-in-ns", type: "model", name: `${ns.name}/model` }, permissions }]
        : credential === "fg-other"
          ? OTHER_ENTITIES.map((entity) => ({ entity, permissions: [...PERMISSIONS_ALL] }))
          : [];
  return tokenPrincipal(alice, "fineGrained", { canReadGatedRepos: true, global: [], scoped });
}

const NS_ROWS = [
  ...NS_CREDENTIALS.flatMap((credential) =>
    NS_RELATIONS.flatMap((relation) => NS_ACTIONS.map((action) => ({ credential, relation, action }))),
  ),
  ...NS_RELATIONS.flatMap((relation) =>
    NS_ACTIONS.map((action) => ({ credential: "anonymous" as const, relation, action })),
  ),
];

describe("authorizeNamespace: the matrix of tokens.md", () => {
  it("has every row: 8 credentials (anonymous included) × 7 relations × 4 actions", () => {
    expect(NS_ROWS).toHaveLength(224);
  });

  it.each([...NS_CREDENTIALS, "anonymous" as const])(
    "%s decides every namespace action as the spec says",
    (credential) => {
      const mismatches: string[] = [];
      for (const row of NS_ROWS.filter((r) => r.credential === credential)) {
        const ns = namespaceOf(row.relation);
        const principal = nsPrincipal(row.credential, ns, row.action);
        const orgRole = row.relation.startsWith("org-") ? ORG_ROLE[row.relation as UserRelation] : undefined;
        const decision = authorizeNamespace(principal, ns, { orgRole }, row.action);
        const actual = seen(decision, principal, undefined);
        const expected = expectNamespace(row.credential, row.relation, row.action);
        if (!matches(actual, expected)) {
          mismatches.push(
            `${row.relation} / ${row.action}: expected ${String(expected.message)}, got ${JSON.stringify(actual)}`,
          );
        }
      }
      expect(mismatches).toEqual([]);
    },
  );

  it("names the namespace and repo type when refusing a create", () => {
    const decision = authorizeNamespace(
      { type: "session", user: alice, sessionHash: "h", csrfToken: "c" },
      NS.acme,
      { orgRole: "read" },
      "repo.create",
      "dataset",
    );
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) {
      expect(denialError(decision.denial, { type: "anonymous" }, undefined, PUBLIC_URL).message).toBe(
        `You don't have the rights to create a dataset under namespace "acme"`,
      );
    }
  });
});

// ---- site administrators ----------------------------------------------------------------------

describe("site administrators", () => {
  const admin: UserRef = { ...alice, id: "u-root", name: "root", isAdmin: true };
  const privateRepo = repoFor("stranger-org-ns", VISIBILITIES[1] as Visibility);
  const gatedRepo = repoFor("stranger-org-ns", VISIBILITIES[2] as Visibility);

  it("may do anything through a web session", () => {
    const session: Principal = { type: "session", user: admin, sessionHash: "h", csrfToken: "c" };
    for (const action of REPO_ACTIONS) {
      expect(authorizeRepo(session, privateRepo, {}, action).allowed).toBe(true);
      expect(authorizeRepo(session, gatedRepo, {}, action).allowed).toBe(true);
    }
    for (const action of NS_ACTIONS) expect(authorizeNamespace(session, NS.acme, {}, action).allowed).toBe(true);
  });

  it("are capped like anyone through a token", () => {
    const token = tokenPrincipal(admin, "write");
    const decision = authorizeRepo(token, privateRepo, {}, "repo.info");
    expect(seen(decision, token, privateRepo)).toEqual({
      status: 404,
      code: "RepoNotFound",
      message: "Repository not found",
    });
    expect(authorizeRepo(token, gatedRepo, {}, "repo.content").allowed).toBe(false);
    for (const action of NS_ACTIONS) expect(authorizeNamespace(token, NS.acme, {}, action).allowed).toBe(false);
  });
});

describe("a fine-grained token whose permissions are missing", () => {
  it("holds none: public content only, no write, no create, no member management", () => {
    const token = tokenPrincipal(alice, "fineGrained", undefined);
    const ownPublic = repoFor("owner", VISIBILITIES[0] as Visibility);
    const ownPrivate = repoFor("owner", VISIBILITIES[1] as Visibility);
    expect(authorizeRepo(token, ownPublic, {}, "repo.content").allowed).toBe(true);
    expect(authorizeRepo(token, ownPublic, {}, "repo.write").allowed).toBe(false);
    expect(authorizeRepo(token, ownPrivate, {}, "repo.info").allowed).toBe(false);
    expect(authorizeNamespace(token, NS.alice, {}, "repo.create").allowed).toBe(false);
    expect(authorizeNamespace(token, NS.acme, { orgRole: "admin" }, "org.members.write").allowed).toBe(false);
  });
});

// ---- properties: a token is never more than its owner, and the owner never widens a token -----

const arbitraryRelation = fc.constantFrom(...RELATIONS);
const arbitraryVisibility = fc.constantFrom(...VISIBILITIES);
const arbitraryAction = fc.constantFrom(...REPO_ACTIONS);
const arbitraryPermissions = fc.subarray(PERMISSIONS_ALL);
const arbitraryFineGrained = fc.record({
  canReadGatedRepos: fc.boolean(),
  onRepo: arbitraryPermissions,
  onNamespace: arbitraryPermissions,
  onOther: arbitraryPermissions,
});

describe("token caps", () => {
  it("never lets a token do what its owner's session may not", () => {
    fc.assert(
      fc.property(
        arbitraryRelation,
        arbitraryVisibility,
        arbitraryAction,
        fc.boolean(),
        fc.constantFrom("read", "write", "fineGrained"),
        arbitraryFineGrained,
        (relation, vis, action, isAdmin, role, fg) => {
          const user = { ...alice, isAdmin };
          const repo = repoFor(relation, vis);
          const facts = relationFor(relation, vis);
          const token = tokenPrincipal(user, role, role === "fineGrained" ? buildFineGrained(repo, fg) : undefined);
          const session: Principal = {
            type: "session",
            user: { ...user, isAdmin: false },
            sessionHash: "h",
            csrfToken: "c",
          };
          if (authorizeRepo(token, repo, facts, action).allowed) {
            expect(authorizeRepo(session, repo, facts, action).allowed).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never lets the owner's rights widen a fine-grained token", () => {
    fc.assert(
      fc.property(
        arbitraryRelation,
        arbitraryVisibility,
        arbitraryAction,
        fc.boolean(),
        arbitraryFineGrained,
        (relation, vis, action, isAdmin, fg) => {
          const repo = repoFor(relation, vis);
          const token = tokenPrincipal({ ...alice, isAdmin }, "fineGrained", buildFineGrained(repo, fg));
          if (!authorizeRepo(token, repo, relationFor(relation, vis), action).allowed) return;
          const held = new Set([...fg.onRepo, ...fg.onNamespace]);
          const needed = NEEDED[action];
          const freeRead =
            action === "repo.info" ||
            action === "repo.request-access" ||
            (action === "repo.content" && !vis.private && (vis.gated === false || fg.canReadGatedRepos));
          if (vis.private) expect([...held].some((p) => p.startsWith("repo."))).toBe(true);
          if (!freeRead && needed) expect(held.has(needed)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never lets a permission on another entity reach this repo or namespace", () => {
    fc.assert(
      fc.property(
        arbitraryRelation,
        arbitraryVisibility,
        arbitraryAction,
        arbitraryPermissions,
        (relation, vis, action, perms) => {
          const repo = repoFor(relation, vis);
          const facts = relationFor(relation, vis);
          const elsewhere = tokenPrincipal(alice, "fineGrained", {
            canReadGatedRepos: false,
            global: [],
            scoped: OTHER_ENTITIES.map((entity) => ({ entity, permissions: perms })),
          });
          const nothing = tokenPrincipal(alice, "fineGrained", { canReadGatedRepos: false, global: [], scoped: [] });
          expect(authorizeRepo(elsewhere, repo, facts, action)).toEqual(authorizeRepo(nothing, repo, facts, action));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

function buildFineGrained(
  repo: Repo,
  fg: { canReadGatedRepos: boolean; onRepo: Permission[]; onNamespace: Permission[]; onOther: Permission[] },
): FineGrained {
  return {
    canReadGatedRepos: fg.canReadGatedRepos,
    global: [],
    scoped: [
      { entity: { _id: repo.id, type: repo.type, name: `${repo.namespace}/${repo.name}` }, permissions: fg.onRepo },
      {
        entity: { _id: repo.namespaceId, type: repo.namespaceKind, name: repo.namespace },
        permissions: fg.onNamespace,
      },
      ...OTHER_ENTITIES.map((entity) => ({ entity, permissions: fg.onOther })),
    ],
  };
}

describe("a repo both private and gated", () => {
  const privateGated: Visibility = { label: "private gated", private: true, gated: "manual", request: "none" };
  const session = (relation: UserRelation, request?: AccessStatus) => {
    const repo = repoFor(relation, privateGated);
    const principal: Principal = { type: "session", user: alice, sessionHash: "h", csrfToken: "c" };
    const facts = { orgRole: ORG_ROLE[relation], accessStatus: request };
    return seen(authorizeRepo(principal, repo, facts, "repo.content"), principal, repo);
  };

  it("does not exist for a stranger, even one with an accepted request", () => {
    expect(session("stranger-org-ns")).toMatchObject({ status: 404, code: "RepoNotFound" });
    expect(session("stranger-org-ns", "accepted")).toMatchObject({ status: 404, code: "RepoNotFound" });
  });

  it("is gated for an org read member until accepted, and open to writers", () => {
    expect(session("org-read")).toMatchObject({ status: 403, code: "GatedRepo" });
    expect(session("org-read", "accepted")).toEqual(ALLOW);
    expect(session("org-write")).toEqual(ALLOW);
  });
});

// ---- inference (issue 5) ---------------------------------------------------------------------------

const INFERENCE_CREDENTIALS = [
  "session",
  "read",
  "write",
  "fg-none",
  "fg-none+gated",
  "fg-user-inference",
  "fg-user-inference+gated",
  "fg-global-inference",
  "fg-other-user-inference",
  "fg-org-inference",
  "fg-content-only",
  "fg-content+user-inference",
  "fg-content+global-inference",
] as const;
type InferenceCredential = (typeof INFERENCE_CREDENTIALS)[number];

const INFERENCE_LACKS: Seen = {
  status: 403,
  message:
    /^This authentication method does not have sufficient permissions to call Inference Providers on behalf of user alice\. Missing permission: inference\.serverless\.write/,
};

/** What the spec says an inference call sees: read the content (§5, §3–§4), then hold the inference right. */
function expectInference(credential: InferenceCredential | "anonymous", relation: UserRelation, vis: Visibility): Seen {
  const isGatedRepo = vis.gated !== false;
  if (credential === "anonymous") {
    if (vis.private) return notFound(true);
    if (isGatedRepo) return gated(true, "none");
    return AUTH_REQUIRED;
  }
  const user = USER_MAY[relation];
  const fineGrained = credential.startsWith("fg-");
  const content = credential.startsWith("fg-content");
  if (vis.private && user.read === "public") return notFound(false);
  if (vis.private && fineGrained && !content) return notFound(false);
  if (isGatedRepo && !user.write && vis.request !== "accepted") return gated(false, vis.request);
  if (fineGrained && isGatedRepo && !content && !credential.endsWith("+gated")) return TOKEN_GATED;
  if (!fineGrained) return ALLOW;
  const mayInfer = credential.includes("user-inference") && credential !== "fg-other-user-inference";
  return mayInfer || credential.includes("global-inference") ? ALLOW : INFERENCE_LACKS;
}

function inferencePrincipal(credential: InferenceCredential | "anonymous", repo: Repo): Principal {
  if (credential === "anonymous") return { type: "anonymous" };
  if (credential === "session") return { type: "session", user: alice, sessionHash: "h", csrfToken: "c" };
  if (credential === "read" || credential === "write") return tokenPrincipal(alice, credential);
  const inference: Permission[] = ["inference.serverless.write"];
  const aliceEntity = { _id: alice.id, type: "user" as const, name: alice.name };
  const scoped: ScopedPermissions[] = [];
  const global: Permission[] = credential.includes("global-inference") ? inference : [];
  if (credential.startsWith("fg-content")) {
    scoped.push({ entity: { _id: repo.id, type: "model", name: "x/model" }, permissions: ["repo.content.read"] });
  }
  if (credential === "fg-other-user-inference") {
    scoped.push({ entity: { _id: "u-carol", type: "user", name: "carol" }, permissions: inference });
  } else if (credential === "fg-org-inference") {
    scoped.push({ entity: { _id: NS.acme.id, type: "org", name: "acme" }, permissions: inference });
  } else if (credential.includes("user-inference")) {
    scoped.push({ entity: aliceEntity, permissions: inference });
  }
  return tokenPrincipal(alice, "fineGrained", { canReadGatedRepos: credential.endsWith("+gated"), global, scoped });
}

describe("authorizeRepo: repo.inference", () => {
  const rows = [...INFERENCE_CREDENTIALS, "anonymous" as const].flatMap((credential) =>
    RELATIONS.flatMap((relation) => VISIBILITIES.map((visibility) => ({ credential, relation, visibility }))),
  );

  it("covers every outcome of the issue's rules", () => {
    expect(rows).toHaveLength(14 * 8 * 10);
    const outcomes = new Set(
      rows
        .map((row) => expectInference(row.credential, row.relation, row.visibility))
        .map((s) => `${s.status} ${s.code ?? "-"} ${s === INFERENCE_LACKS}`),
    );
    expect([...outcomes].sort()).toEqual(
      [
        "200 - false",
        "401 - false",
        "401 GatedRepo false",
        "401 RepoNotFound false",
        "403 - true",
        "403 GatedRepo false",
        "404 RepoNotFound false",
      ].sort(),
    );
  });

  it.each([...INFERENCE_CREDENTIALS, "anonymous" as const])(
    "%s decides every relation and visibility",
    (credential) => {
      const mismatches: string[] = [];
      for (const row of rows.filter((r) => r.credential === credential)) {
        const repo = repoFor(row.relation, row.visibility);
        const principal = inferencePrincipal(row.credential, repo);
        const facts = credential === "anonymous" ? {} : relationFor(row.relation, row.visibility);
        const actual = seen(authorizeRepo(principal, repo, facts, "repo.inference"), principal, repo);
        const expected = expectInference(row.credential, row.relation, row.visibility);
        if (!matches(actual, expected)) {
          mismatches.push(
            `${row.relation} / ${row.visibility.label}: expected ${String(expected.message ?? expected.status)}, got ${JSON.stringify(actual)}`,
          );
        }
      }
      expect(mismatches).toEqual([]);
    },
  );
});

// ---- OAuth access tokens (issue 12): the scope rows ------------------------------------------------

/**
 * An OAuth access token is a fine-grained token whose permissions come from its scopes (the Hub's
 * names, docs/hub/oauth.md) on the user's own account and the orgs chosen at consent. The reference
 * below is written from the scopes' descriptions: `read-repos` reads, `write-repos` reads and writes,
 * `manage-repos` also creates, deletes and configures, `contribute-repos` only creates, `gated-repos`
 * opens gates the user passed, `inference-api` calls inference, `write-discussions` opens pull
 * requests; identity scopes (`openid`) give nothing but what every token has (public content).
 */
const OAUTH_SCOPE_SETS: readonly (readonly string[])[] = [
  [],
  ["openid"],
  ["read-repos"],
  ["write-repos"],
  ["manage-repos"],
  ["contribute-repos"],
  ["gated-repos"],
  ["inference-api"],
  ["write-discussions"],
  ["read-repos", "gated-repos", "inference-api"],
];
const OAUTH_RELATIONS = ["owner", "org-admin-chosen", "org-admin-not-chosen", "stranger"] as const;
type OAuthRelation = (typeof OAUTH_RELATIONS)[number];
const OAUTH_VISIBILITIES: Visibility[] = [
  { label: "public", private: false, gated: false, request: "none" },
  { label: "private", private: true, gated: false, request: "none" },
  { label: "gated, request accepted", private: false, gated: "auto", request: "accepted" },
];
const OAUTH_ACTIONS: RepoAction[] = [...REPO_ACTIONS, "repo.discussion.write", "repo.inference"];
const SCOPE_LACKS = (target: string): Seen => ({
  status: 403,
  message: `This app's token lacks the manage-repos scope on ${target}`,
});
const INFERENCE_LACKS_OAUTH: Seen = { status: 403, message: /^This authentication method does not have sufficient/ };

function oauthPrincipal(scopes: readonly string[], relation: OAuthRelation): Principal {
  const orgs = relation === "org-admin-chosen" ? [{ _id: NS.acme.id, name: "acme" }] : [];
  const principal = tokenPrincipal(
    alice,
    "fineGrained",
    scopesToFineGrained(scopes, { _id: alice.id, name: "alice" }, orgs),
  );
  if (principal.type !== "token") throw new Error("unreachable");
  return {
    ...principal,
    token: {
      ...principal.token,
      app: { clientId: "app", accessTokenId: "a1", scopes, orgIds: orgs.map((org) => org._id) },
    },
  };
}

function oauthRepo(relation: OAuthRelation, vis: Visibility): { repo: Repo; facts: Relation } {
  const userRelation: UserRelation =
    relation === "owner" ? "owner" : relation === "stranger" ? "stranger-user-ns" : "org-admin";
  return { repo: repoFor(userRelation, vis), facts: relationFor(userRelation, vis) };
}

function expectOAuth(scopes: readonly string[], relation: OAuthRelation, vis: Visibility, action: RepoAction): Seen {
  const has = (...names: string[]) => names.some((name) => scopes.includes(name));
  const target = relation === "owner" ? "alice/model" : relation === "stranger" ? "bob/model" : "acme/model";
  const stranger = relation === "stranger";
  const reach = relation === "owner" || relation === "org-admin-chosen";
  const reads = reach && has("read-repos", "write-repos", "manage-repos");
  const writes = reach && has("write-repos", "manage-repos");
  const discussions = has("write-discussions");
  if (vis.private && (stranger || !reads)) return notFound(false);
  const contentRead = (): Seen => (vis.gated !== false && !reads && !has("gated-repos") ? TOKEN_GATED : ALLOW);
  switch (action) {
    case "repo.info":
    case "repo.request-access":
      return ALLOW;
    case "repo.content":
      return contentRead();
    case "repo.inference": {
      const read = contentRead();
      if (read !== ALLOW) return read;
      return has("inference-api") ? ALLOW : INFERENCE_LACKS_OAUTH;
    }
    case "repo.discussion.write":
      return discussions ? ALLOW : tokenLacks("discussion.write", target);
    case "repo.upload":
      if (writes || discussions) return ALLOW;
      return tokenLacks(stranger ? "discussion.write" : "repo.write", target);
    case "repo.access.read":
      if (stranger) return USER_LACKS;
      return writes ? ALLOW : tokenLacks("repo.access.read", target);
    case "repo.write":
    case "repo.access.write":
      if (stranger) return USER_LACKS;
      return writes ? ALLOW : tokenLacks("repo.write", target);
    case "repo.admin":
    case "repo.transfer":
      if (stranger) return action === "repo.transfer" ? TRANSFER_LACKS : USER_LACKS;
      if (!has("manage-repos")) return SCOPE_LACKS(target);
      return reach ? ALLOW : tokenLacks("repo.write", target);
  }
}

describe("authorizeRepo: OAuth access tokens, by scope", () => {
  const rows = OAUTH_SCOPE_SETS.flatMap((scopes) =>
    OAUTH_RELATIONS.flatMap((relation) =>
      OAUTH_VISIBILITIES.flatMap((visibility) =>
        OAUTH_ACTIONS.map((action) => ({ scopes, relation, visibility, action })),
      ),
    ),
  );

  it("has every row: 10 scope sets × 4 relations × 3 visibilities × 11 actions", () => {
    expect(rows).toHaveLength(1320);
  });

  it.each(OAUTH_SCOPE_SETS.map((scopes) => [scopes.join(" ") || "(no scope)", scopes] as const))(
    "%s decides every relation, visibility and action as the scopes say",
    (_label, scopes) => {
      const mismatches: string[] = [];
      for (const row of rows.filter((r) => r.scopes === scopes)) {
        const { repo, facts } = oauthRepo(row.relation, row.visibility);
        const principal = oauthPrincipal(row.scopes, row.relation);
        const actual = seen(authorizeRepo(principal, repo, facts, row.action), principal, repo);
        const expected = expectOAuth(row.scopes, row.relation, row.visibility, row.action);
        if (!matches(actual, expected)) {
          mismatches.push(
            `${row.relation} / ${row.visibility.label} / ${row.action}: expected ${JSON.stringify({ ...expected, message: String(expected.message) })}, got ${JSON.stringify(actual)}`,
          );
        }
      }
      expect(mismatches).toEqual([]);
    },
  );

  it("never lets an app do what its user's session may not", () => {
    fc.assert(
      fc.property(
        fc.subarray([...OAUTH_SCOPE_NAMES]),
        fc.constantFrom(...OAUTH_RELATIONS),
        fc.constantFrom(...VISIBILITIES),
        fc.constantFrom(...OAUTH_ACTIONS),
        (scopes, relation, visibility, action) => {
          const { repo, facts } = oauthRepo(relation, visibility);
          const app = authorizeRepo(oauthPrincipal(scopes, relation), repo, facts, action);
          const session = authorizeRepo(
            { type: "session", user: alice, sessionHash: "h", csrfToken: "c" },
            repo,
            facts,
            action,
          );
          return !app.allowed || session.allowed;
        },
      ),
    );
  });
});

describe("authorizeNamespace: OAuth access tokens creating repos", () => {
  const cases: [string, readonly string[], OAuthRelation, Seen][] = [
    ["manage-repos creates in the user's namespace", ["manage-repos"], "owner", ALLOW],
    ["contribute-repos creates in the user's namespace", ["contribute-repos"], "owner", ALLOW],
    ["contribute-repos creates in a chosen org", ["contribute-repos"], "org-admin-chosen", ALLOW],
    [
      "contribute-repos does not create in an org not chosen",
      ["contribute-repos"],
      "org-admin-not-chosen",
      tokenLacks("repo.write", "acme"),
    ],
    [
      "manage-repos does not create in an org not chosen",
      ["manage-repos"],
      "org-admin-not-chosen",
      tokenLacks("repo.write", "acme"),
    ],
    ["write-repos does not create", ["write-repos"], "owner", SCOPE_LACKS("alice")],
    ["read-repos does not create", ["read-repos"], "org-admin-chosen", SCOPE_LACKS("acme")],
    ["no scope does not create", [], "owner", SCOPE_LACKS("alice")],
  ];
  it.each(cases)("%s", (_label, scopes, relation, expected) => {
    const ns = relation === "owner" ? NS.alice : NS.acme;
    const orgRole = relation === "owner" ? undefined : "admin";
    const principal = oauthPrincipal(scopes, relation);
    const actual = seen(authorizeNamespace(principal, ns, { orgRole }, "repo.create"), principal, undefined);
    expect(matches(actual, expected), JSON.stringify(actual)).toBe(true);
  });
});
