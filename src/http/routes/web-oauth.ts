/**
 * Sign-in and consent for the OAuth provider, as Berth pages (`/oauth/interaction/:uid`), and the
 * pages the provider renders itself (device code, errors) with Berth's layout.
 *
 * The provider's interaction cookie says which request is being answered; Berth's session says who
 * answers it. Signed out, the visitor is sent to sign in and comes back. Consent is a form with the
 * session's CSRF token (checked by the auth hook); it names the app, what each scope lets it do, and
 * the orgs it may reach (`orgIds` in the request pre-ticks them). Its CSP lets the form's redirect
 * chain end at the app's redirect URI (Chromium applies `form-action` to redirects).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { KoaContextLike } from "oidc-provider";
import type { Viewer } from "../../../web/layout.ts";
import {
  consentPage,
  deviceCodePage,
  deviceConfirmPage,
  deviceSuccessPage,
  oauthErrorPage,
} from "../../../web/pages/oauth-pages.ts";
import { csrfTokenFor, SESSION_COOKIE } from "../../auth/authenticate.ts";
import { recordConsent } from "../../auth/oauth-account.ts";
import type { Principal } from "../../auth/principal.ts";
import type { Context } from "../../context.ts";
import { parseScopes } from "../../domain/oauth-scopes.ts";
import { hashSecret } from "../../domain/token-format.ts";
import { HubError } from "../../errors.ts";
import { findClient } from "../../store/oauth-clients.ts";
import { findSession } from "../../store/sessions.ts";
import { findUserById, listMemberships } from "../../store/users.ts";
import type { OAuthViews } from "../oauth-provider.ts";
import type { OAuthService } from "../oauth-service.ts";
import { CONTENT_SECURITY_POLICY, field, fields, formOf, seeOther, sendPage, viewerOf } from "../web-support.ts";

type Session = Extract<Principal, { type: "session" }>;

/** The provider's own pages, with the viewer read from the Berth session cookie. */
export function oauthViews(ctx: Context): OAuthViews {
  async function viewer(koa: KoaContextLike): Promise<Viewer> {
    const cookie = koa.cookies.get(SESSION_COOKIE, { signed: false });
    const user =
      cookie && /^[A-Za-z0-9_-]{43}$/.test(cookie)
        ? await findSession(ctx.db, hashSecret(ctx.secrets.tokenKey, cookie), ctx.now())
        : undefined;
    return {
      user: user && { name: user.name, fullname: user.fullname },
      csrf: user && cookie ? csrfTokenFor(ctx, cookie) : undefined,
      allowSignup: ctx.config.allowSignup && ctx.config.passwordSignIn,
      ssoLabel: ctx.config.sso?.label,
      passwordSignIn: ctx.config.passwordSignIn,
    };
  }
  return {
    userCodeInput: async (koa, form) => deviceCodePage(await viewer(koa), form),
    userCodeConfirm: async (koa, form) => deviceConfirmPage(await viewer(koa), form),
    deviceSuccess: async (koa, clientName) => deviceSuccessPage(await viewer(koa), clientName),
    error: async (koa, error, description) => String(oauthErrorPage(await viewer(koa), error, description)),
  };
}

const UID = /^[A-Za-z0-9_-]{1,64}$/;

export function registerWebOAuthRoutes(app: FastifyInstance, ctx: Context, oauth: OAuthService): void {
  async function details(request: FastifyRequest, reply: FastifyReply) {
    const { uid } = request.params as { uid: string };
    if (!UID.test(uid)) throw new HubError("NotFound", "This sign-in request does not exist");
    try {
      const interaction = await oauth.provider.interactionDetails(request.raw, reply.raw);
      if (interaction.uid !== uid) throw new Error("uid mismatch");
      return interaction;
    } catch {
      throw new HubError(
        "BadRequest",
        "This sign-in request has expired or was opened in another browser: start again from the app",
      );
    }
  }

  function sessionOrSignIn(request: FastifyRequest, reply: FastifyReply): Session | undefined {
    const principal = request.principal;
    if (principal.type === "session") return principal;
    if (principal.type === "token") throw new HubError("Forbidden", "Sign in on the web to authorize an app");
    void seeOther(reply, `/login?next=${encodeURIComponent(request.url.split("?")[0] ?? "/")}`);
    return undefined;
  }

  app.get("/oauth/interaction/:uid", async (request, reply) => {
    const interaction = await details(request, reply);
    const session = sessionOrSignIn(request, reply);
    if (!session) return reply;
    if (interaction.prompt.name === "login") {
      const to = await oauth.provider.interactionResult(
        request.raw,
        reply.raw,
        { login: { accountId: session.user.id } },
        { mergeWithLastSubmission: false },
      );
      return seeOther(reply, to);
    }
    if (interaction.session?.accountId !== session.user.id) {
      throw new HubError("BadRequest", "You signed in as someone else meanwhile: start again from the app");
    }
    const clientId = String(interaction.params.client_id ?? "");
    const client = await findClient(ctx.db, clientId);
    if (!client) throw new HubError("BadRequest", "This app is not registered");
    const redirectUri =
      typeof interaction.params.redirect_uri === "string" ? interaction.params.redirect_uri : undefined;
    const redirectOrigin = redirectUri ? originOf(redirectUri) : undefined;
    const wanted = new Set(String(interaction.params.orgIds ?? "").split(/[\s,]+/));
    const memberships = await listMemberships(ctx.db, session.user.id);
    if (redirectOrigin) {
      // Chromium checks form-action along the redirects a form's answer makes: the last one is the app.
      reply.header(
        "Content-Security-Policy",
        CONTENT_SECURITY_POLICY.replace("form-action 'self'", `form-action 'self' ${redirectOrigin}`),
      );
    }
    return sendPage(
      reply,
      consentPage(viewerOf(ctx, request), {
        uid: interaction.uid,
        appName: client.name,
        appHomepage: client.homepage,
        redirectOrigin,
        userName: session.user.name,
        scopes: parseScopes(String(interaction.params.scope ?? "")),
        orgs: memberships.map((m) => ({ id: m.org.id, name: m.org.name, checked: wanted.has(m.org.id) })),
      }),
    );
  });

  app.post("/oauth/interaction/:uid/consent", async (request, reply) => {
    const interaction = await details(request, reply);
    const principal = request.principal;
    if (principal.type !== "session") throw new HubError("Forbidden", "Sign in on the web to authorize an app");
    if (interaction.prompt.name !== "consent" || interaction.session?.accountId !== principal.user.id) {
      throw new HubError(
        "BadRequest",
        "This sign-in request is not waiting for your consent: start again from the app",
      );
    }
    const form = formOf(request);
    const provider = oauth.provider;
    if (field(form, "decision") !== "allow") {
      const to = await provider.interactionResult(
        request.raw,
        reply.raw,
        { error: "access_denied", error_description: "The user did not authorize the app" },
        { mergeWithLastSubmission: false },
      );
      return seeOther(reply, to);
    }
    const clientId = String(interaction.params.client_id ?? "");
    const [client, user] = await Promise.all([findClient(ctx.db, clientId), findUserById(ctx.db, principal.user.id)]);
    if (!client || !user) throw new HubError("BadRequest", "This app is not registered");
    const grant = interaction.grantId
      ? ((await provider.Grant.find(interaction.grantId)) ?? new provider.Grant({ accountId: user.id, clientId }))
      : new provider.Grant({ accountId: user.id, clientId });
    const requested = parseScopes(String(interaction.params.scope ?? "")).filter((scope) =>
      client.scopes.includes(scope),
    );
    if (requested.length > 0) grant.addOIDCScope(requested.join(" "));
    const claims = interaction.prompt.details.missingOIDCClaims;
    if (Array.isArray(claims)) grant.addOIDCClaims(claims as string[]);
    const grantId = await grant.save();
    await recordConsent(ctx, {
      user,
      client,
      grantId,
      scopes: parseScopes(grant.getOIDCScope()),
      orgIds: fields(form, "orgIds"),
    });
    const to = await provider.interactionResult(
      request.raw,
      reply.raw,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
    return seeOther(reply, to);
  });
}

function originOf(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : url.protocol;
  } catch {
    return undefined;
  }
}
