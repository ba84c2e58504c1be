/**
 * SSO: Berth as a relying party of the company's OpenID Connect provider (`BERTH_OIDC_ISSUER`), with
 * openid-client: authorization code with PKCE (S256), `state` and `nonce`, the ID token verified by the
 * library against the provider's JWKS.
 *
 * Pending sign-in: the verifier, state, nonce and where to go next travel in a cookie sealed with a key
 * derived from the server secret (oauth-sealing.ts), httpOnly, SameSite=Lax, for 10 minutes; nothing is
 * stored. The callback opens it, checks its age, and the library checks state, nonce and PKCE.
 *
 * Accounts: an identity is the provider's (issuer, `sub`), linked to one Berth user on first sign-in.
 * That user is an existing one with the same email only when the provider says the email is verified
 * (it is the company's own provider, chosen by the administrator); otherwise a new account is created
 * from `preferred_username` (made valid and unique), with no password.
 *
 * Groups: at every SSO sign-in the groups claim (`groupsClaim`, from the ID token or userinfo) sets the
 * person's role in each org the mapping names: the highest role their groups give, or no membership
 * when none of their groups maps to that org. Orgs the mapping does not name are left alone; a mapped
 * org must exist (it is not created); the last admin of an org is not removed by a sync.
 */
import * as client from "openid-client";
import type { GroupMapping, SsoConfig } from "../config.ts";
import type { Context } from "../context.ts";
import type { User } from "../domain/entities.ts";
import { nameProblem } from "../domain/names.ts";
import { ORG_ROLES, type OrgRole } from "../domain/token.ts";
import { HubError } from "../errors.ts";
import { assertAnotherAdmin, findOrgByName, findOrgRole, removeMember, setMember } from "../store/orgs.ts";
import { findSsoUser, linkSsoIdentity } from "../store/sso-identities.ts";
import { createUser, findLogin, findUserById, findUserByName } from "../store/users.ts";
import { openSealed, seal } from "./oauth-sealing.ts";

const PENDING_PURPOSE = "sso pending sign-in";
const PENDING_MS = 10 * 60 * 1000;

export interface PendingSignIn {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly next: string;
  readonly at: number;
}

let discovered: { key: string; config: client.Configuration } | undefined;

async function configuration(sso: SsoConfig, secret: string | undefined): Promise<client.Configuration> {
  const key = `${sso.issuer}|${sso.clientId}`;
  if (discovered?.key === key) return discovered.config;
  const config = await client.discovery(
    new URL(sso.issuer),
    sso.clientId,
    secret,
    undefined,
    sso.allowHttp ? { execute: [client.allowInsecureRequests] } : undefined,
  );
  discovered = { key, config };
  return config;
}

export function ssoRedirectUri(ctx: Context): string {
  return `${ctx.config.publicUrl}/sso/callback`;
}

/** The provider's authorization URL, and the sealed cookie value that remembers this attempt. */
export async function beginSsoSignIn(ctx: Context, next: string): Promise<{ url: string; cookie: string }> {
  const sso = requireSso(ctx);
  const config = await configuration(sso, ctx.secrets.oidcClientSecret);
  const pending: PendingSignIn = {
    verifier: client.randomPKCECodeVerifier(),
    state: client.randomState(),
    nonce: client.randomNonce(),
    next,
    at: ctx.now().getTime(),
  };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: ssoRedirectUri(ctx),
    scope: sso.scopes,
    code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: "S256",
    state: pending.state,
    nonce: pending.nonce,
  });
  return { url: url.href, cookie: seal(ctx.secrets.tokenKey, PENDING_PURPOSE, JSON.stringify(pending)) };
}

/** Completes the sign-in: the user signed in, and where to send them. */
export async function finishSsoSignIn(
  ctx: Context,
  callbackUrl: URL,
  cookie: string | undefined,
): Promise<{ user: User; next: string }> {
  const sso = requireSso(ctx);
  const opened = cookie ? openSealed(ctx.secrets.tokenKey, PENDING_PURPOSE, cookie) : undefined;
  const pending = opened ? (JSON.parse(opened) as PendingSignIn) : undefined;
  if (!pending || ctx.now().getTime() - pending.at > PENDING_MS) {
    throw new HubError("BadRequest", "This sign-in has expired or was started in another browser: sign in again");
  }
  const config = await configuration(sso, ctx.secrets.oidcClientSecret);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    ctx.logger.warn({ err: error }, "SSO sign-in refused");
    throw new HubError("Forbidden", "The sign-in provider's answer was refused: sign in again");
  }
  const claims = tokens.claims();
  if (!claims) throw new HubError("Forbidden", "The sign-in provider sent no ID token");
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub).catch(() => undefined);
  const all: Record<string, unknown> = { ...info, ...claims };
  const user = await accountFor(ctx, sso.issuer, claims.sub, all);
  await syncGroups(ctx, user, groupsOf(all[sso.groupsClaim]), sso.groupMappings);
  return { user, next: pending.next };
}

function requireSso(ctx: Context): SsoConfig {
  if (!ctx.config.sso) throw new HubError("NotFound", "SSO is not configured on this site");
  return ctx.config.sso;
}

function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === "string");
  return typeof value === "string" ? value.split(/[\s,]+/).filter((group) => group.length > 0) : [];
}

async function accountFor(
  ctx: Context,
  issuer: string,
  subject: string,
  claims: Record<string, unknown>,
): Promise<User> {
  const linked = await findSsoUser(ctx.db, issuer, subject);
  const existing = linked ? await findUserById(ctx.db, linked) : undefined;
  if (existing) return existing;
  const email = typeof claims.email === "string" ? claims.email.toLowerCase() : undefined;
  const byEmail = email && claims.email_verified === true ? (await findLogin(ctx.db, email))?.user : undefined;
  const user =
    byEmail ??
    (await createUser(
      ctx.db,
      {
        name: await freeName(ctx, String(claims.preferred_username ?? claims.name ?? email?.split("@")[0] ?? "user")),
        email: email ?? `${subject}@sso.invalid`,
        fullname: typeof claims.name === "string" ? claims.name.slice(0, 200) : undefined,
      },
      ctx.now(),
    ));
  await linkSsoIdentity(ctx.db, issuer, subject, user.id, ctx.now());
  return user;
}

async function freeName(ctx: Context, wanted: string): Promise<string> {
  const base =
    wanted
      .replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/^[-._]+|[-._]+$/g, "")
      .slice(0, 80) || "user";
  for (let n = 1; n < 1000; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    if (!nameProblem(name, "username") && !(await findUserByName(ctx.db, name))) return name;
  }
  throw new HubError("Conflict", "No free user name for this account");
}

const rank = (role: OrgRole) => ORG_ROLES.indexOf(role);

export async function syncGroups(
  ctx: Context,
  user: User,
  groups: readonly string[],
  mappings: readonly GroupMapping[],
): Promise<void> {
  const orgs = [...new Set(mappings.map((mapping) => mapping.org))];
  for (const orgName of orgs) {
    const org = await findOrgByName(ctx.db, orgName);
    if (!org) {
      ctx.logger.warn({ org: orgName }, "BERTH_OIDC_GROUP_MAP names an org that does not exist");
      continue;
    }
    const roles = mappings.filter((m) => m.org === orgName && groups.includes(m.group)).map((m) => m.role);
    const role = roles.sort((a, b) => rank(b) - rank(a))[0];
    const current = await findOrgRole(ctx.db, org.id, user.id);
    if (current === role) continue;
    if (current === "admin" && !(await hasAnotherAdmin(ctx, org.id, user.id))) {
      ctx.logger.warn({ org: orgName, user: user.name }, "SSO groups would remove the org's last admin: left as is");
      continue;
    }
    if (role) await setMember(ctx.db, org.id, user.id, role, ctx.now());
    else if (current) await removeMember(ctx.db, org.id, user.id);
  }
}

async function hasAnotherAdmin(ctx: Context, orgId: string, userId: string): Promise<boolean> {
  try {
    await assertAnotherAdmin(ctx.db, orgId, userId);
    return true;
  } catch {
    return false;
  }
}
