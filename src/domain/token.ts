/** What a token is, apart from its secret value (see token-format.ts), as tokens.md §2–§4 define it. */

export const TOKEN_ROLES = ["read", "write", "fineGrained"] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export const ORG_ROLES = ["read", "contributor", "write", "admin"] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export const ENTITY_TYPES = ["user", "org", "model", "dataset", "space"] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export const PERMISSIONS = [
  "repo.content.read",
  "repo.access.read",
  "repo.write",
  "discussion.write",
  "inference.serverless.write",
  "org.read",
  "org.write",
  "user.webhooks.read",
  "user.webhooks.write",
  "collection.read",
  "collection.write",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const REPO_ENTITIES: readonly EntityType[] = ["model", "dataset", "space"];
const ANY_ENTITY: readonly EntityType[] = ["user", "org", ...REPO_ENTITIES];

/** Which entity types each permission may be scoped to (tokens.md §4). */
export const PERMISSION_ENTITIES: Record<Permission, readonly EntityType[]> = {
  "repo.content.read": ANY_ENTITY,
  "repo.access.read": ANY_ENTITY,
  "repo.write": ANY_ENTITY,
  "discussion.write": ANY_ENTITY,
  "inference.serverless.write": ["user"],
  "org.read": ["org"],
  "org.write": ["org"],
  "user.webhooks.read": ["user"],
  "user.webhooks.write": ["user"],
  "collection.read": ["user", "org"],
  "collection.write": ["user", "org"],
};

/** Permissions that may stand in `global`, the Hub's older place for them. */
export const GLOBAL_PERMISSIONS: readonly Permission[] = ["discussion.write", "inference.serverless.write"];

export interface ScopedEntity {
  readonly _id: string;
  readonly type: EntityType;
  readonly name: string;
}

export interface ScopedPermissions {
  readonly entity: ScopedEntity;
  readonly permissions: readonly Permission[];
}

export interface FineGrained {
  readonly canReadGatedRepos: boolean;
  readonly global: readonly Permission[];
  readonly scoped: readonly ScopedPermissions[];
}

/** What makes a token an app token (issue 12): the OAuth grant it stands for. */
export interface TokenApp {
  readonly clientId: string;
  readonly grantId: string;
  /** The orgs the user let the app reach at consent. */
  readonly orgs: readonly { readonly _id: string; readonly name: string }[];
  /** The scopes granted. */
  readonly scopes: readonly string[];
}

export interface Token {
  readonly id: string;
  readonly userId: string;
  readonly displayName: string;
  readonly role: TokenRole;
  readonly fineGrained: FineGrained | undefined;
  readonly hint: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | undefined;
  readonly lastUsedAt: Date | undefined;
  readonly lastUsedIp: string | undefined;
  readonly lastUsedUserAgent: string | undefined;
  /** Set for an app token: its access tokens are issued over OAuth, it has no value of its own. */
  readonly app?: TokenApp | undefined;
}

export function isTokenRole(value: unknown): value is TokenRole {
  return typeof value === "string" && (TOKEN_ROLES as readonly string[]).includes(value);
}

export function isOrgRole(value: unknown): value is OrgRole {
  return typeof value === "string" && (ORG_ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === "string" && (PERMISSIONS as readonly string[]).includes(value);
}

export function isEntityType(value: unknown): value is EntityType {
  return typeof value === "string" && (ENTITY_TYPES as readonly string[]).includes(value);
}

export function isExpired(token: Pick<Token, "expiresAt">, now: Date): boolean {
  return token.expiresAt !== undefined && token.expiresAt.getTime() <= now.getTime();
}

/**
 * Problems with a requested permission set that do not need the database: unknown strings, a
 * permission on an entity type it does not apply to. One message per problem, naming it.
 */
export function permissionProblems(request: {
  global: readonly string[];
  scoped: readonly { type: string; permissions: readonly string[] }[];
}): string[] {
  const problems: string[] = [];
  for (const permission of request.global) {
    if (!isPermission(permission)) problems.push(`Unknown permission "${permission}"`);
    else if (!GLOBAL_PERMISSIONS.includes(permission)) {
      problems.push(`Permission "${permission}" cannot be global; scope it to an entity`);
    }
  }
  for (const scope of request.scoped) {
    if (!isEntityType(scope.type)) {
      problems.push(`Unknown entity type "${scope.type}"`);
      continue;
    }
    for (const permission of scope.permissions) {
      if (!isPermission(permission)) problems.push(`Unknown permission "${permission}"`);
      else if (!PERMISSION_ENTITIES[permission].includes(scope.type)) {
        problems.push(`Permission "${permission}" does not apply to a ${scope.type}`);
      }
    }
  }
  return problems;
}
