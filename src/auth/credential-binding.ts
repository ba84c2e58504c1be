/**
 * Capabilities bound to the credential that obtained them: a signed LFS link, a CAS token for Xet.
 * Such a capability is used without the credential (git-lfs, Python and JS send no Authorization on an
 * LFS transfer; Xet data URLs none at all), so it must die with the credential and with the access that
 * obtained it, as every other path does (the README's "revocation at once").
 *
 * Format: the capability carries a reference, `t.<token id>`, `o.<OAuth access token id>`, `s.<user id>`
 * or `a` (anonymous), and its MAC covers a binding secret that only the server can rebuild from the
 * database: the token's current keyed hash, the OAuth access token's keyed hash, a live session's hash,
 * or a constant for anonymous callers. Nothing more is stored.
 *
 * On every use the reference is looked up again (one indexed query): a deleted token finds no row; a
 * refreshed one has a new hash, so the MAC no longer verifies; an expired token or a signed-out session
 * is absent; and the caller then asks the authorization engine again with the principal rebuilt here,
 * so a user removed from an org, a repo made private or a token narrowed loses the capability too.
 */
import type { Context } from "../context.ts";
import { isExpired } from "../domain/token.ts";
import { findAccessTokenCredentialById } from "../store/oauth-access-tokens.ts";
import { findLiveSessions } from "../store/sessions.ts";
import { findTokenById } from "../store/tokens.ts";
import { isLiveAccessToken, oauthPrincipal, sessionPrincipal, tokenPrincipal } from "./authenticate.ts";
import { ANONYMOUS, type Principal } from "./principal.ts";

export interface CredentialBinding {
  /** Travels in the capability; names the credential, proves nothing. */
  readonly ref: string;
  /** Goes into the capability's MAC, never into the capability itself. */
  readonly secret: string;
}

const ANONYMOUS_SECRET = "anonymous";
const OBJECT_ID = /^[0-9a-f]{24}$/;

export function bindingOf(principal: Principal): CredentialBinding {
  switch (principal.type) {
    case "anonymous":
      return { ref: "a", secret: ANONYMOUS_SECRET };
    case "token":
      // An OAuth access token is bound by itself, not by its app token: it dies alone when revoked.
      return principal.token.app
        ? { ref: `o.${principal.token.app.accessTokenId}`, secret: `oauth:${principal.token.hash}` }
        : { ref: `t.${principal.token.id}`, secret: `token:${principal.token.hash}` };
    case "session":
      return { ref: `s.${principal.user.id}`, secret: `session:${principal.sessionHash}` };
  }
}

/** Whether a string has the shape of a reference, so junk never reaches the database. */
export function isCredentialRef(ref: unknown): ref is string {
  if (typeof ref !== "string") return false;
  if (ref === "a") return true;
  return (ref.startsWith("t.") || ref.startsWith("o.") || ref.startsWith("s.")) && OBJECT_ID.test(ref.slice(2));
}

/**
 * The principals a reference may stand for now, each with the secret a capability minted for it would
 * carry in its MAC; the caller keeps the one whose MAC verifies. Empty when the credential is gone.
 */
export async function boundCredentials(ctx: Context, ref: string): Promise<{ principal: Principal; secret: string }[]> {
  if (!isCredentialRef(ref)) return [];
  if (ref === "a") return [{ principal: ANONYMOUS, secret: ANONYMOUS_SECRET }];
  const id = ref.slice(2);
  if (ref.startsWith("o.")) {
    const found = await findAccessTokenCredentialById(ctx.db, id);
    if (!found || !isLiveAccessToken(found, ctx.now())) return [];
    return [{ principal: oauthPrincipal(found), secret: `oauth:${found.hash}` }];
  }
  if (ref.startsWith("t.")) {
    const found = await findTokenById(ctx.db, id);
    if (!found || found.token.app || isExpired(found.token, ctx.now())) return [];
    return [{ principal: tokenPrincipal(found.token, found.user, found.hash), secret: `token:${found.hash}` }];
  }
  const sessions = await findLiveSessions(ctx.db, id, ctx.now());
  if (!sessions) return [];
  return sessions.hashes.map((hash) => ({
    principal: sessionPrincipal(sessions.user, hash),
    secret: `session:${hash}`,
  }));
}
