/**
 * The OAuth side's view of a Berth user: the consent that turns into a grant and its app token, and the
 * claims an app reads in the ID token and at userinfo (the Hub's `UserInfo` shape).
 */
import type { Context } from "../context.ts";
import type { User } from "../domain/entities.ts";
import { parseScopes, scopesToFineGrained } from "../domain/oauth-scopes.ts";
import { newObjectId } from "../domain/object-id.ts";
import { hashSecret } from "../domain/token-format.ts";
import { findAppToken, upsertAppToken } from "../store/app-tokens.ts";
import type { OAuthClient } from "../store/oauth-clients.ts";
import { findUserById, listMemberships } from "../store/users.ts";

export interface ConsentInput {
  readonly user: User;
  readonly client: OAuthClient;
  readonly grantId: string;
  /** Every scope of the grant after this consent. */
  readonly scopes: readonly string[];
  /** Org ids the user ticked; only orgs the user belongs to count. */
  readonly orgIds: readonly string[];
}

/** Writes (or updates) the grant's app token: what the user sees in the token list and revokes. */
export async function recordConsent(ctx: Context, input: ConsentInput): Promise<void> {
  const memberships = await listMemberships(ctx.db, input.user.id);
  const orgs = memberships
    .filter((membership) => input.orgIds.includes(membership.org.id))
    .map((membership) => ({ _id: membership.org.id, name: membership.org.name }));
  const scopes = parseScopes(input.scopes.join(" "));
  await upsertAppToken(
    ctx.db,
    {
      id: newObjectId(),
      userId: input.user.id,
      // Unique per user: one row per grant, and one app may be granted twice (two machines).
      displayName: `${input.client.name} · ${input.grantId.slice(0, 8)}`,
      clientId: input.client.id,
      grantId: input.grantId,
      orgs,
      fineGrained: scopesToFineGrained(scopes, { _id: input.user.id, name: input.user.name }, orgs),
      scopes,
      // No value hashes to this: an app token is reached only through its access tokens.
      hash: hashSecret(ctx.secrets.tokenKey, `app-token:${input.grantId}`),
    },
    ctx.now(),
  );
}

export interface AccountClaims {
  readonly accountId: string;
  claims(use: string, scope: string): Promise<Record<string, unknown>>;
}

/**
 * The claims of `userId` for a token of `grantId`. `orgs` lists the orgs chosen at consent, or every
 * org of the user with `read-memberships`, as the Hub's userinfo does.
 */
export async function findAccountClaims(
  ctx: Context,
  userId: string,
  grantId: string | undefined,
): Promise<AccountClaims | undefined> {
  const user = await findUserById(ctx.db, userId);
  if (!user) return undefined;
  const base = ctx.config.publicUrl;
  return {
    accountId: user.id,
    async claims(_use, scope) {
      const scopes = new Set(scope.split(" "));
      const appToken = grantId ? await findAppToken(ctx.db, grantId) : undefined;
      const chosen = new Set(appToken?.app?.orgs.map((org) => org._id) ?? []);
      const memberships = await listMemberships(ctx.db, user.id);
      const orgs = memberships
        .filter((membership) => scopes.has("read-memberships") || chosen.has(membership.org.id))
        .map((membership) => ({
          sub: membership.org.id,
          name: membership.org.fullname,
          preferred_username: membership.org.name,
          picture: `${base}/avatars/${encodeURIComponent(membership.org.name)}.svg`,
          isEnterprise: false,
          canPay: false,
          roleInOrg: membership.role,
        }));
      return {
        sub: user.id,
        name: user.fullname,
        preferred_username: user.name,
        picture: `${base}/avatars/${encodeURIComponent(user.name)}.svg`,
        profile: `${base}/${encodeURIComponent(user.name)}`,
        website: null,
        isPro: false,
        canPay: false,
        orgs,
        email: user.email,
        email_verified: true,
      };
    },
  };
}
