/**
 * Xet file rows (migration 007): a file's terms and size, the SHA-256 Berth verified for it, the xorbs it
 * needs, the repos whose write tokens registered it (with the SHA-256 each claimed), and the shards
 * already registered per repo. A file is readable by a repo only through its link row; a SHA-256 backs
 * an LFS oid only once Berth computed it from the content.
 */
import type { Db } from "./db.ts";
import { batches, toBuffer } from "./xet-xorbs.ts";

export interface XetFileRow {
  readonly hash: string;
  readonly size: number;
  readonly terms: Uint8Array;
  /** Verified by Berth; undefined until then. */
  readonly sha256: string | undefined;
}

function toFile(row: { hash: string; size: number | string; terms: Uint8Array; sha256: string | null }): XetFileRow {
  return { hash: row.hash, size: Number(row.size), terms: row.terms, sha256: row.sha256 ?? undefined };
}

export async function findXetFile(db: Db, hash: string): Promise<XetFileRow | undefined> {
  const row = await db
    .selectFrom("xet_file")
    .select(["hash", "size", "terms", "sha256"])
    .where("hash", "=", hash)
    .executeTakeFirst();
  return row ? toFile(row) : undefined;
}

/** The file, if this repo registered it (the reconstruction check of phase 2). */
export async function findRepoXetFile(db: Db, repoId: string, hash: string): Promise<XetFileRow | undefined> {
  const row = await db
    .selectFrom("xet_file")
    .innerJoin("xet_file_repo", "xet_file_repo.file_hash", "xet_file.hash")
    .select(["xet_file.hash", "xet_file.size", "xet_file.terms", "xet_file.sha256"])
    .where("xet_file.hash", "=", hash)
    .where("xet_file_repo.repo_id", "=", repoId)
    .executeTakeFirst();
  return row ? toFile(row) : undefined;
}

/**
 * A file whose content Berth verified to have this SHA-256 (any repo's: storage is shared, and which repo
 * may read an oid is the business of `lfs_object`). Several chunkings of one content may exist; any will do.
 */
export async function findVerifiedXetFileBySha256(db: Db, sha256: string): Promise<XetFileRow | undefined> {
  const row = await db
    .selectFrom("xet_file")
    .select(["hash", "size", "terms", "sha256"])
    .where("sha256", "=", sha256)
    .orderBy("created_at")
    .limit(1)
    .executeTakeFirst();
  return row ? toFile(row) : undefined;
}

/** As above, restricted to files this repo registered (the X-Xet-Hash of a resolve answer, phase 2). */
export async function findRepoVerifiedXetFileBySha256(
  db: Db,
  repoId: string,
  sha256: string,
): Promise<XetFileRow | undefined> {
  const row = await db
    .selectFrom("xet_file")
    .innerJoin("xet_file_repo", "xet_file_repo.file_hash", "xet_file.hash")
    .select(["xet_file.hash", "xet_file.size", "xet_file.terms", "xet_file.sha256"])
    .where("xet_file.sha256", "=", sha256)
    .where("xet_file_repo.repo_id", "=", repoId)
    .orderBy("xet_file.created_at")
    .limit(1)
    .executeTakeFirst();
  return row ? toFile(row) : undefined;
}

export interface NewXetFile {
  readonly hash: string;
  readonly size: number;
  readonly terms: Uint8Array;
  readonly sha256: string | undefined;
  readonly xorbHashes: readonly string[];
}

/**
 * Inserts the file with the xorbs it needs, or refreshes an existing one: its terms stay (any verified
 * chunking of the content will do), its SHA-256 is filled in if it was missing, its touch is renewed.
 */
export async function upsertXetFile(db: Db, file: NewXetFile, now: Date): Promise<void> {
  const at = now.toISOString();
  await db
    .insertInto("xet_file")
    .values({
      hash: file.hash,
      size: file.size,
      terms: toBuffer(file.terms),
      sha256: file.sha256 ?? null,
      created_at: at,
      touched_at: at,
    })
    .onConflict((oc) =>
      oc.column("hash").doUpdateSet((eb) => ({
        touched_at: at,
        sha256: eb.fn.coalesce("xet_file.sha256", eb.ref("excluded.sha256")),
      })),
    )
    .execute();
  const existing = await db.selectFrom("xet_file").select("terms").where("hash", "=", file.hash).executeTakeFirst();
  // The stored terms may be another chunking than this upload's: record the xorbs of the stored ones.
  const hashes = existing && !sameBytes(existing.terms, file.terms) ? undefined : file.xorbHashes;
  if (hashes === undefined) return;
  for (const batch of batches([...new Set(hashes)])) {
    await db
      .insertInto("xet_file_xorb")
      .values(batch.map((xorb_hash) => ({ file_hash: file.hash, xorb_hash })))
      .onConflict((oc) => oc.columns(["file_hash", "xorb_hash"]).doNothing())
      .execute();
  }
}

export async function setXetFileSha256(db: Db, hash: string, sha256: string): Promise<void> {
  await db.updateTable("xet_file").set({ sha256 }).where("hash", "=", hash).where("sha256", "is", null).execute();
}

export async function linkXetFileToRepo(
  db: Db,
  fileHash: string,
  repoId: string,
  claimedSha256: string | undefined,
  now: Date,
): Promise<void> {
  await db
    .insertInto("xet_file_repo")
    .values({
      file_hash: fileHash,
      repo_id: repoId,
      claimed_sha256: claimedSha256 ?? null,
      created_at: now.toISOString(),
    })
    .onConflict((oc) => oc.columns(["file_hash", "repo_id"]).doUpdateSet({ claimed_sha256: claimedSha256 ?? null }))
    .execute();
}

export async function hasRegisteredShard(db: Db, hash: string, repoId: string): Promise<boolean> {
  const row = await db
    .selectFrom("xet_shard")
    .select("hash")
    .where("hash", "=", hash)
    .where("repo_id", "=", repoId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function recordShard(db: Db, hash: string, repoId: string, now: Date): Promise<void> {
  await db
    .insertInto("xet_shard")
    .values({ hash, repo_id: repoId, created_at: now.toISOString() })
    .onConflict((oc) => oc.columns(["hash", "repo_id"]).doNothing())
    .execute();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return toBuffer(a).equals(toBuffer(b));
}
