import { type Kysely, PostgresAdapter, sql } from "kysely";

/**
 * Xet storage (spec/xet.md §7.3). Hashes are the 64-hex text form. Xorb bytes live in the object store
 * under `object_key`, a key used by one upload only, so a GC deleting an old copy never races a new
 * upload writing the same hash. `touched_at` is the last time an upload or a registration relied on a
 * row: the GC leaves anything touched within its grace period alone.
 */
// biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on the schema types of today
export async function up(db: Kysely<any>): Promise<void> {
  const blob = db.getExecutor().adapter instanceof PostgresAdapter ? sql`bytea` : sql`blob`;

  await db.schema
    .createTable("xet_xorb")
    .addColumn("hash", "text", (c) => c.primaryKey())
    .addColumn("object_key", "text", (c) => c.notNull().unique())
    .addColumn("chunk_count", "integer", (c) => c.notNull())
    .addColumn("unpacked_size", "bigint", (c) => c.notNull())
    .addColumn("stored_size", "bigint", (c) => c.notNull())
    // Per chunk: hash, stored and unpacked offsets (src/xet/xorb-index.ts).
    .addColumn("chunk_index", blob, (c) => c.notNull())
    .addColumn("repo_id", "text", (c) => c.references("repo.id").onDelete("set null"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("touched_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("xet_xorb_touched_idx").on("xet_xorb").column("touched_at").execute();

  // Chunks the global dedup query can answer for: first chunks of files and 1 in 1024 others.
  await db.schema
    .createTable("xet_dedup_chunk")
    .addColumn("chunk_hash", "text", (c) => c.notNull())
    .addColumn("xorb_hash", "text", (c) => c.notNull().references("xet_xorb.hash").onDelete("cascade"))
    .addColumn("chunk_index", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("xet_dedup_chunk_pk", ["chunk_hash", "xorb_hash"])
    .execute();
  await db.schema.createIndex("xet_dedup_chunk_xorb_idx").on("xet_dedup_chunk").column("xorb_hash").execute();

  await db.schema
    .createTable("xet_file")
    .addColumn("hash", "text", (c) => c.primaryKey())
    .addColumn("size", "bigint", (c) => c.notNull())
    // Per term: xorb hash, chunk range, unpacked bytes (src/xet/file-terms.ts).
    .addColumn("terms", blob, (c) => c.notNull())
    // SHA-256 of the content as Berth computed it; null until verified. Only this backs an LFS oid.
    .addColumn("sha256", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("touched_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("xet_file_sha256_idx").on("xet_file").column("sha256").execute();
  await db.schema.createIndex("xet_file_touched_idx").on("xet_file").column("touched_at").execute();

  // No cascade from xorbs: a xorb a file needs cannot be deleted.
  await db.schema
    .createTable("xet_file_xorb")
    .addColumn("file_hash", "text", (c) => c.notNull().references("xet_file.hash").onDelete("cascade"))
    .addColumn("xorb_hash", "text", (c) => c.notNull().references("xet_xorb.hash"))
    .addPrimaryKeyConstraint("xet_file_xorb_pk", ["file_hash", "xorb_hash"])
    .execute();
  await db.schema.createIndex("xet_file_xorb_xorb_idx").on("xet_file_xorb").column("xorb_hash").execute();

  // The repos whose write tokens registered a file, with the SHA-256 each claimed for it.
  await db.schema
    .createTable("xet_file_repo")
    .addColumn("file_hash", "text", (c) => c.notNull().references("xet_file.hash").onDelete("cascade"))
    .addColumn("repo_id", "text", (c) => c.notNull().references("repo.id").onDelete("cascade"))
    .addColumn("claimed_sha256", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("xet_file_repo_pk", ["file_hash", "repo_id"])
    .execute();
  await db.schema.createIndex("xet_file_repo_repo_idx").on("xet_file_repo").column("repo_id").execute();

  // Shards already registered for a repo (SHA-256 of the body): a replay answers `result: 0`.
  await db.schema
    .createTable("xet_shard")
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("repo_id", "text", (c) => c.notNull().references("repo.id").onDelete("cascade"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("xet_shard_pk", ["hash", "repo_id"])
    .execute();
  await db.schema.createIndex("xet_shard_repo_idx").on("xet_shard").column("repo_id").execute();

  // Object keys that may hold bytes no xorb row points to: written but not yet registered, or
  // unregistered by the GC but not yet deleted. The GC deletes those older than its grace period.
  await db.schema
    .createTable("xet_unlinked_object")
    .addColumn("object_key", "text", (c) => c.primaryKey())
    .addColumn("since", "text", (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: as above
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "xet_unlinked_object",
    "xet_shard",
    "xet_file_repo",
    "xet_file_xorb",
    "xet_file",
    "xet_dedup_chunk",
    "xet_xorb",
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
