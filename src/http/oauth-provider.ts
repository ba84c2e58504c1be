/**
 * Berth as an OAuth 2 / OpenID Connect provider: oidc-provider configured with the Hub's paths and
 * scopes, Berth's storage, Berth's sign-in and Berth's pages.
 *
 * Paths (the Hub's): `/.well-known/openid-configuration`, `/oauth/authorize`, `/oauth/token`,
 * `/oauth/userinfo`, `/oauth/jwks`, `/oauth/device` (device authorization by POST, the user-code page
 * by GET, as the Hub has them), `/oauth/revoke` (RFC 7009), `/oauth/introspect` (RFC 7662).
 * The user-code form posts to `/oauth/device/verify`; sign-in and consent are Berth's own pages under
 * `/oauth/interaction/:uid` (routes/web-oauth.ts).
 *
 * Choices:
 * - Authorization code with PKCE (S256), required for public clients; refresh tokens rotate on every
 *   use and a replayed one revokes its grant (the provider's rule, made race-free by the adapter).
 * - Access tokens are `hf_oauth_…` values (token-format.ts), opaque, 8 hours (30 days for
 *   `hf auth login`, as the Hub); refresh tokens 30 days from their last use.
 * - The provider's own session follows Berth's: the login prompt is asked again whenever the Berth
 *   session cookie is missing or names another user, so signing out of Berth signs out of it too.
 * - Cookies are signed with keys derived from the server secret; signing keys come from oauth-keys.ts.
 */
import Provider, { type ClientLike, interactionPolicy, type KoaContextLike, type ProviderLike } from "oidc-provider";
import { SESSION_COOKIE } from "../auth/authenticate.ts";
import { findAccountClaims } from "../auth/oauth-account.ts";
import { oauthAdapterFor } from "../auth/oauth-adapter.ts";
import { HF_CLI_CLIENT_ID, secretMatches } from "../auth/oauth-clients.ts";
import type { KeySet } from "../auth/oauth-keys.ts";
import type { Context } from "../context.ts";
import { OAUTH_SCOPE_NAMES } from "../domain/oauth-scopes.ts";
import { generateOAuthTokenValue, hashSecret } from "../domain/token-format.ts";
import { findAppToken } from "../store/app-tokens.ts";
import { findSession } from "../store/sessions.ts";
import { completeOAuthRequest, OAUTH_ERRORS } from "./oauth-request.ts";
import { CONTENT_SECURITY_POLICY } from "./web-support.ts";

export const OAUTH_ROUTES = {
  authorization: "/oauth/authorize",
  token: "/oauth/token",
  userinfo: "/oauth/userinfo",
  jwks: "/oauth/jwks",
  device_authorization: "/oauth/device",
  code_verification: "/oauth/device/verify",
  revocation: "/oauth/revoke",
  introspection: "/oauth/introspect",
  end_session: "/oauth/logout",
  pushed_authorization_request: "/oauth/par",
  registration: "/oauth/register",
  backchannel_authentication: "/oauth/backchannel",
  challenge: "/oauth/challenge",
  credential: "/oauth/credential",
} as const;

export const INTERACTION_PREFIX = "/oauth/interaction/";

/** Pages the provider shows itself, rendered by the web layer. */
export interface OAuthViews {
  userCodeInput(
    ctx: KoaContextLike,
    form: { action: string; xsrf: string; error: string | undefined },
  ): Promise<string>;
  userCodeConfirm(
    ctx: KoaContextLike,
    form: { action: string; xsrf: string; userCode: string; clientName: string },
  ): Promise<string>;
  deviceSuccess(ctx: KoaContextLike, clientName: string): Promise<string>;
  error(ctx: KoaContextLike, error: string, description: string | undefined): Promise<string>;
}

const DAY = 24 * 3600;

export function createOAuthProvider(ctx: Context, keys: KeySet, views: OAuthViews): ProviderLike {
  const tokenKey = ctx.secrets.tokenKey;
  const cookieKey = hashSecret(tokenKey, "oauth-provider-cookies");
  const { InvalidGrant } = OAUTH_ERRORS;

  const policy = interactionPolicy.base();
  // The provider's session stands only while Berth's does, for the same user.
  policy.get("login").checks.add(
    new interactionPolicy.Check("berth_session", "Sign-in to Berth is required", async (koa: KoaContextLike) => {
      const accountId = koa.oidc.session?.accountId;
      const cookie = koa.cookies.get(SESSION_COOKIE, { signed: false });
      if (!accountId || !cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return interactionPolicy.Check.REQUEST_PROMPT;
      const user = await findSession(ctx.db, hashSecret(tokenKey, cookie), ctx.now());
      return user?.id === accountId
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );

  // Asking for an org the grant does not reach yet (`orgIds`) asks for consent again.
  policy.get("consent").checks.add(
    new interactionPolicy.Check(
      "orgs_requested",
      "The app asks for organizations not granted yet",
      async (koa: KoaContextLike) => {
        const asked = String(koa.oidc.params?.orgIds ?? "")
          .split(/[\s,]+/)
          .filter((id) => id.length > 0);
        if (asked.length === 0) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        const grantId = (koa.oidc.entities.Grant as { jti?: string } | undefined)?.jti;
        const granted = grantId ? ((await findAppToken(ctx.db, grantId))?.app?.orgs ?? []) : [];
        return asked.every((id) => granted.some((org) => org._id === id))
          ? interactionPolicy.Check.NO_NEED_TO_PROMPT
          : interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );

  const provider = new Provider(ctx.config.publicUrl, {
    adapter: oauthAdapterFor(ctx, InvalidGrant),
    clients: [],
    jwks: { keys: keys.keys },
    routes: OAUTH_ROUTES,
    scopes: OAUTH_SCOPE_NAMES,
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username", "picture", "profile", "website", "isPro", "canPay", "orgs"],
      email: ["email", "email_verified"],
    },
    cookies: {
      keys: [cookieKey],
      names: {
        session: "berth_oauth_session",
        interaction: "berth_oauth_interaction",
        resume: "berth_oauth_resume",
        state: "berth_oauth_state",
      },
      long: { signed: true, httpOnly: true, sameSite: "lax" },
      short: { signed: true, httpOnly: true, sameSite: "lax" },
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: { enabled: false },
      revocation: {
        enabled: true,
        allowedPolicy: async (_koa: unknown, client: ClientLike, token: { clientId?: string }) =>
          token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        // An app learns about its own tokens only.
        allowedPolicy: async (_koa: unknown, client: ClientLike, token: { clientId?: string }) =>
          token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      deviceFlow: {
        enabled: true,
        charset: "base-20",
        mask: "****-****",
        async userCodeInputSource(koa: KoaContextLike, _form: string, _out: unknown, error?: Error) {
          const message = error
            ? error.name === "NoCodeError" || "userCode" in error
              ? "The code you entered is incorrect or has expired. Try again."
              : error.name === "AbortedError"
                ? "The sign-in request was cancelled."
                : "There was an error processing your request. Try again."
            : undefined;
          koa.type = "html";
          koa.body = await views.userCodeInput(koa, {
            action: koa.oidc.urlFor("code_verification"),
            xsrf: koa.oidc.session?.state?.secret ?? "",
            error: message,
          });
        },
        async userCodeConfirmSource(
          koa: KoaContextLike,
          _form: string,
          client: ClientLike,
          _info: unknown,
          userCode: string,
        ) {
          koa.type = "html";
          koa.body = await views.userCodeConfirm(koa, {
            action: koa.oidc.urlFor("code_verification"),
            xsrf: koa.oidc.session?.state?.secret ?? "",
            userCode,
            clientName: client.clientName ?? client.clientId,
          });
        },
        async successSource(koa: KoaContextLike) {
          koa.type = "html";
          koa.body = await views.deviceSuccess(koa, koa.oidc.client?.clientName ?? "the app");
        },
      },
    },
    interactions: {
      url: (_koa: unknown, interaction: { uid: string }) => `${INTERACTION_PREFIX}${interaction.uid}`,
      policy,
    },
    findAccount: async (_koa: unknown, sub: string, token?: { grantId?: string }) =>
      findAccountClaims(ctx, sub, token?.grantId),
    pkce: { required: (_koa: unknown, client: ClientLike) => client.clientAuthMethod === "none" },
    responseTypes: ["code"],
    clientDefaults: {
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
    },
    allowOmittingSingleRegisteredRedirectUri: false,
    clientAuthMethods: ["none", "client_secret_basic", "client_secret_post"],
    extraParams: ["orgIds"],
    ttl: {
      AccessToken: (_koa: unknown, _token: unknown, client: ClientLike) =>
        client.clientId === HF_CLI_CLIENT_ID
          ? ctx.config.oauthCliAccessTokenTtlSeconds
          : ctx.config.oauthAccessTokenTtlSeconds,
      AuthorizationCode: 60,
      DeviceCode: 300,
      IdToken: 3600,
      Interaction: 3600,
      RefreshToken: 30 * DAY,
      Grant: 365 * DAY,
      Session: ctx.config.sessionTtlSeconds,
    },
    expiresWithSession: async () => false,
    issueRefreshToken: async (_koa: unknown, client: ClientLike) => client.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: true,
    clientBasedCORS: (_koa: unknown, origin: string, client: ClientLike) =>
      client.redirectUris.some((uri) => originOf(uri) === origin),
    async renderError(koa: KoaContextLike, out: { error: string; error_description?: string }) {
      koa.type = "html";
      koa.body = await views.error(koa, out.error, out.error_description);
    },
  });
  // Behind an https front end the provider must trust its X-Forwarded-Proto to build https URLs.
  provider.proxy = ctx.config.secureCookies;

  // Hub-shaped access token values, so they are Berth credentials a scanner recognises.
  provider.AccessToken.prototype.generateTokenId = function generateTokenId(this: { format?: string }) {
    // What the library's own id generator records besides the value: the token is opaque.
    this.format = "opaque";
    return generateOAuthTokenValue();
  };
  // Client secrets are stored hashed: compare the presented one by its hash, in constant time.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(
    this: { clientSecret?: string },
    actual,
  ) {
    return secretMatches(tokenKey, this.clientSecret, actual);
  };

  provider.use(async (koa, next) => {
    koa.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    koa.set("X-Content-Type-Options", "nosniff");
    koa.set("Referrer-Policy", "same-origin");
    koa.set("X-Frame-Options", "DENY");
    await completeOAuthRequest(ctx, koa, next);
  });
  provider.on("server_error", (_koa: unknown, error: unknown) =>
    ctx.logger.error({ err: error }, "OAuth provider error"),
  );
  return provider;
}

function originOf(uri: string): string | undefined {
  try {
    return new URL(uri).origin;
  } catch {
    return undefined;
  }
}
