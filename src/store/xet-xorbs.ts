/**
 * Xorb rows (migration 007): one per verified xorb, with its chunk index; the chunks the global dedup
 * query can answer for; and object keys that may hold bytes no row points to. Functions that must be
 * atomic with others take the transaction as their `db`.
 */
import type { Db } from "./db.ts";

export interface XorbRow {
  readonly hash: string;
  readonly objectKey: string;
  readonly chunkCount: number;
  readonly unpackedSize: number;
  readonly storedSize: number;
  readonly chunkIndex: Uint8Array;
}

export interface NewXorb extends XorbRow {
  readonly repoId: string | undefined;
}

/** Inserts the xorb unless one with its hash exists; true when this call inserted it. */
export async function insertXorb(db: Db, xorb: NewXorb, now: Date): Promise<boolean> {
  const at = now.toISOString();
  const result = await db
    .insertInto("xet_xorb")
    .values({
      hash: xorb.hash,
      object_key: xorb.objectKey,
      chunk_count: xorb.chunkCount,
      unpacked_size: xorb.unpackedSize,
      stored_size: xorb.storedSize,
      chunk_index: toBuffer(xorb.chunkIndex),
      repo_id: xorb.repoId ?? null,
      created_at: at,
      touched_at: at,
    })
    .onConflict((oc) => oc.column("hash").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Marks xorbs as relied upon now (an upload that found them, a shard that references them), which keeps
 * the GC away from them for its grace period. Returns how many of `hashes` exist.
 */
export async function touchXorbs(db: Db, hashes: readonly string[], now: Date): Promise<number> {
  if (hashes.length === 0) return 0;
  let touched = 0;
  for (const batch of batches(hashes)) {
    const result = await db
      .updateTable("xet_xorb")
      .set({ touched_at: now.toISOString() })
      .where("hash", "in", batch)
      .executeTakeFirst();
    touched += Number(result.numUpdatedRows);
  }
  return touched;
}

export async function findXorbs(db: Db, hashes: readonly string[]): Promise<XorbRow[]> {
  const rows: XorbRow[] = [];
  for (const batch of batches(hashes)) {
    const found = await db
      .selectFrom("xet_xorb")
      .select(["hash", "object_key", "chunk_count", "unpacked_size", "stored_size", "chunk_index"])
      .where("hash", "in", batch)
      .execute();
    for (const row of found) {
      rows.push({
        hash: row.hash,
        objectKey: row.object_key,
        chunkCount: row.chunk_count,
        unpackedSize: Number(row.unpacked_size),
        storedSize: Number(row.stored_size),
        chunkIndex: row.chunk_index,
      });
    }
  }
  return rows;
}

export interface DedupChunk {
  readonly chunkHash: string;
  readonly xorbHash: string;
  readonly chunkIndex: number;
}

export async function insertDedupChunks(db: Db, chunks: readonly DedupChunk[]): Promise<void> {
  for (const batch of batches(chunks, 300)) {
    await db
      .insertInto("xet_dedup_chunk")
      .values(batch.map((c) => ({ chunk_hash: c.chunkHash, xorb_hash: c.xorbHash, chunk_index: c.chunkIndex })))
      .onConflict((oc) => oc.columns(["chunk_hash", "xorb_hash"]).doNothing())
      .execute();
  }
}

/** The xorbs that hold a dedup-eligible chunk, oldest first. */
export async function listDedupXorbs(db: Db, chunkHash: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("xet_dedup_chunk")
    .innerJoin("xet_xorb", "xet_xorb.hash", "xet_dedup_chunk.xorb_hash")
    .select("xet_dedup_chunk.xorb_hash")
    .where("xet_dedup_chunk.chunk_hash", "=", chunkHash)
    .orderBy("xet_xorb.created_at")
    .limit(limit)
    .execute();
  return rows.map((row) => row.xorb_hash);
}

/** Records that `key` may hold bytes without a xorb row; `since` decides when the GC may delete them. */
export async function recordUnlinkedObject(db: Db, key: string, since: Date): Promise<void> {
  await db
    .insertInto("xet_unlinked_object")
    .values({ object_key: key, since: since.toISOString() })
    .onConflict((oc) => oc.column("object_key").doUpdateSet({ since: since.toISOString() }))
    .execute();
}

export async function clearUnlinkedObject(db: Db, key: string): Promise<void> {
  await db.deleteFrom("xet_unlinked_object").where("object_key", "=", key).execute();
}

export function batches<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** better-sqlite3 binds Buffers as blobs, not plain Uint8Arrays; pg takes either. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Repos that use a xorb: those whose registered files need it and the one that uploaded it. A dedup
 * answer may name the xorb only to a caller who can read one of them.
 */
export async function listXorbRepoIds(db: Db, xorbHash: string, limit = 100): Promise<string[]> {
  const linked = await db
    .selectFrom("xet_file_xorb")
    .innerJoin("xet_file_repo", "xet_file_repo.file_hash", "xet_file_xorb.file_hash")
    .select("xet_file_repo.repo_id")
    .distinct()
    .where("xet_file_xorb.xorb_hash", "=", xorbHash)
    .limit(limit)
    .execute();
  const uploader = await db.selectFrom("xet_xorb").select("repo_id").where("hash", "=", xorbHash).executeTakeFirst();
  const ids = new Set(linked.map((row) => row.repo_id));
  if (uploader?.repo_id) ids.add(uploader.repo_id);
  return [...ids];
}
