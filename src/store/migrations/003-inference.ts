import type { Kysely } from "kysely";

/**
 * The inference API (issue 5): upstream providers by repo pattern, one usage row per call, the
 * per-token rate limit and its shared fixed-window counters (shared by every server process).
 */
// biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on the schema types of today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("inference_upstream")
    .addColumn("pattern", "text", (c) => c.primaryKey())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("upstream_model", "text")
    .addColumn("api_key", "text")
    .addColumn("timeout_ms", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("inference_usage")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("token_id", "text", (c) => c.references("token.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("route", "text", (c) => c.notNull())
    .addColumn("status", "integer", (c) => c.notNull())
    .addColumn("duration_ms", "integer", (c) => c.notNull())
    .addColumn("input_tokens", "integer")
    .addColumn("output_tokens", "integer")
    .addColumn("at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("inference_usage_token_idx").on("inference_usage").columns(["token_id", "at"]).execute();
  await db.schema.createIndex("inference_usage_user_idx").on("inference_usage").columns(["user_id", "at"]).execute();

  await db.schema
    .createTable("inference_rate_window")
    .addColumn("token_id", "text", (c) => c.notNull().references("token.id").onDelete("cascade"))
    .addColumn("window_start", "text", (c) => c.notNull())
    .addColumn("count", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("inference_rate_window_pk", ["token_id", "window_start"])
    .execute();

  await db.schema.alterTable("token").addColumn("rate_limit_per_minute", "integer").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: as above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("token").dropColumn("rate_limit_per_minute").execute();
  await db.schema.dropTable("inference_rate_window").ifExists().execute();
  await db.schema.dropTable("inference_usage").ifExists().execute();
  await db.schema.dropTable("inference_upstream").ifExists().execute();
}
