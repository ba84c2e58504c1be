import { randomBytes } from "node:crypto";
import pg from "pg";
import { isPostgresReachable, PG_URL } from "./databases.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const reachable = await isPostgresReachable();
  if (!reachable && process.env.BERTH_TEST_REQUIRE_PG === "1") {
    throw new Error(`BERTH_TEST_REQUIRE_PG=1 but PostgreSQL at ${PG_URL} does not answer`);
  }
  process.env.BERTH_TEST_PG_AVAILABLE = reachable ? "1" : "0";
  const run = randomBytes(4).toString("hex");
  process.env.BERTH_TEST_RUN_ID = run;
  if (!reachable) {
    process.stdout.write(
      `\n*** PostgreSQL at ${PG_URL} is not reachable: the PostgreSQL runs of the store tests are SKIPPED; only SQLite is tested. ***\n\n`,
    );
  }
  return async () => {
    if (!reachable) return;
    // Every schema this run made (see testSchemaName), dropped once no test can be listing them.
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      "select nspname as name from pg_namespace where nspname like $1",
      [`%\\_${run}\\_%`],
    );
    for (const { name } of rows) await client.query(`drop schema if exists "${name}" cascade`);
    await client.end();
  };
}
