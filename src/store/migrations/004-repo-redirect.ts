import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on the schema types of today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("repo_redirect")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("repo_id", "text", (c) => c.notNull().references("repo.id").onDelete("cascade"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: as above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("repo_redirect").ifExists().execute();
}
