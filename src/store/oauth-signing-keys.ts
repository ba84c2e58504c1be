import type { Db } from "./db.ts";

export interface SigningKeyRow {
  readonly kid: string;
  readonly alg: string;
  readonly sealedJwk: string;
  readonly createdAt: Date;
  readonly activatesAt: Date;
  readonly retiresAt: Date;
}

export async function listSigningKeys(db: Db, now: Date): Promise<SigningKeyRow[]> {
  const rows = await db
    .selectFrom("oauth_signing_key")
    .selectAll()
    .where("retires_at", ">", now.toISOString())
    .orderBy("activates_at", "desc")
    .execute();
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    sealedJwk: row.sealed_jwk,
    createdAt: new Date(row.created_at),
    activatesAt: new Date(row.activates_at),
    retiresAt: new Date(row.retires_at),
  }));
}

export async function insertSigningKey(db: Db, key: SigningKeyRow): Promise<void> {
  await db
    .insertInto("oauth_signing_key")
    .values({
      kid: key.kid,
      alg: key.alg,
      sealed_jwk: key.sealedJwk,
      created_at: key.createdAt.toISOString(),
      activates_at: key.activatesAt.toISOString(),
      retires_at: key.retiresAt.toISOString(),
    })
    .execute();
}

export async function deleteRetiredSigningKeys(db: Db, now: Date): Promise<void> {
  await db.deleteFrom("oauth_signing_key").where("retires_at", "<=", now.toISOString()).execute();
}
