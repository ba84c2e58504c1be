import type { Db } from "./db.ts";

/** Records that a repo holds an LFS object (after a verified upload, or a commit that references it). */
export async function linkLfsObject(db: Db, repoId: string, oid: string, size: number, now: Date): Promise<void> {
  await db
    .insertInto("lfs_object")
    .values({ repo_id: repoId, oid, size, created_at: now.toISOString() })
    .onConflict((oc) => oc.columns(["repo_id", "oid"]).doNothing())
    .execute();
}

/** The size of an LFS object this repo holds; undefined when the repo does not hold it. */
export async function findRepoLfsObject(db: Db, repoId: string, oid: string): Promise<number | undefined> {
  const row = await db
    .selectFrom("lfs_object")
    .select("size")
    .where("repo_id", "=", repoId)
    .where("oid", "=", oid)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.size);
}

/** Records that `userId` uploaded the bytes of `oid` to the repo, proving they hold them. */
export async function recordLfsUpload(db: Db, repoId: string, oid: string, userId: string, now: Date): Promise<void> {
  await db
    .insertInto("lfs_upload")
    .values({ repo_id: repoId, oid, user_id: userId, created_at: now.toISOString() })
    .onConflict((oc) => oc.columns(["repo_id", "oid", "user_id"]).doNothing())
    .execute();
}

/** Whether `userId` uploaded the bytes of `oid` to the repo themselves. */
export async function hasUploadedLfs(db: Db, repoId: string, oid: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom("lfs_upload")
    .select("oid")
    .where("repo_id", "=", repoId)
    .where("oid", "=", oid)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row !== undefined;
}
