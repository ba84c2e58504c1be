/**
 * What oidc-provider stores besides access tokens and clients: grants, authorization codes, device
 * codes, refresh tokens, sessions, interactions, replay guards. The id (a code, a token, a session
 * cookie) and a device code's user code are bearer secrets: only their keyed hashes are stored, and
 * every lookup goes by hash through an index. Expired rows are found by `expires_at` and swept.
 */
import type { Db } from "./db.ts";

export interface RecordKey {
  readonly kind: string;
  readonly keyHash: string;
}

export interface NewRecord extends RecordKey {
  readonly payload: string;
  readonly grantId: string | undefined;
  readonly userCodeHash: string | undefined;
  readonly uidHash: string | undefined;
  readonly sealedId: string | undefined;
  readonly expiresAt: Date | undefined;
}

export async function upsertRecord(db: Db, input: NewRecord): Promise<void> {
  const values = {
    kind: input.kind,
    key_hash: input.keyHash,
    payload: input.payload,
    grant_id: input.grantId ?? null,
    user_code_hash: input.userCodeHash ?? null,
    uid_hash: input.uidHash ?? null,
    sealed_id: input.sealedId ?? null,
    expires_at: input.expiresAt?.toISOString() ?? null,
    consumed_at: null,
    last_polled_at: null,
    poll_interval: null,
  };
  await db
    .insertInto("oauth_record")
    .values(values)
    .onConflict((oc) =>
      oc.columns(["kind", "key_hash"]).doUpdateSet({
        payload: values.payload,
        grant_id: values.grant_id,
        // A save without the secondary key (the provider found the record by its id) keeps it.
        ...(input.userCodeHash ? { user_code_hash: values.user_code_hash } : {}),
        ...(input.uidHash ? { uid_hash: values.uid_hash } : {}),
        ...(input.sealedId ? { sealed_id: values.sealed_id } : {}),
        expires_at: values.expires_at,
      }),
    )
    .execute();
}

export async function findRecord(db: Db, key: RecordKey): Promise<string | undefined> {
  const row = await db
    .selectFrom("oauth_record")
    .select("payload")
    .where("kind", "=", key.kind)
    .where("key_hash", "=", key.keyHash)
    .executeTakeFirst();
  return row?.payload;
}

/** A record by a secondary key (a session's uid, a device code's user code); its key hash with it. */
export async function findRecordBy(
  db: Db,
  kind: string,
  column: "uid_hash" | "user_code_hash",
  hash: string,
): Promise<{ sealedId: string | undefined; payload: string } | undefined> {
  const row = await db
    .selectFrom("oauth_record")
    .select(["sealed_id", "payload"])
    .where("kind", "=", kind)
    .where(column, "=", hash)
    .executeTakeFirst();
  return row && { sealedId: row.sealed_id ?? undefined, payload: row.payload };
}

export async function deleteRecord(db: Db, key: RecordKey): Promise<void> {
  await db.deleteFrom("oauth_record").where("kind", "=", key.kind).where("key_hash", "=", key.keyHash).execute();
}

export async function deleteRecordsOfGrant(db: Db, kind: string, grantId: string): Promise<void> {
  await db.deleteFrom("oauth_record").where("kind", "=", kind).where("grant_id", "=", grantId).execute();
}

/**
 * Marks a refresh token (or code) consumed, atomically: true for the one caller that consumed it, false
 * for any other, so two requests racing with the same refresh token cannot both rotate it.
 */
export async function consumeRecord(db: Db, key: RecordKey, payload: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable("oauth_record")
    .set({ payload, consumed_at: now.toISOString() })
    .where("kind", "=", key.kind)
    .where("key_hash", "=", key.keyHash)
    .where("consumed_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * RFC 8628 §3.5 polling of a device code: the poll is too early when it comes within the current
 * interval of the last one; then the interval grows by 5 seconds. Atomic per row. Returns the interval
 * the client must now keep, and whether it polled too early.
 */
export async function notePoll(
  db: Db,
  key: RecordKey,
  now: Date,
  baseInterval: number,
): Promise<{ tooEarly: boolean; interval: number } | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("oauth_record")
      .select(["last_polled_at", "poll_interval"])
      .where("kind", "=", key.kind)
      .where("key_hash", "=", key.keyHash)
      .executeTakeFirst();
    if (!row) return undefined;
    const interval = row.poll_interval ?? baseInterval;
    const last = row.last_polled_at ? new Date(row.last_polled_at).getTime() : undefined;
    const tooEarly = last !== undefined && now.getTime() - last < interval * 1000;
    const next = tooEarly ? interval + 5 : interval;
    await trx
      .updateTable("oauth_record")
      .set({ last_polled_at: now.toISOString(), poll_interval: next })
      .where("kind", "=", key.kind)
      .where("key_hash", "=", key.keyHash)
      .execute();
    return { tooEarly, interval: next };
  });
}

/** Deletes records past their expiry (the provider ignores them anyway); returns how many. */
export async function sweepExpiredRecords(db: Db, now: Date): Promise<number> {
  const iso = now.toISOString();
  const records = await db.deleteFrom("oauth_record").where("expires_at", "<", iso).executeTakeFirst();
  const tokens = await db.deleteFrom("oauth_access_token").where("expires_at", "<", iso).executeTakeFirst();
  return Number(records.numDeletedRows) + Number(tokens.numDeletedRows);
}
