/**
 * The provider's signing keys (JWKS), kept in the database so every process and every restart signs
 * with, and publishes, the same keys.
 *
 * Format: RSA-2048 (RS256) private JWKs, each sealed (oauth-sealing.ts) under a key derived from the
 * server secret; a database dump alone does not reveal them. Lifetime: a key is published from its
 * creation and signs from `activates_at`; it is replaced after `rotationDays` by a new key created
 * then, published at once but signing only a day later, so every process (each reloads the set every
 * few minutes, oauth-service.ts) and every relying party's JWKS cache knows it before its first
 * signature. A key stays published for `rotationDays` after it stopped signing, so tokens it signed
 * can still be verified, then it is deleted. The first key of a new installation signs at once.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { Context } from "../context.ts";
import { deleteRetiredSigningKeys, insertSigningKey, listSigningKeys } from "../store/oauth-signing-keys.ts";
import { openSealed, seal } from "./oauth-sealing.ts";

const DAY_MS = 24 * 3600 * 1000;
const PREPUBLISH_MS = DAY_MS;
const PURPOSE = "signing key";

export interface KeySet {
  /** Private JWKs, the signing key first. */
  readonly keys: readonly Record<string, unknown>[];
  /** Identifies the set: when it changes, the provider is rebuilt with the new one. */
  readonly fingerprint: string;
}

function newKey(now: Date, activatesAt: Date, rotationDays: number) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomBytes(12).toString("base64url");
  const jwk = { ...privateKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
  return {
    kid,
    alg: "RS256",
    jwk,
    createdAt: now,
    activatesAt,
    retiresAt: new Date(activatesAt.getTime() + 2 * rotationDays * DAY_MS),
  };
}

/**
 * The keys to use now, creating the first one or the next one when due. Two processes starting at the
 * same moment may both create one: both are published, the newest active one signs; nothing breaks.
 */
export async function currentKeySet(ctx: Context, rotationDays: number): Promise<KeySet> {
  const now = ctx.now();
  await deleteRetiredSigningKeys(ctx.db, now);
  const rows = await listSigningKeys(ctx.db, now);
  const opened = rows.flatMap((row) => {
    const clear = openSealed(ctx.secrets.tokenKey, PURPOSE, row.sealedJwk);
    return clear ? [{ row, jwk: JSON.parse(clear) as Record<string, unknown> }] : [];
  });
  const newest = opened[0]?.row;
  const active = opened.filter(({ row }) => row.activatesAt.getTime() <= now.getTime());
  const due = !newest || newest.activatesAt.getTime() + rotationDays * DAY_MS <= now.getTime();
  if (due) {
    // With nothing able to sign, the first key signs at once; otherwise it waits to be known everywhere.
    const activatesAt = active.length === 0 ? now : new Date(now.getTime() + PREPUBLISH_MS);
    const key = newKey(now, activatesAt, rotationDays);
    await insertSigningKey(ctx.db, {
      kid: key.kid,
      alg: key.alg,
      sealedJwk: seal(ctx.secrets.tokenKey, PURPOSE, JSON.stringify(key.jwk)),
      createdAt: key.createdAt,
      activatesAt: key.activatesAt,
      retiresAt: key.retiresAt,
    });
    return currentKeySet(ctx, rotationDays);
  }
  const signing = active[0];
  const others = opened.filter((entry) => entry !== signing);
  const ordered = [...(signing ? [signing] : []), ...others];
  return {
    keys: ordered.map(({ jwk }) => jwk),
    fingerprint: ordered.map(({ row }) => row.kid).join(","),
  };
}
