import type { FastifyInstance, FastifyRequest } from "fastify";
import { authenticate, isCsrfTokenValid, SESSION_COOKIE } from "../auth/authenticate.ts";
import { expiredToken, invalidCredentials } from "../auth/denial-error.ts";
import { ANONYMOUS, type Principal } from "../auth/principal.ts";
import type { Context } from "../context.ts";
import { HubError } from "../errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal;
    /** A session whose CSRF token is to be found in the form body, once parsed. */
    pendingSession: Extract<Principal, { type: "session" }> | undefined;
  }
  interface FastifyContextConfig {
    /**
     * Sign-in and sign-up forms: a post without the session's CSRF token runs as anonymous instead of
     * failing, so a stale tab can still sign in. Such a route checks the Origin itself (login CSRF).
     */
    anonymousWithoutCsrf?: boolean;
    /**
     * The OAuth provider's endpoints: their Authorization header carries a client's credentials or an
     * access token the provider checks itself, so the request stays anonymous here.
     */
    ownCredentials?: boolean;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
export const CSRF_HEADER = "x-csrf-token";

/**
 * Authenticates every request as it arrives, from its headers alone, before any body is read: a
 * credential that is present but bad is a 401 at once, never a silent fall-back to anonymous (an
 * expired token's 401 says when it expired), and a route that decides before reading its body
 * (body-guard.ts) sees the principal. A session cookie
 * counts only with a valid CSRF token on state-changing methods: the `X-CSRF-Token` header, decided
 * here, or `csrf` in a form body (the web pages), decided once that small form is parsed; until then
 * the request is anonymous, so a route that decides early refuses it rather than read a large body.
 */
export function registerAuthHook(app: FastifyInstance, ctx: Context): void {
  // Decorated empty, then set for every request before anything else runs.
  app.decorateRequest("principal", null as never);
  app.decorateRequest("pendingSession", undefined);
  app.addHook("onRequest", async (request) => {
    // Anonymous from the first moment, so an error raised here is handled with a principal.
    request.principal = ANONYMOUS;
    if (request.routeOptions.config.ownCredentials) return;
    const principal = await authenticate(ctx, {
      authorization: request.headers.authorization,
      sessionCookie: request.cookies[SESSION_COOKIE],
      ip: request.ip,
      userAgent: request.headers["user-agent"],
    });
    // Every route (API, git over Basic, LFS, inference, pages) refuses here, so all give one answer.
    if (principal?.type === "expired-token") throw expiredToken(principal.expiredAt, ctx.config.publicUrl);
    if (principal === null) {
      // A stale session cookie is not an Authorization header: treat it as signed out.
      if (request.headers.authorization !== undefined) throw invalidCredentials();
      return;
    }
    if (principal.type === "session" && !SAFE_METHODS.has(request.method)) {
      const header = request.headers[CSRF_HEADER];
      if (typeof header !== "string") {
        request.pendingSession = principal;
        return;
      }
      if (!isCsrfTokenValid(principal.csrfToken, header)) {
        if (request.routeOptions.config.anonymousWithoutCsrf) return;
        throw csrfRefused();
      }
    }
    request.principal = principal;
  });
  app.addHook("preHandler", (request, _reply, done) => {
    const pending = request.pendingSession;
    if (pending === undefined) return done();
    const body = request.body as { csrf?: unknown } | undefined;
    const presented = typeof body?.csrf === "string" ? body.csrf : undefined;
    if (isCsrfTokenValid(pending.csrfToken, presented)) request.principal = pending;
    else if (!request.routeOptions.config.anonymousWithoutCsrf) return done(csrfRefused());
    done();
  });
}

export function csrfRefused(): HubError {
  return new HubError("Forbidden", "Missing or invalid CSRF token");
}

/** The signed-in user behind a request; 401 for anonymous. */
export function requireUser(request: FastifyRequest): Exclude<Principal, { type: "anonymous" }> {
  const principal = request.principal;
  if (principal.type === "anonymous") throw new HubError("AuthRequired", "You must be authenticated to do this");
  return principal;
}

/** Token management and other web-only actions take a session, never a token (tokens.md §3). */
export function requireSession(request: FastifyRequest): Extract<Principal, { type: "session" }> {
  const principal = request.principal;
  if (principal.type === "session") return principal;
  if (principal.type === "token") {
    throw new HubError("Forbidden", "Tokens cannot manage tokens: sign in on the web to do this");
  }
  throw new HubError("AuthRequired", "You must be signed in to do this");
}
