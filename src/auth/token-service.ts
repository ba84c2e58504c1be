/**
 * Token lifecycle (tokens.md §7), shared by the settings API and the admin CLI. Only a web session or
 * the CLI reaches it: tokens cannot mint tokens. The value exists in memory only long enough to be
 * returned once; the store gets its keyed hash and a hint.
 */
import type { Context } from "../context.ts";
import type { User } from "../domain/entities.ts";
import { isValidName } from "../domain/names.ts";
import { newObjectId } from "../domain/object-id.ts";
import { parseRepoName } from "../domain/repo-id.ts";
import {
  type EntityType,
  type FineGrained,
  type Permission,
  permissionProblems,
  type ScopedPermissions,
  type Token,
  type TokenRole,
} from "../domain/token.ts";
import { generateTokenValue, hashSecret, tokenHint } from "../domain/token-format.ts";
import { HubError } from "../errors.ts";
import { setTokenRateLimit } from "../store/inference.ts";
import { findOrgByName, findOrgRole } from "../store/orgs.ts";
import { findRepo } from "../store/repos.ts";
import { deleteToken, findToken, insertToken, replaceTokenHash } from "../store/tokens.ts";
import { userRepoRight } from "./authorize.ts";
import { loadRelation } from "./repo-access.ts";

export interface ScopeRequest {
  readonly entity: { readonly type: string; readonly name: string };
  readonly permissions: readonly string[];
}

export interface TokenRequest {
  readonly displayName: string;
  readonly role: TokenRole;
  readonly canReadGatedRepos?: boolean | undefined;
  readonly global?: readonly string[] | undefined;
  readonly scoped?: readonly ScopeRequest[] | undefined;
  readonly expiresAt?: Date | undefined;
  /** Inference calls allowed per minute; undefined is unlimited. */
  readonly rateLimitPerMinute?: number | undefined;
}

export const MAX_TOKEN_NAME = 100;

export async function createToken(
  ctx: Context,
  user: User,
  request: TokenRequest,
): Promise<{ token: Token; value: string }> {
  const name = request.displayName.trim();
  if (name.length === 0 || name.length > MAX_TOKEN_NAME) {
    throw new HubError("BadRequest", `A token name must be 1 to ${MAX_TOKEN_NAME} characters`);
  }
  const now = ctx.now();
  if (request.expiresAt && request.expiresAt.getTime() <= now.getTime()) {
    throw new HubError("BadRequest", "The expiry date must be in the future");
  }
  const limit = request.rateLimitPerMinute;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000)) {
    throw new HubError("BadRequest", "rateLimitPerMinute must be a whole number from 1 to 1000000");
  }
  const fineGrained = request.role === "fineGrained" ? await resolveFineGrained(ctx, user, request) : undefined;
  if (
    request.role !== "fineGrained" &&
    (request.scoped?.length || request.global?.length || request.canReadGatedRepos)
  ) {
    throw new HubError("BadRequest", `Permissions apply only to fineGrained tokens, not to the ${request.role} role`);
  }
  const value = generateTokenValue();
  const token = await insertToken(
    ctx.db,
    {
      id: newObjectId(),
      userId: user.id,
      displayName: name,
      role: request.role,
      fineGrained,
      hash: hashSecret(ctx.secrets.tokenKey, value),
      hint: tokenHint(value),
      expiresAt: request.expiresAt,
    },
    now,
  );
  if (limit !== undefined) await setTokenRateLimit(ctx.db, token.id, limit);
  return { token, value };
}

/** A new value for the same token; the old value is dead once this returns. */
export async function refreshToken(
  ctx: Context,
  userId: string,
  tokenId: string,
): Promise<{ token: Token; value: string }> {
  const token = await findToken(ctx.db, userId, tokenId);
  if (!token) throw new HubError("NotFound", "Token not found");
  if (token.app)
    throw new HubError("BadRequest", "An app token has no value to refresh: revoke it, and sign in to the app again");
  const value = generateTokenValue();
  const replaced = await replaceTokenHash(
    ctx.db,
    userId,
    tokenId,
    hashSecret(ctx.secrets.tokenKey, value),
    tokenHint(value),
  );
  if (!replaced) throw new HubError("NotFound", "Token not found");
  return { token: { ...token, hint: tokenHint(value), lastUsedAt: undefined }, value };
}

export async function revokeToken(ctx: Context, userId: string, tokenId: string): Promise<void> {
  if (!(await deleteToken(ctx.db, userId, tokenId))) throw new HubError("NotFound", "Token not found");
}

/**
 * Checks names and entity types, then resolves each scoped entity to its id. The owner must be able to
 * see each entity; an entity they cannot see gets the same message as one that does not exist.
 */
async function resolveFineGrained(ctx: Context, user: User, request: TokenRequest): Promise<FineGrained> {
  const global = request.global ?? [];
  const scopedRequests = request.scoped ?? [];
  const problems = permissionProblems({
    global,
    scoped: scopedRequests.map((scope) => ({ type: scope.entity.type, permissions: scope.permissions })),
  });
  if (problems.length > 0) throw new HubError("BadRequest", problems.join("; "));
  const scoped: ScopedPermissions[] = [];
  for (const scope of scopedRequests) {
    const type = scope.entity.type as EntityType;
    const entity = await resolveEntity(ctx, user, type, scope.entity.name);
    if (!entity) throw new HubError("BadRequest", `Unknown ${type} "${scope.entity.name}", or you cannot see it`);
    scoped.push({
      entity: { _id: entity.id, type, name: entity.name },
      permissions: [...new Set(scope.permissions)] as Permission[],
    });
  }
  return {
    canReadGatedRepos: request.canReadGatedRepos === true,
    global: [...new Set(global)] as Permission[],
    scoped,
  };
}

async function resolveEntity(
  ctx: Context,
  user: User,
  type: EntityType,
  name: string,
): Promise<{ id: string; name: string } | undefined> {
  switch (type) {
    case "user":
      return name.toLowerCase() === user.name.toLowerCase() ? { id: user.id, name: user.name } : undefined;
    case "org": {
      if (!isValidName(name)) return undefined;
      const org = await findOrgByName(ctx.db, name);
      if (!org || !(await findOrgRole(ctx.db, org.id, user.id))) return undefined;
      return { id: org.id, name: org.name };
    }
    default: {
      const parsed = parseRepoName(name);
      if (!parsed) return undefined;
      const repo = await findRepo(ctx.db, type, parsed.namespace, parsed.name);
      if (!repo) return undefined;
      const principal = { type: "session", user: { ...user, isAdmin: false }, sessionHash: "", csrfToken: "" } as const;
      const right = userRepoRight(principal, repo, await loadRelation(ctx, principal, repo));
      return right === "none" ? undefined : { id: repo.id, name: `${repo.namespace}/${repo.name}` };
    }
  }
}
