import type { FastifyInstance, FastifyRequest } from "fastify";
import { authenticate, isCsrfTokenValid, SESSION_COOKIE } from "../auth/authenticate.ts";
import { expiredToken, invalidCredentials } from "../auth/denial-error.ts";
import { ANONYMOUS, type Principal } from "../auth/principal.ts";
import type { Context } from "../context.ts";
import { HubError } from "../errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /**
     * Sign-in and sign-up forms: a post without the session's CSRF token runs as anonymous instead of
     * failing, so a stale tab can still sign in. Such a route checks the Origin itself (login CSRF).
     */
    anonymousWithoutCsrf?: boolean;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
export const CSRF_HEADER = "x-csrf-token";

/**
 * Authenticates every request before its handler. A credential that is present but bad is a 401, never
 * a silent fall-back to anonymous; an expired token's 401 says when it expired. A session cookie counts only with a valid CSRF token on state-changing
 * methods (header `X-CSRF-Token`, or `csrf` in a form body for the web pages).
 */
export function registerAuthHook(app: FastifyInstance, ctx: Context): void {
  // Decorated empty, then set for every request before any handler runs.
  app.decorateRequest("principal", null as never);
  // Anonymous from the first moment, so an error raised before authentication (a body that does not
  // parse) is handled with a principal, never with the empty decoration.
  app.addHook("onRequest", (request, _reply, done) => {
    request.principal = ANONYMOUS;
    done();
  });
  app.addHook("preHandler", async (request) => {
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
      request.principal = ANONYMOUS;
      return;
    }
    if (principal.type === "session" && !SAFE_METHODS.has(request.method)) {
      const header = request.headers[CSRF_HEADER];
      const body = request.body as { csrf?: unknown } | undefined;
      const presented = typeof header === "string" ? header : typeof body?.csrf === "string" ? body.csrf : undefined;
      if (!isCsrfTokenValid(principal.csrfToken, presented)) {
        if (request.routeOptions.config.anonymousWithoutCsrf) return;
        throw new HubError("Forbidden", "Missing or invalid CSRF token");
      }
    }
    request.principal = principal;
  });
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
