import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { SESSION_COOKIE } from "../../auth/authenticate.ts";
import { signIn, signOut } from "../../auth/sign-in.ts";
import type { Context } from "../../context.ts";
import { requireSession } from "../auth-hook.ts";
import { apiUser } from "../wire.ts";

const LoginBody = z.object({
  username: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
});

/** The session cookie's attributes, shared with the web sign-in form. */
export function sessionCookieOptions(ctx: Context) {
  return { path: "/", httpOnly: true, sameSite: "lax", secure: ctx.config.secureCookies } as const;
}

export function registerAuthRoutes(app: FastifyInstance, ctx: Context): void {
  const cookieOptions = sessionCookieOptions(ctx);

  app.post("/api/auth/login", async (request, reply) => {
    const body = LoginBody.parse(request.body);
    const session = await signIn(ctx, body.username, body.password, request.ip);
    reply.setCookie(SESSION_COOKIE, session.cookie, { ...cookieOptions, expires: session.expiresAt });
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
