/**
 * Sign-in with a name or email and a password, rate limited per account and per address: after
 * `loginMaxFailures` failures in `loginWindowSeconds` for either, further attempts are refused with 429
 * before the password is even checked. Failures are counted in the database so every process agrees.
 * An account is one subject whether it is named by user name or email.
 */
import { randomBytes } from "node:crypto";
import type { Context } from "../context.ts";
import type { User } from "../domain/entities.ts";
import { nameKey } from "../domain/names.ts";
import { hashSecret } from "../domain/token-format.ts";
import { HubError } from "../errors.ts";
import { clearLoginFailures, countLoginFailures, recordLoginFailure } from "../store/login-failures.ts";
import { deleteSession, insertSession } from "../store/sessions.ts";
import { findLogin } from "../store/users.ts";
import { csrfTokenFor } from "./authenticate.ts";
import { verifyPassword } from "./passwords.ts";

export interface SignedIn {
  readonly user: User;
  /** The cookie value; only its HMAC is stored. */
  readonly cookie: string;
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

const BAD_LOGIN = "Invalid username or password";

export async function signIn(ctx: Context, login: string, password: string, ip: string): Promise<SignedIn> {
  const now = ctx.now();
  const window = ctx.config.loginWindowSeconds;
  const since = new Date(now.getTime() - window * 1000);
  const found = await findLogin(ctx.db, login);
  // An account is counted once whether it is named by user name or by email; an unknown login is
  // counted under what was typed. Both answer alike, so the count reveals nothing.
  const account = found ? `user:${found.user.id}` : `user:${nameKey(login)}`;
  const subjects = [account, `ip:${ip}`];
  const counts = await countLoginFailures(ctx.db, subjects, since);
  if (counts.some((count) => count >= ctx.config.loginMaxFailures)) {
    throw new HubError("RateLimited", "Too many failed sign-in attempts; try again later", {
      headers: { "Retry-After": String(window) },
    });
  }
  const ok = await verifyPassword(found?.passwordHash, password);
  if (!found || !ok) {
    await recordLoginFailure(ctx.db, subjects, now, since);
    throw new HubError("InvalidCredentials", BAD_LOGIN);
  }
  await clearLoginFailures(ctx.db, account);
  const cookie = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + ctx.config.sessionTtlSeconds * 1000);
  await insertSession(
    ctx.db,
    { hash: hashSecret(ctx.secrets.tokenKey, cookie), userId: found.user.id, expiresAt },
    now,
  );
  return { user: found.user, cookie, csrfToken: csrfTokenFor(ctx, cookie), expiresAt };
}

export async function signOut(ctx: Context, sessionHash: string): Promise<void> {
  await deleteSession(ctx.db, sessionHash);
}
