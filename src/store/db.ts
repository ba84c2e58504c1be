import { mkdirSync } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import {
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  type SqliteDatabase as SqliteDialectDatabase,
  sql,
} from "kysely";
import pg from "pg";
import * as initial from "./migrations/001-initial.ts";
import * as lfsObjects from "./migrations/002-lfs-objects.ts";
import * as inference from "./migrations/003-inference.ts";
import * as repoRedirect from "./migrations/004-repo-redirect.ts";
import * as loginAttempts from "./migrations/005-login-attempts.ts";
import * as lfsUploads from "./migrations/006-lfs-uploads.ts";
import * as xet from "./migrations/007-xet.ts";
import * as oauth from "./migrations/011-oauth.ts";
import * as changeEvents from "./migrations/014-change-events.ts";
import type { Database } from "./schema.ts";

export type Db = Kysely<Database>;
export type Dialect = "sqlite" | "postgres";

export interface OpenDatabase {
  readonly db: Db;
  readonly dialect: Dialect;
  /** SQLite: the connection itself, for the change feed's one synchronous probe (change-feed.ts). */
  readonly sqlite?: SqliteDatabase.Database;
  /** PostgreSQL: how to open one more connection to the same place (the change feed's LISTEN). */
  readonly postgres?: { readonly url: string; readonly options: string | undefined };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…`; undefined opens SQLite at `sqlitePath`. */
  readonly url: string | undefined;
  readonly sqlitePath: string;
  /** PostgreSQL schema to work in (tests give each run its own); created when missing. */
  readonly pgSchema?: string;
  readonly poolSize?: number;
  /** Called with each SQLite statement as it runs (the benchmark counts a request's statements with it). */
  readonly trace?: (sql: string) => void;
}

const migrations: Record<string, Migration> = {
  "001-initial": initial,
  "002-lfs-objects": lfsObjects,
  "003-inference": inference,
  "004-repo-redirect": repoRedirect,
  "005-login-attempts": loginAttempts,
  "006-lfs-uploads": lfsUploads,
  "007-xet": xet,
  "011-oauth": oauth,
  "014-change-events": changeEvents,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<OpenDatabase> {
  if (options.url?.startsWith("postgres")) {
    const schema = options.pgSchema;
    if (schema !== undefined) {
      if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
      const admin = new pg.Client({ connectionString: options.url });
      await admin.connect();
      await admin.query(`create schema if not exists ${schema}`);
      await admin.end();
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const postgres = { url: options.url, options: schema ? `-c search_path=${schema}` : undefined };
    return { db, dialect: "postgres", postgres, close: () => db.destroy() };
  }
  mkdirSync(path.dirname(options.sqlitePath), { recursive: true });
  const sqlite = new SqliteDatabase(
    options.sqlitePath,
    options.trace ? { verbose: (text) => options.trace?.(String(text)) } : {},
  );
  // WAL lets the admin CLI write while a server reads; busy_timeout makes writers queue, not fail.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("synchronous = NORMAL");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: "sqlite", sqlite, close: () => db.destroy() };
}

/**
 * Kysely prepares every statement anew; on the hot path (token check, repo lookup) preparing costs more
 * than running. Statements are kept by SQL text, which Kysely builds with placeholders, so the set is
 * small and bounded by the code's queries; the bound guards against anything built dynamically.
 * Statements are only ever run to completion (`all`/`run`), never left iterating, so sharing is safe.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDialectDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      // Kysely opens transactions with a deferred `begin`. Under WAL a deferred transaction that reads
      // and then writes fails at once with SQLITE_BUSY when another process (the CLI, a second server)
      // wrote in between, without waiting: `begin immediate` takes the write lock up front, so the
      // busy timeout applies and writers queue instead of failing.
      const text = sqlText === "begin" ? "begin immediate" : sqlText;
      let statement = cache.get(text);
      if (!statement) {
        if (cache.size >= 500) cache.clear();
        statement = sqlite.prepare(text);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

export async function migrateToLatest(db: Db): Promise<void> {
  // Kysely looks for its own migration tables in every schema unless told which one: beside another
  // schema that has them (another test run, another app), it would skip creating ours and then fail.
  const schema = isPostgres(db)
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
    : undefined;
  const migrator = new Migrator({
    db,
    provider: new StaticProvider(),
    // Migrations are independent of each other and were written on parallel branches: a database
    // that ran a later one first still takes an earlier one that arrived afterwards.
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Unique-constraint violations look different on each driver; both mean "already exists". */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
