/**
 * Sign-in with a name or email and a password, and the limits that keep passwords from being guessed.
 *
 * Session: the cookie is 32 random bytes (base64url); only its HMAC is stored; it lives
 * `sessionTtlSeconds`. The password is checked by argon2id in constant time (passwords.ts).
 *
 * Limits: at most `loginMaxFailures` attempts in any `loginWindowSeconds` (a sliding window) per
 * account and per address. An account is one subject whether it is named by user name or email; a login
 * that names no account is counted under what was typed, and answers alike, so a count reveals nothing.
 * The attempt is counted atomically before the password is checked, in the database so every process
 * agrees (login-attempts.ts): parallel requests cannot all pass under one count. It stands as a failure
 * unless the password proves right. A 429 carries `Retry-After`: the seconds until the oldest attempt
 * that holds the limit leaves the window.
 *
 * Success: the attempt is not counted, and the earlier failures of the account (or of the known device,
 * below) are forgiven. The address's are not: signing in to one's own account must not buy fresh
 * guesses at other accounts from the same address.
 *
 * Lock-out: a stranger who floods an account with wrong passwords fills its account-wide count; every
 * browser the account does not know then waits until the window frees a place (at most
 * `loginWindowSeconds`, and only for sign-in: tokens and existing sessions never depend on it). The
 * owner's known browser does not wait: each successful sign-in sets a device cookie (device-cookie.ts),
 * and a sign-in that presents a valid one for the account it names is counted per device (also
 * `loginMaxFailures`) instead of per account. A success there forgives only that device's failures, so
 * the owner's routine sign-ins do not hand the flood a fresh account-wide budget. The per-address
 * limit applies to every sign-in: someone who shares the owner's address (a NAT) and floods from it
 * holds the owner back for one window. A browser knows the last account that signed in on it.
 */
import { randomBytes } from "node:crypto";
import type { Context } from "../context.ts";
import type { User } from "../domain/entities.ts";
import { nameKey } from "../domain/names.ts";
import { hashSecret } from "../domain/token-format.ts";
import { HubError } from "../errors.ts";
import { releaseLoginAttempt, reserveLoginAttempt } from "../store/login-attempts.ts";
import { deleteSession, insertSession } from "../store/sessions.ts";
import { findLogin } from "../store/users.ts";
import { csrfTokenFor } from "./authenticate.ts";
import { type IssuedDeviceCookie, issueDeviceCookie, readDeviceCookie } from "./device-cookie.ts";
import { verifyPassword } from "./passwords.ts";

export interface SignedIn {
  readonly user: User;
  /** The cookie value; only its HMAC is stored. */
  readonly cookie: string;
  readonly csrfToken: string;
  readonly expiresAt: Date;
  /** The device cookie that makes this browser known to the account. */
  readonly device: IssuedDeviceCookie;
}

const BAD_LOGIN = "Invalid username or password";

/** `deviceCookie`: the value of the browser's device cookie, if it sent one. */
export async function signIn(
  ctx: Context,
  login: string,
  password: string,
  ip: string,
  deviceCookie?: string,
): Promise<SignedIn> {
  if (!ctx.config.passwordSignIn) {
    throw new HubError("Forbidden", "Password sign-in is turned off on this site: sign in with SSO");
  }
  const now = ctx.now();
  const found = await findLogin(ctx.db, login);
  const device = readDeviceCookie(ctx.secrets.tokenKey, deviceCookie, now);
  const known = found && device?.userId === found.user.id ? device : undefined;
  const counted = known
    ? `device:${known.userId}:${known.nonce}`
    : found
      ? `user:${found.user.id}`
      : `user:${nameKey(login)}`;
  const reservation = await reserveLoginAttempt(ctx.db, {
    subjects: [counted, `ip:${ip}`],
    now,
    windowSeconds: ctx.config.loginWindowSeconds,
    max: ctx.config.loginMaxFailures,
  });
  if (reservation.type === "refused") {
    const seconds = Math.max(1, Math.ceil((reservation.retryAt.getTime() - now.getTime()) / 1000));
    throw new HubError("RateLimited", "Too many failed sign-in attempts; try again later", {
      headers: { "Retry-After": String(seconds) },
    });
  }
  const ok = await verifyPassword(found?.passwordHash, password);
  // A wrong password leaves the reserved attempt in place: it is the failure.
  if (!found || !ok) throw new HubError("InvalidCredentials", BAD_LOGIN);
  await releaseLoginAttempt(ctx.db, reservation.attempt, [counted]);
  return startSession(ctx, found.user, known?.nonce);
}

/** A new session for a user whose identity is proven (a password above, or SSO: auth/sso.ts). */
export async function startSession(ctx: Context, user: User, deviceNonce?: string): Promise<SignedIn> {
  const now = ctx.now();
  const cookie = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + ctx.config.sessionTtlSeconds * 1000);
  await insertSession(ctx.db, { hash: hashSecret(ctx.secrets.tokenKey, cookie), userId: user.id, expiresAt }, now);
  return {
    user,
    cookie,
    csrfToken: csrfTokenFor(ctx, cookie),
    expiresAt,
    device: issueDeviceCookie(ctx.secrets.tokenKey, user.id, now, deviceNonce),
  };
}

export async function signOut(ctx: Context, sessionHash: string): Promise<void> {
  await deleteSession(ctx.db, sessionHash);
}
