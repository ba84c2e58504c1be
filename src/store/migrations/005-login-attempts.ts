import type { Kysely } from "kysely";

/**
 * Sign-in attempts replace sign-in failures (issue 8, item 3): an attempt is recorded, under its
 * limits, before the password is checked, and removed again if the password was right. One attempt
 * has one row per subject it is counted under, all with the same attempt id. The old failure rows are
 * dropped: at worst that forgives the last window's failures once, at the upgrade.
 */
// biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on the schema types of today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("login_failure").ifExists().execute();
  await db.schema
    .createTable("login_attempt")
    .addColumn("attempt", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("login_attempt_pk", ["attempt", "subject"])
    .execute();
  await db.schema.createIndex("login_attempt_subject_at_idx").on("login_attempt").columns(["subject", "at"]).execute();
  await db.schema.createIndex("login_attempt_at_idx").on("login_attempt").column("at").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: as above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("login_attempt").ifExists().execute();
  await db.schema
    .createTable("login_failure")
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("login_failure_subject_at_idx").on("login_failure").columns(["subject", "at"]).execute();
}
