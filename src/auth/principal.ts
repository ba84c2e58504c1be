import type { FineGrained, TokenRole } from "../domain/token.ts";

export interface UserRef {
  readonly id: string;
  readonly name: string;
  readonly fullname: string;
  readonly email: string;
  readonly isAdmin: boolean;
}

export interface TokenGrant {
  readonly id: string;
  /**
   * The stored keyed hash (never the value): it changes when the token is refreshed, so capabilities
   * bound to the token (auth/credential-binding.ts) end with the value that obtained them.
   */
  readonly hash: string;
  readonly displayName: string;
  readonly role: TokenRole;
  readonly fineGrained: FineGrained | undefined;
  readonly createdAt: Date;
  readonly expiresAt: Date | undefined;
  readonly lastUsedAt: Date | undefined;
  /** An OAuth access token (issue 12): what its scopes let the app do beyond the fine-grained caps. */
  readonly app?: AppCaps | undefined;
}

export interface AppCaps {
  readonly clientId: string;
  /** The id of the access token itself (the grant's app token is `TokenGrant.id`). */
  readonly accessTokenId: string;
  readonly scopes: readonly string[];
  /** Org ids the user let the app reach. */
  readonly orgIds: readonly string[];
}

/**
 * Who is asking. A session is the user uncapped (the web, CSRF-protected); a token is the user capped
 * by the token; anonymous reads public, non-gated content only.
 */
export type Principal =
  | { readonly type: "anonymous" }
  | { readonly type: "session"; readonly user: UserRef; readonly sessionHash: string; readonly csrfToken: string }
  | { readonly type: "token"; readonly user: UserRef; readonly token: TokenGrant };

export const ANONYMOUS: Principal = Object.freeze({ type: "anonymous" });

export function userOf(principal: Principal): UserRef | undefined {
  return principal.type === "anonymous" ? undefined : principal.user;
}
