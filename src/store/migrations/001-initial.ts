import type { Kysely } from "kysely";

// Migrations are frozen in time, so they speak Kysely<any>, not today's schema.
// biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on the schema types of today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("namespace")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("entity_id", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("user")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("fullname", "text", (c) => c.notNull())
    .addColumn("password_hash", "text")
    .addColumn("is_admin", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("org")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("fullname", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("member")
    .addColumn("org_id", "text", (c) => c.notNull().references("org.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("member_pk", ["org_id", "user_id"])
    .execute();
  await db.schema.createIndex("member_user_idx").on("member").column("user_id").execute();

  await db.schema
    .createTable("token")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("fine_grained", "text")
    .addColumn("hash", "text", (c) => c.notNull().unique())
    .addColumn("hint", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .addColumn("last_used_at", "text")
    .addColumn("last_used_ip", "text")
    .addColumn("last_used_user_agent", "text")
    .addUniqueConstraint("token_user_name_unique", ["user_id", "display_name"])
    .execute();

  await db.schema
    .createTable("session")
    .addColumn("hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("login_failure")
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("login_failure_subject_at_idx").on("login_failure").columns(["subject", "at"]).execute();

  await db.schema
    .createTable("repo")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("namespace_id", "text", (c) => c.notNull())
    .addColumn("namespace_kind", "text", (c) => c.notNull())
    .addColumn("namespace", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull().unique())
    .addColumn("private", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("gated", "text", (c) => c.notNull().defaultTo("false"))
    .addColumn("sdk", "text")
    .addColumn("created_by", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("last_modified", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("repo_namespace_idx").on("repo").column("namespace_id").execute();

  await db.schema
    .createTable("access_request")
    .addColumn("repo_id", "text", (c) => c.notNull().references("repo.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("fields", "text")
    .addColumn("granted", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("access_request_pk", ["repo_id", "user_id"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: as above
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "access_request",
    "repo",
    "login_failure",
    "session",
    "token",
    "member",
    "org",
    "user",
    "namespace",
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
