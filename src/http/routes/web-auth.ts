/**
 * Sign in, sign out and sign up as web forms.
 *
 * Sign-in and sign-up are declared `anonymousWithoutCsrf`: a post without the current session's CSRF
 * token (a stale tab, a cookie from an earlier visit) signs in afresh instead of failing with 403. Login
 * CSRF (an attacker's page signing the victim into the attacker's account) is refused by the same-site
 * check (`assertFromThisSite`); the new session cookie is SameSite=Lax and httpOnly. Sign-out needs the
 * session's CSRF token.
 *
 * Sign-up (only with `allowSignup`) reports a taken or reserved name, since a name is public anyway,
 * and an email in use with a neutral message: with no mail delivery that much is unavoidable.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { joinPage, loginPage } from "../../../web/pages/auth-pages.ts";
import { SESSION_COOKIE } from "../../auth/authenticate.ts";
import { DEVICE_COOKIE } from "../../auth/device-cookie.ts";
import { hashPassword, MIN_PASSWORD_LENGTH } from "../../auth/passwords.ts";
import { signIn, signOut } from "../../auth/sign-in.ts";
import type { Context } from "../../context.ts";
import { nameProblem } from "../../domain/names.ts";
import { hashSecret } from "../../domain/token-format.ts";
import { HubError } from "../../errors.ts";
import { findNamespace } from "../../store/orgs.ts";
import { createUser } from "../../store/users.ts";
import {
  assertFromThisSite,
  field,
  formOf,
  RESERVED_NAMES,
  safeNext,
  seeOther,
  sendPage,
  viewerOf,
} from "../web-support.ts";
import { sessionCookieOptions, setSignInCookies } from "./auth.ts";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function registerWebAuthRoutes(app: FastifyInstance, ctx: Context): void {
  const cookieOptions = sessionCookieOptions(ctx);

  async function startSession(request: FastifyRequest, reply: FastifyReply, login: string, password: string) {
    const session = await signIn(ctx, login, password, request.ip, request.cookies[DEVICE_COOKIE]);
    // Replacing the cookie ends the old session for this browser; drop its row too.
    const old = request.cookies[SESSION_COOKIE];
    if (old) await signOut(ctx, hashSecret(ctx.secrets.tokenKey, old));
    setSignInCookies(ctx, reply, session);
  }

  app.get("/login", async (request, reply) => {
    const { next } = request.query as { next?: unknown };
    return sendPage(
      reply,
      loginPage(viewerOf(ctx, request), { next: safeNext(typeof next === "string" ? next : undefined) }),
    );
  });

  app.post("/login", { config: { anonymousWithoutCsrf: true } }, async (request, reply) => {
    assertFromThisSite(ctx, request);
    const form = formOf(request);
    const username = field(form, "username", 320).trim();
    const password = field(form, "password", 1024);
    const next = safeNext(field(form, "next", 2000));
    const viewer = viewerOf(ctx, request);
    if (!username || !password) {
      return sendPage(
        reply,
        loginPage(viewer, { username, next, error: "Enter your username or email and your password." }),
        400,
      );
    }
    try {
      await startSession(request, reply, username, password);
    } catch (error) {
      if (error instanceof HubError && (error.code === "InvalidCredentials" || error.code === "RateLimited")) {
        for (const [key, value] of Object.entries(error.headers)) reply.header(key, value);
        return sendPage(reply, loginPage(viewer, { username, next, error: error.message }), error.status);
      }
      throw error;
    }
    return seeOther(reply, next ?? "/");
  });

  app.post("/logout", async (request, reply) => {
    const principal = request.principal;
    if (principal.type === "session") await signOut(ctx, principal.sessionHash);
    reply.clearCookie(SESSION_COOKIE, cookieOptions);
    return seeOther(reply, "/");
  });

  app.get("/join", async (request, reply) => {
    // With password sign-in off (SSO only), nobody signs up with a password either.
    if (!ctx.config.allowSignup || !ctx.config.passwordSignIn) return reply.callNotFound();
    return sendPage(reply, joinPage(viewerOf(ctx, request)));
  });

  app.post("/join", { config: { anonymousWithoutCsrf: true } }, async (request, reply) => {
    // With password sign-in off (SSO only), nobody signs up with a password either.
    if (!ctx.config.allowSignup || !ctx.config.passwordSignIn) return reply.callNotFound();
    assertFromThisSite(ctx, request);
    const form = formOf(request);
    const username = field(form, "username", 200).trim();
    const fullname = field(form, "fullname", 200).trim();
    const email = field(form, "email", 320).trim();
    const password = field(form, "password", 1024);
    const viewer = viewerOf(ctx, request);
    const refuse = (error: string, status = 400) =>
      sendPage(reply, joinPage(viewer, { username, fullname, email, error }), status);

    const problem = nameProblem(username, "username");
    if (problem) return refuse(problem);
    if (!EMAIL.test(email)) return refuse("Enter a valid email address.");
    if (password.length < MIN_PASSWORD_LENGTH)
      return refuse(`The password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
    const nameTaken = () => refuse(`The name "${username}" is not available. Choose another one.`, 409);
    if (RESERVED_NAMES.has(username.toLowerCase()) || (await findNamespace(ctx.db, username))) return nameTaken();
    try {
      await createUser(
        ctx.db,
        { name: username, email, fullname: fullname || undefined, passwordHash: await hashPassword(password) },
        ctx.now(),
      );
    } catch (error) {
      if (!(error instanceof HubError && error.code === "Conflict")) throw error;
      if (await findNamespace(ctx.db, username)) return nameTaken();
      return refuse(
        "This email address cannot be used for a new account. If you already have an account, sign in instead.",
        409,
      );
    }
    await startSession(request, reply, username, password);
    // Home greets a new user with what to do first: create a repo or an org, make a token.
    return seeOther(reply, "/");
  });
}
