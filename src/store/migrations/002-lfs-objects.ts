import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on the schema types of today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("lfs_object")
    .addColumn("repo_id", "text", (c) => c.notNull().references("repo.id").onDelete("cascade"))
    .addColumn("oid", "text", (c) => c.notNull())
    .addColumn("size", "bigint", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("lfs_object_pk", ["repo_id", "oid"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: as above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("lfs_object").ifExists().execute();
}
