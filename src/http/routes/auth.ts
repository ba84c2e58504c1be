import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { SESSION_COOKIE } from "../../auth/authenticate.ts";
import { DEVICE_COOKIE } from "../../auth/device-cookie.ts";
import { type SignedIn, signIn, signOut } from "../../auth/sign-in.ts";
import type { Context } from "../../context.ts";
import { HubError } from "../../errors.ts";
import { requireSession } from "../auth-hook.ts";
import { assertFromThisSite } from "../web-support.ts";
import { apiUser } from "../wire.ts";

const LoginBody = z.object({
  username: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
});

/** The session cookie's attributes, shared with the web sign-in form. */
export function sessionCookieOptions(ctx: Context) {
  return { path: "/", httpOnly: true, sameSite: "lax", secure: ctx.config.secureCookies } as const;
}

/** Sets the session cookie and the device cookie (sign-in.ts) after a successful sign-in. */
export function setSignInCookies(ctx: Context, reply: FastifyReply, session: SignedIn): void {
  const options = sessionCookieOptions(ctx);
  reply.setCookie(SESSION_COOKIE, session.cookie, { ...options, expires: session.expiresAt });
  // Strict: it is only ever needed on this site's own sign-in posts.
  reply.setCookie(DEVICE_COOKIE, session.device.value, {
    ...options,
    sameSite: "strict",
    expires: session.device.expiresAt,
  });
}

/**
 * Only JSON: a cross-site HTML form can send urlencoded, multipart or text/plain bodies but not JSON
 * without a CORS preflight, which Berth never grants. Checked before the body is parsed.
 */
function assertJsonBody(request: FastifyRequest): void {
  const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new HubError("UnsupportedMediaType", "Sign-in takes a JSON body (Content-Type: application/json)");
  }
}

export function registerAuthRoutes(app: FastifyInstance, ctx: Context): void {
  const cookieOptions = sessionCookieOptions(ctx);

  const loginChecks = async (request: FastifyRequest) => {
    assertFromThisSite(ctx, request);
    assertJsonBody(request);
  };
  app.post("/api/auth/login", { onRequest: loginChecks }, async (request, reply) => {
    const body = LoginBody.parse(request.body);
    const session = await signIn(ctx, body.username, body.password, request.ip, request.cookies[DEVICE_COOKIE]);
    setSignInCookies(ctx, reply, session);
    return { user: apiUser(session.user), csrfToken: session.csrfToken };
  });

  app.post("/api/auth/logout", async (request, reply) => {
    const session = requireSession(request);
    await signOut(ctx, session.sessionHash);
    reply.clearCookie(SESSION_COOKIE, cookieOptions);
    return {};
  });

  /** The signed-in user and the CSRF token for this session, for the web pages. */
  app.get("/api/auth/session", async (request) => {
    const session = requireSession(request);
    return { user: { type: "user", id: session.user.id, name: session.user.name }, csrfToken: session.csrfToken };
  });
}
