/**
 * The queries of the Xet garbage collection (src/xet/xet-gc.ts explains the scheme). Every delete re-checks
 * its whole condition in the same statement, so a row that became referenced or was touched after it
 * was listed survives.
 */
import { type Expression, type SqlBool, sql } from "kysely";
import type { Db } from "./db.ts";

/** Files no repo links and no LFS object names, untouched since `before`. */
export async function listUnreferencedXetFiles(db: Db, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("xet_file")
    .select("hash")
    .where((eb) => unreferencedFile(eb.ref("xet_file.hash"), before))
    .limit(limit)
    .execute();
  return rows.map((row) => row.hash);
}

/** Deletes the file if it is still unreferenced and untouched; true when it did. */
export async function deleteUnreferencedXetFile(db: Db, hash: string, before: Date): Promise<boolean> {
  const result = await db
    .deleteFrom("xet_file")
    .where("hash", "=", hash)
    .where(() => unreferencedFile(sql.ref("xet_file.hash"), before))
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

function unreferencedFile(hash: Expression<string>, before: Date): Expression<SqlBool> {
  return sql<SqlBool>`xet_file.touched_at < ${before.toISOString()}
    and not exists (select 1 from xet_file_repo where xet_file_repo.file_hash = ${hash})
    and (xet_file.sha256 is null
      or not exists (select 1 from lfs_object where lfs_object.oid = xet_file.sha256))`;
}

/** Xorbs no file needs, untouched since `before`. */
export async function listUnreferencedXorbs(db: Db, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("xet_xorb")
    .select("hash")
    .where(() => unreferencedXorb(before))
    .limit(limit)
    .execute();
  return rows.map((row) => row.hash);
}

/**
 * Deletes the xorb row if it is still unreferenced and untouched, recording its object key as unlinked in
 * the same transaction (so a crash before the bytes are deleted leaves a trace the next run follows).
 * Returns the object key whose bytes the caller must now delete, or undefined when the row was kept.
 */
export async function deleteUnreferencedXorb(db: Db, hash: string, before: Date): Promise<string | undefined> {
  return db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom("xet_xorb")
      .where("hash", "=", hash)
      .where(() => unreferencedXorb(before))
      .returning("object_key")
      .executeTakeFirst();
    if (!deleted) return undefined;
    // Dated at the epoch: nothing can be waiting for these bytes any more.
    await trx
      .insertInto("xet_unlinked_object")
      .values({ object_key: deleted.object_key, since: new Date(0).toISOString() })
      .onConflict((oc) => oc.column("object_key").doNothing())
      .execute();
    return deleted.object_key;
  });
}

function unreferencedXorb(before: Date): Expression<SqlBool> {
  return sql<SqlBool>`xet_xorb.touched_at < ${before.toISOString()}
    and not exists (select 1 from xet_file_xorb where xet_file_xorb.xorb_hash = xet_xorb.hash)`;
}

/** Unlinked object keys recorded before `before` that no xorb row uses. */
export async function listUnlinkedObjects(db: Db, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("xet_unlinked_object")
    .select("object_key")
    .where("since", "<", before.toISOString())
    .limit(limit)
    .execute();
  return rows.map((row) => row.object_key);
}

/** True when a xorb row points at `key` (its bytes are live). */
export async function isObjectKeyLinked(db: Db, key: string): Promise<boolean> {
  const row = await db.selectFrom("xet_xorb").select("hash").where("object_key", "=", key).executeTakeFirst();
  return row !== undefined;
}
