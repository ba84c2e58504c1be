/**
 * Authentication: request credentials → Principal, or null for a credential that must be refused.
 *
 * Token: `Authorization: Bearer hf_…`, or HTTP Basic with any user name and the token as password
 * (git, git-lfs, curl -u). The value's shape and CRC are checked first (no database for a typo), then
 * one indexed lookup by HMAC-SHA-256(server key, value); the digest is matched by the unique index,
 * never by comparing secrets in JavaScript. Found tokens are kept in memory by that hash
 * (auth-caches.ts) and dropped the moment the database announces a change to the token or its owner,
 * from any process: revocation stays immediate. Deleted and refreshed-away values find no row (null, the
 * generic refusal). An expired token still has its row, found by the same lookup with no extra query:
 * it is refused as `expired-token`, so the caller can say when it ended, and its use is not recorded.
 * A revocation by any process is honoured by every process on its next request.
 *
 * OAuth access token (issue 12): `hf_oauth_` + 34 letters, checked the same way (shape and CRC, then one
 * indexed lookup by HMAC), joined with its app token and owner. It is refused once past its expiry or
 * once its app token is deleted (the row goes with it). Its rights are those of a fine-grained token
 * computed from its scopes and the orgs chosen at consent (domain/oauth-scopes.ts); its use counts as
 * a use of the app token.
 *
 * Session: cookie `berth_session` holding 32 random bytes (base64url); the store keeps only its HMAC,
 * with an expiry. Its CSRF token is HMAC(key, "csrf:" + cookie): derived, so nothing more is stored,
 * and a page can be given it at any time. Sessions live `sessionTtlSeconds`; sign-out deletes the row.
 */
import { timingSafeEqual } from "node:crypto";
import type { Context } from "../context.ts";
import type { User } from "../domain/entities.ts";
import { parseScopes, scopesToFineGrained } from "../domain/oauth-scopes.ts";
import { isExpired, type Token } from "../domain/token.ts";
import { hashSecret, isWellFormedOAuthToken, isWellFormedToken } from "../domain/token-format.ts";
import { type AccessTokenCredential, findAccessTokenCredential } from "../store/oauth-access-tokens.ts";
import { findSession } from "../store/sessions.ts";
import { findTokenByHash } from "../store/tokens.ts";
import { ANONYMOUS, type Principal, type UserRef } from "./principal.ts";

export const SESSION_COOKIE = "berth_session";
const LAST_USED_INTERVAL_MS = 60_000;

export interface Credentials {
  readonly authorization: string | undefined;
  readonly sessionCookie: string | undefined;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}

/** A real token past its expiry: refused like a bad credential, but its holder is told when it ended. */
export interface ExpiredToken {
  readonly type: "expired-token";
  readonly expiredAt: Date;
}

export async function authenticate(ctx: Context, credentials: Credentials): Promise<Principal | ExpiredToken | null> {
  if (credentials.authorization !== undefined) {
    const value = tokenFromHeader(credentials.authorization);
    return value === undefined ? null : authenticateToken(ctx, value, credentials);
  }
  if (credentials.sessionCookie !== undefined) return authenticateSession(ctx, credentials.sessionCookie);
  return ANONYMOUS;
}

/** The token value in a Bearer or Basic header; undefined when the header is neither. */
export function tokenFromHeader(header: string): string | undefined {
  const [scheme, rest] = splitOnce(header.trim(), " ");
  if (rest === undefined) return undefined;
  if (scheme.toLowerCase() === "bearer") return rest.trim();
  if (scheme.toLowerCase() === "basic") {
    const decoded = Buffer.from(rest.trim(), "base64").toString("utf8");
    const [, password] = splitOnce(decoded, ":");
    return password;
  }
  return undefined;
}

export async function authenticateToken(
  ctx: Context,
  value: string,
  use: Pick<Credentials, "ip" | "userAgent">,
): Promise<Principal | ExpiredToken | null> {
  if (isWellFormedOAuthToken(value)) return authenticateOAuthToken(ctx, value, use);
  if (!isWellFormedToken(value)) return null;
  const hash = hashSecret(ctx.secrets.tokenKey, value);
  const now = ctx.now();
  const at = now.getTime();
  let entry = await ctx.caches.findToken(hash, at);
  if (!entry) {
    const generation = ctx.caches.generation;
    const found = await findTokenByHash(ctx.db, hash);
    if (!found) return null;
    const { token, user } = found;
    entry = { token, user, principal: tokenPrincipal(token, user, hash), notedAt: token.lastUsedAt?.getTime() ?? 0 };
    ctx.caches.rememberToken(hash, entry, at, generation);
  }
  const { token } = entry;
  // Before the last-use note: a refused use is no use, and must not look like one in the token list.
  if (token.expiresAt && isExpired(token, now)) return { type: "expired-token", expiredAt: token.expiresAt };
  if (at - entry.notedAt >= LAST_USED_INTERVAL_MS && noteUse(ctx, token, now, use)) entry.notedAt = at;
  return entry.principal;
}

/**
 * Asks for a last-use record (written at most once a minute per token, after the response path has
 * moved on), unless one is already pending; true when it asked.
 */
function noteUse(ctx: Context, token: Token, now: Date, use: Pick<Credentials, "ip" | "userAgent">): boolean {
  if (ctx.tokenUses.has(token.id)) return false;
  ctx.tokenUses.note(token.id, { at: now, ip: use.ip, userAgent: use.userAgent });
  return true;
}

async function authenticateOAuthToken(
  ctx: Context,
  value: string,
  use: Pick<Credentials, "ip" | "userAgent">,
): Promise<Principal | null> {
  const found = await findAccessTokenCredential(ctx.db, hashSecret(ctx.secrets.tokenKey, value));
  const now = ctx.now();
  if (!found || !isLiveAccessToken(found, now)) return null;
  const last = found.token.lastUsedAt?.getTime() ?? 0;
  if (now.getTime() - last >= LAST_USED_INTERVAL_MS) noteUse(ctx, found.token, now, use);
  return oauthPrincipal(found);
}

export function isLiveAccessToken(found: AccessTokenCredential, now: Date): boolean {
  return found.token.app !== undefined && found.accessToken.expiresAt.getTime() > now.getTime();
}

/** The principal an OAuth access token stands for: its app token, capped by the token's scopes. */
export function oauthPrincipal(found: AccessTokenCredential): Principal {
  const { token, user, accessToken } = found;
  const orgs = token.app?.orgs ?? [];
  const scopes = parseScopes(accessToken.scope);
  return {
    type: "token",
    user: toUserRef(user),
    token: {
      id: token.id,
      hash: found.hash,
      displayName: token.displayName,
      role: "fineGrained",
      fineGrained: scopesToFineGrained(scopes, { _id: user.id, name: user.name }, orgs),
      createdAt: accessToken.createdAt,
      expiresAt: accessToken.expiresAt,
      lastUsedAt: token.lastUsedAt,
      app: {
        clientId: accessToken.clientId,
        accessTokenId: accessToken.id,
        scopes,
        orgIds: orgs.map((org) => org._id),
      },
    },
  };
}

/** The principal a live token stands for. */
export function tokenPrincipal(token: Token, user: User, hash: string): Principal {
  return {
    type: "token",
    user: toUserRef(user),
    token: {
      id: token.id,
      hash,
      displayName: token.displayName,
      role: token.role,
      fineGrained: token.fineGrained,
      createdAt: token.createdAt,
      expiresAt: token.expiresAt,
      lastUsedAt: token.lastUsedAt,
    },
  };
}

/** The principal of a live web session, known by its stored hash (the cookie itself is not at hand). */
export function sessionPrincipal(user: User, sessionHash: string): Principal {
  // No CSRF token: such a principal acts through a capability it was handed, never through a form.
  return { type: "session", user: toUserRef(user), sessionHash, csrfToken: "" };
}

async function authenticateSession(ctx: Context, cookie: string): Promise<Principal | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(cookie)) return null;
  const sessionHash = hashSecret(ctx.secrets.tokenKey, cookie);
  const user = await findSession(ctx.db, sessionHash, ctx.now());
  if (!user) return null;
  return {
    type: "session",
    user: toUserRef(user),
    sessionHash,
    csrfToken: csrfTokenFor(ctx, cookie),
  };
}

export function csrfTokenFor(ctx: Context, sessionCookie: string): string {
  return hashSecret(ctx.secrets.tokenKey, `csrf:${sessionCookie}`);
}

/** Constant-time comparison of a presented CSRF token with the expected one. */
export function isCsrfTokenValid(expected: string, presented: string | undefined): boolean {
  // An empty expectation belongs to a principal rebuilt from a capability, which no form may stand for.
  if (presented === undefined || expected === "") return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

function toUserRef(user: User): UserRef {
  return { id: user.id, name: user.name, fullname: user.fullname, email: user.email, isAdmin: user.isAdmin };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
