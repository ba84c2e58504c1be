/**
 * SSO routes (auth/sso.ts): `/sso/login` sends the browser to the company's provider with a sealed
 * cookie remembering the attempt; `/sso/callback` checks the answer, signs the person in (account
 * created on first sign-in, org roles set from their groups) and goes where they were going.
 */
import type { FastifyInstance } from "fastify";
import { SESSION_COOKIE } from "../../auth/authenticate.ts";
import { signOut, startSession } from "../../auth/sign-in.ts";
import { beginSsoSignIn, finishSsoSignIn } from "../../auth/sso.ts";
import type { Context } from "../../context.ts";
import { hashSecret } from "../../domain/token-format.ts";
import { safeNext, seeOther } from "../web-support.ts";
import { setSignInCookies } from "./auth.ts";

const PENDING_COOKIE = "berth_sso";

export function registerWebSsoRoutes(app: FastifyInstance, ctx: Context): void {
  if (!ctx.config.sso) return;
  const pendingOptions = {
    path: "/sso",
    httpOnly: true,
    sameSite: "lax",
    secure: ctx.config.secureCookies,
    maxAge: 600,
  } as const;

  app.get("/sso/login", async (request, reply) => {
    const { next } = request.query as { next?: unknown };
    const { url, cookie } = await beginSsoSignIn(ctx, safeNext(typeof next === "string" ? next : undefined) ?? "/");
    reply.setCookie(PENDING_COOKIE, cookie, pendingOptions);
    return seeOther(reply, url);
  });

  app.get("/sso/callback", async (request, reply) => {
    const callback = new URL(request.url, ctx.config.publicUrl);
    const { user, next } = await finishSsoSignIn(ctx, callback, request.cookies[PENDING_COOKIE]);
    reply.clearCookie(PENDING_COOKIE, pendingOptions);
    const old = request.cookies[SESSION_COOKIE];
    if (old) await signOut(ctx, hashSecret(ctx.secrets.tokenKey, old));
    setSignInCookies(ctx, reply, await startSession(ctx, user));
    return seeOther(reply, next);
  });
}
