/**
 * Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): proof that this
 * browser has signed in to an account before, so that a stranger who floods the account with wrong
 * passwords cannot lock its owner's known browser out (the policy is in sign-in.ts).
 *
 * Format: `v1.<user id>.<nonce>.<expiry, unix seconds>.<sig>`, nonce 16 random bytes in base64url,
 * sig = HMAC-SHA-256(K, "berth-device-v1\n" + user id + "\n" + nonce + "\n" + expiry) in base64url and
 * K = HMAC-SHA-256(server token key, "berth device cookie key"), a key of its own, so a device cookie can
 * never stand in for a token or session hash, a CSRF token or an LFS href, nor any of them for it.
 * Stored: nothing on the server; the browser keeps it httpOnly and SameSite=Strict. Compared: the
 * signature in constant time. Lifetime: a year from the last successful sign-in on the browser, the
 * expiry signed so a copy dies too; sign-out leaves it, since it names the browser, not a session. It
 * is not a credential: it only changes how failed sign-ins are counted.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const DEVICE_COOKIE = "berth_device";
export const DEVICE_COOKIE_TTL_SECONDS = 365 * 24 * 3600;

export interface Device {
  readonly userId: string;
  readonly nonce: string;
}

export interface IssuedDeviceCookie {
  readonly value: string;
  readonly expiresAt: Date;
}

const SHAPE = /^v1\.([0-9A-Za-z_-]{1,64})\.([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;

function deviceKey(tokenKey: Buffer): Buffer {
  return createHmac("sha256", tokenKey).update("berth device cookie key").digest();
}

function signature(tokenKey: Buffer, userId: string, nonce: string, expiry: string): Buffer {
  return createHmac("sha256", deviceKey(tokenKey))
    .update(["berth-device-v1", userId, nonce, expiry].join("\n"))
    .digest();
}

/** A cookie for `userId`; a browser that already had one for this user keeps its nonce. */
export function issueDeviceCookie(
  tokenKey: Buffer,
  userId: string,
  now: Date,
  nonce = randomBytes(16).toString("base64url"),
): IssuedDeviceCookie {
  const expiresAt = new Date(now.getTime() + DEVICE_COOKIE_TTL_SECONDS * 1000);
  const expiry = String(Math.floor(expiresAt.getTime() / 1000));
  const sig = signature(tokenKey, userId, nonce, expiry).toString("base64url");
  return { value: ["v1", userId, nonce, expiry, sig].join("."), expiresAt };
}

/** The device a cookie names, or undefined for anything malformed, forged or expired. */
export function readDeviceCookie(tokenKey: Buffer, value: string | undefined, now: Date): Device | undefined {
  const match = value === undefined ? null : SHAPE.exec(value);
  if (!match) return undefined;
  const [, userId = "", nonce = "", expiry = "", sig = ""] = match;
  const expected = signature(tokenKey, userId, nonce, expiry);
  const presented = Buffer.from(sig, "base64url");
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
  if (Number(expiry) * 1000 <= now.getTime()) return undefined;
  return { userId, nonce };
}
