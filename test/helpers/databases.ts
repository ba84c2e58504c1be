import pg from "pg";

/** The PostgreSQL server for tests: BERTH_TEST_PG_URL, or the machine's default. */
export const BASE_PG_URL = process.env.BERTH_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * Where tests work: a database of this run's own, made by the global setup (test/helpers/global-setup.ts).
 * A database per run, not just a schema: Kysely's migrator lists the tables of every schema it can
 * see, and another run dropping its schemas during that listing would fail this run's tests.
 */
export const PG_URL = process.env.BERTH_TEST_PG_RUN_URL ?? BASE_PG_URL;

export async function isPostgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: BASE_PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Set by the global setup: "1" when PostgreSQL answered. */
export function postgresAvailable(): boolean {
  return process.env.BERTH_TEST_PG_AVAILABLE === "1";
}

export type TestDialect = "sqlite" | "postgres";

/** The databases every store test runs on: SQLite always, PostgreSQL where one answers. */
export function testDialects(): TestDialect[] {
  return postgresAvailable() ? ["sqlite", "postgres"] : ["sqlite"];
}

/**
 * A PostgreSQL schema name for one test, tagged with this run's id. Schemas are not dropped by the
 * test that made them: Kysely's migrator lists the tables of every schema, and a schema dropped by a
 * parallel test in the middle of that listing fails it. The global teardown drops the run's schemas.
 */
export function testSchemaName(prefix: string): string {
  const run = process.env.BERTH_TEST_RUN_ID ?? "local";
  return `${prefix}_${run}_${Math.random().toString(16).slice(2, 10)}`;
}

/** Runs one statement as the server's administrator (creating and dropping databases and schemas). */
export async function pgAdmin(statement: string, url = BASE_PG_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
