/**
 * Signed Git LFS transfer hrefs: capabilities the batch endpoint hands out after the authorization
 * engine allowed the operation, so the transfer itself needs no credential (Python and JS send none on
 * the PUT, and git-lfs none once `authenticated: true`).
 *
 * Format: `<repo's LFS URL>/objects/<oid>?size=<bytes>&exp=<unix seconds>&cred=<ref>&sig=<base64url>`
 * where sig = HMAC-SHA-256(K, "berth-lfs-href-v2\n" + operation + "\n" + repo id + "\n" + oid + "\n" +
 * size + "\n" + exp + "\n" + ref + "\n" + binding secret) and K = HMAC-SHA-256(server token key,
 * "berth lfs href key"), a key of its own so a signature can never stand in for a token or session hash.
 *
 * What it binds: the operation (a download href cannot upload), the repo's immutable id (a deleted and
 * recreated repo of the same name refuses old hrefs; a rename makes them 404), the oid, the size, the
 * expiry, and the credential that asked (auth/credential-binding.ts): `ref` names it, and the binding
 * secret (the token's current hash, the session's hash), which never leaves the server, proves it is
 * the same one. The route rebuilds the principal on every use and asks the engine again, so a link
 * dies with its token, its session or its access. Nothing is stored; hrefs live an hour. Comparison is
 * constant-time.
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
  /** The credential reference (auth/credential-binding.ts) of whoever asked. */
  readonly credential: string;
}

export const LFS_HREF_TTL_SECONDS = 3600;

function hrefKey(tokenKey: Buffer): Buffer {
  return createHmac("sha256", tokenKey).update("berth lfs href key").digest();
}

function signature(tokenKey: Buffer, grant: LfsGrant, bindingSecret: string): Buffer {
  const message = [
    "berth-lfs-href-v2",
    grant.operation,
    grant.repoId,
    grant.oid,
    grant.size,
    grant.expiresAt,
    grant.credential,
    bindingSecret,
  ].join("\n");
  return createHmac("sha256", hrefKey(tokenKey)).update(message).digest();
}

/** The query string (without `?`) that authorizes `grant` for the credential whose secret is given. */
export function signLfsGrant(tokenKey: Buffer, grant: LfsGrant, bindingSecret: string): string {
  const params = new URLSearchParams({
    size: String(grant.size),
    exp: String(grant.expiresAt),
    cred: grant.credential,
    sig: signature(tokenKey, grant, bindingSecret).toString("base64url"),
  });
  return params.toString();
}

/** A grant for `now` + ttl. */
export function lfsGrant(
  operation: LfsOperation,
  repoId: string,
  oid: string,
  size: number,
  credential: string,
  now: Date,
  ttlSeconds = LFS_HREF_TTL_SECONDS,
): LfsGrant {
  return { operation, repoId, oid, size, credential, expiresAt: Math.floor(now.getTime() / 1000) + ttlSeconds };
}

export interface PresentedSignature {
  readonly size?: unknown;
  readonly exp?: unknown;
  readonly cred?: unknown;
  readonly sig?: unknown;
}

/** The parts of a presented href that can be checked without the database, or undefined. */
export function parseLfsSignature(
  presented: PresentedSignature,
  now: Date,
): { size: number; expiresAt: number; credential: string; sig: Buffer } | undefined {
  const { size, exp, cred, sig } = presented;
  if (typeof size !== "string" || typeof exp !== "string" || typeof sig !== "string") return undefined;
  if (typeof cred !== "string" || cred.length > 40) return undefined;
  // Canonical decimal only, so one grant has exactly one spelling.
  if (!/^(0|[1-9]\d{0,15})$/.test(size) || !/^[1-9]\d{0,11}$/.test(exp)) return undefined;
  if (!/^[A-Za-z0-9_-]{43}$/.test(sig)) return undefined;
  const parsed = { size: Number(size), expiresAt: Number(exp), credential: cred, sig: Buffer.from(sig, "base64url") };
  if (!Number.isSafeInteger(parsed.size)) return undefined;
  // The expiry is in the href for all to read: checking it before the MAC tells nobody anything new,
  // and spares an expired link its database lookups.
  if (now.getTime() >= parsed.expiresAt * 1000) return undefined;
  return parsed;
}

/**
 * The grant a presented query proves for this operation, repo and oid and the credential whose binding
 * secret is given; undefined when it is malformed, forged, for anything else, or expired.
 */
export function verifyLfsGrant(
  tokenKey: Buffer,
  expected: { operation: LfsOperation; repoId: string; oid: string },
  presented: PresentedSignature,
  now: Date,
  bindingSecret: string,
): LfsGrant | undefined {
  const parsed = parseLfsSignature(presented, now);
  if (!parsed) return undefined;
  const grant: LfsGrant = {
    ...expected,
    size: parsed.size,
    expiresAt: parsed.expiresAt,
    credential: parsed.credential,
  };
  const expectedMac = signature(tokenKey, grant, bindingSecret);
  if (parsed.sig.length !== expectedMac.length || !timingSafeEqual(parsed.sig, expectedMac)) return undefined;
  return grant;
}
