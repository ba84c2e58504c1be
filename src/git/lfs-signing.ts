/**
 * Signed Git LFS transfer hrefs: capabilities the batch endpoint hands out after the authorization
 * engine allowed the operation, so the transfer itself needs no credential (Python and JS send none on
 * the PUT, and git-lfs none once `authenticated: true`).
 *
 * Format: `<repo's LFS URL>/objects/<oid>?size=<bytes>&exp=<unix seconds>&sig=<base64url>` where
 * sig = HMAC-SHA-256(K, "berth-lfs-href-v1\n" + operation + "\n" + repo id + "\n" + oid + "\n" + size + "\n" + exp)
 * and K = HMAC-SHA-256(server token key, "berth lfs href key"), a key of its own so a signature can never
 * stand in for a token or session hash.
 *
 * What it binds: the operation (a download href cannot upload), the repo's immutable id (a deleted and
 * recreated repo of the same name refuses old hrefs; a rename makes them 404), the oid, the size and the
 * expiry. Nothing is stored. Caveat: a href stays valid until it expires even if the caller loses access
 * meanwhile, so lifetimes are short (an hour); an upload still has to carry the exact bytes of the oid.
 * Comparison is constant-time.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type LfsOperation = "upload" | "download";

export interface LfsGrant {
  readonly operation: LfsOperation;
  readonly repoId: string;
  readonly oid: string;
  readonly size: number;
  /** Unix seconds after which the href is refused. */
  readonly expiresAt: number;
}

export const LFS_HREF_TTL_SECONDS = 3600;

function hrefKey(tokenKey: Buffer): Buffer {
  return createHmac("sha256", tokenKey).update("berth lfs href key").digest();
}

function signature(tokenKey: Buffer, grant: LfsGrant): Buffer {
  const message = ["berth-lfs-href-v1", grant.operation, grant.repoId, grant.oid, grant.size, grant.expiresAt].join(
    "\n",
  );
  return createHmac("sha256", hrefKey(tokenKey)).update(message).digest();
}

/** The query string (without `?`) that authorizes `grant`. */
export function signLfsGrant(tokenKey: Buffer, grant: LfsGrant): string {
  const params = new URLSearchParams({
    size: String(grant.size),
    exp: String(grant.expiresAt),
    sig: signature(tokenKey, grant).toString("base64url"),
  });
  return params.toString();
}

/** A grant for `now` + ttl. */
export function lfsGrant(
  operation: LfsOperation,
  repoId: string,
  oid: string,
  size: number,
  now: Date,
  ttlSeconds = LFS_HREF_TTL_SECONDS,
): LfsGrant {
  return { operation, repoId, oid, size, expiresAt: Math.floor(now.getTime() / 1000) + ttlSeconds };
}

export interface PresentedSignature {
  readonly size?: unknown;
  readonly exp?: unknown;
  readonly sig?: unknown;
}

/**
 * The grant a presented query proves, or undefined when it is malformed, forged, for another operation,
 * repo or oid, or expired.
 */
export function verifyLfsGrant(
  tokenKey: Buffer,
  expected: { operation: LfsOperation; repoId: string; oid: string },
  presented: PresentedSignature,
  now: Date,
): LfsGrant | undefined {
  const { size, exp, sig } = presented;
  if (typeof size !== "string" || typeof exp !== "string" || typeof sig !== "string") return undefined;
  // Canonical decimal only, so one grant has exactly one spelling.
  if (!/^(0|[1-9]\d{0,15})$/.test(size) || !/^[1-9]\d{0,11}$/.test(exp)) return undefined;
  if (!/^[A-Za-z0-9_-]{43}$/.test(sig)) return undefined;
  const grant: LfsGrant = { ...expected, size: Number(size), expiresAt: Number(exp) };
  if (!Number.isSafeInteger(grant.size)) return undefined;
  const presentedMac = Buffer.from(sig, "base64url");
  const expectedMac = signature(tokenKey, grant);
  if (presentedMac.length !== expectedMac.length || !timingSafeEqual(presentedMac, expectedMac)) return undefined;
  // Checked after the MAC so timing says nothing about which part was wrong.
  if (now.getTime() >= grant.expiresAt * 1000) return undefined;
  return grant;
}
