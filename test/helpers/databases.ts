import pg from "pg";

/** PostgreSQL for tests: BERTH_TEST_PG_URL, or the machine's default. */
export const PG_URL = process.env.BERTH_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export async function isPostgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
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
