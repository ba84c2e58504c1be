/**
 * OAuth scopes as the Hub names them (docs/hub/oauth.md), and what each one lets an app's access token
 * do in Berth's permission model (tokens.md §4). An access token is a fine-grained token whose
 * permissions are computed from its scopes here, on the user's own entity and on the orgs the user
 * chose at consent; the engine then intersects them with what the user may do, as for any token.
 *
 * Where the Hub's text is short, Berth reads it this way (the matrix in auth/authorize.test.ts pins it):
 * - `read-repos`: read the user's repos and the chosen orgs' (private ones included).
 * - `write-repos`: read and write them (commits, branches, tags, access requests), but not create,
 *   delete, rename, move or change settings: that is `manage-repos`, which the Hub says "also grants
 *   repo creation and deletion".
 * - `gated-repos`: read public gated repos whose gate the user has passed.
 * - `inference-api`: call inference on the user's behalf.
 * - `write-discussions`: open discussions and pull requests on any repo the user may read.
 * - `read-memberships`: read the chosen orgs' members, and list every org of the user in userinfo.
 * - `webhooks`: read and manage the user's webhooks.
 * - `contribute-repos`: create repos in the user's namespace and the chosen orgs', with no access to
 *   other repos (no permission on the entities: the engine lets it create only). Berth does not yet
 *   record which app created a repo, so writing to it afterwards takes `write-repos`.
 * - `openid`, `profile`, `email`: identity only. `read-billing` and `jobs` are accepted and grant
 *   nothing (Berth has neither). `offline_access` is accepted; Berth issues refresh tokens to every
 *   client allowed the refresh grant, as the Hub does for `hf auth login`.
 */
import type { FineGrained, Permission, ScopedPermissions } from "./token.ts";

export interface ScopeInfo {
  readonly name: string;
  /** What the consent page says the app will be able to do. */
  readonly description: string;
  /** Applies to the orgs chosen at consent, not only to the user's own account. */
  readonly orgWide: boolean;
}

export const OAUTH_SCOPES: readonly ScopeInfo[] = [
  { name: "openid", description: "Know who you are (your user id)", orgWide: false },
  { name: "profile", description: "See your profile: username, full name and avatar", orgWide: false },
  { name: "email", description: "See your email address", orgWide: false },
  { name: "read-repos", description: "Read your repositories, private ones included", orgWide: true },
  {
    name: "write-repos",
    description: "Read and write your repositories: commits, branches, tags, access requests",
    orgWide: true,
  },
  {
    name: "manage-repos",
    description: "Fully manage your repositories: create, delete, rename and change their settings",
    orgWide: true,
  },
  {
    name: "contribute-repos",
    description: "Create repositories (without access to your other repositories)",
    orgWide: true,
  },
  { name: "gated-repos", description: "Read gated repositories you have been granted access to", orgWide: false },
  { name: "inference-api", description: "Call the inference API on your behalf", orgWide: false },
  {
    name: "write-discussions",
    description: "Open discussions and pull requests on your behalf",
    orgWide: false,
  },
  { name: "read-memberships", description: "See your organizations and their members", orgWide: true },
  { name: "webhooks", description: "Read and manage your webhooks", orgWide: false },
  { name: "read-billing", description: "Know whether you have a payment method (Berth has none)", orgWide: false },
  { name: "jobs", description: "Run jobs (Berth has none)", orgWide: false },
  { name: "offline_access", description: "Stay signed in: renew its access without asking you again", orgWide: false },
];

export const OAUTH_SCOPE_NAMES: readonly string[] = OAUTH_SCOPES.map((scope) => scope.name);

/** What `hf auth login` gets when it asks for no scope: about a write token's reach, as on the Hub. */
export const CLI_DEFAULT_SCOPES: readonly string[] = [
  "openid",
  "profile",
  "email",
  "read-repos",
  "write-repos",
  "manage-repos",
  "gated-repos",
  "inference-api",
  "write-discussions",
  "read-memberships",
  "webhooks",
];

export function isOAuthScope(value: string): boolean {
  return OAUTH_SCOPE_NAMES.includes(value);
}

/** Splits a space-separated scope string into known scopes, in the order of OAUTH_SCOPES, once each. */
export function parseScopes(text: string | undefined): string[] {
  const asked = new Set((text ?? "").split(/\s+/).filter((scope) => scope.length > 0));
  return OAUTH_SCOPE_NAMES.filter((scope) => asked.has(scope));
}

export interface Entity {
  readonly _id: string;
  readonly name: string;
}

/** Permissions a scope gives on the user's own entity. */
const ON_USER: Record<string, readonly Permission[]> = {
  "read-repos": ["repo.content.read"],
  "write-repos": ["repo.content.read", "repo.write", "repo.access.read"],
  "manage-repos": ["repo.content.read", "repo.write", "repo.access.read"],
  "inference-api": ["inference.serverless.write"],
  webhooks: ["user.webhooks.read", "user.webhooks.write"],
};

/** Permissions a scope gives on each org chosen at consent. */
const ON_ORG: Record<string, readonly Permission[]> = {
  "read-repos": ["repo.content.read"],
  "write-repos": ["repo.content.read", "repo.write", "repo.access.read"],
  "manage-repos": ["repo.content.read", "repo.write", "repo.access.read"],
  "read-memberships": ["org.read"],
};

/** The scopes that let an app create, delete, rename, move or configure repos (the engine asks). */
export const MANAGE_SCOPES: readonly string[] = ["manage-repos"];
/** Scopes that let an app create repos without managing existing ones. */
export const CREATE_SCOPES: readonly string[] = ["manage-repos", "contribute-repos"];
/** Scopes that let an app write to existing repos. */
export const WRITE_SCOPES: readonly string[] = ["write-repos", "manage-repos"];

/** The fine-grained permissions an access token with these scopes holds (tokens.md §4 shape). */
export function scopesToFineGrained(scopes: readonly string[], user: Entity, orgs: readonly Entity[]): FineGrained {
  const userPermissions = new Set<Permission>();
  const orgPermissions = new Set<Permission>();
  for (const scope of scopes) {
    for (const permission of ON_USER[scope] ?? []) userPermissions.add(permission);
    for (const permission of ON_ORG[scope] ?? []) orgPermissions.add(permission);
  }
  const scoped: ScopedPermissions[] = [];
  if (userPermissions.size > 0) {
    scoped.push({ entity: { _id: user._id, type: "user", name: user.name }, permissions: [...userPermissions] });
  }
  if (orgPermissions.size > 0) {
    for (const org of orgs) {
      scoped.push({ entity: { _id: org._id, type: "org", name: org.name }, permissions: [...orgPermissions] });
    }
  }
  return {
    canReadGatedRepos: scopes.includes("gated-repos"),
    global: scopes.includes("write-discussions") ? ["discussion.write"] : [],
    scoped,
  };
}
