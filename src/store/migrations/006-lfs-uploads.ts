import type { Kysely } from "kysely";

/**
 * Issue 8: who proved to hold an LFS object by uploading its bytes to a repo (a commit by someone who
 * cannot read the repo's content may reference only those), and an index for the sessions of a user
 * (capabilities bound to a web session look them up by user).
 */
// biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on the schema types of today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("lfs_upload")
    .addColumn("repo_id", "text", (c) => c.notNull().references("repo.id").onDelete("cascade"))
    .addColumn("oid", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("lfs_upload_pk", ["repo_id", "oid", "user_id"])
    .execute();
  await db.schema.createIndex("session_user_idx").on("session").column("user_id").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: as above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("session_user_idx").ifExists().execute();
  await db.schema.dropTable("lfs_upload").ifExists().execute();
}
