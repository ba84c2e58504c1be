import { randomBytes } from "node:crypto";
import { BASE_PG_URL, isPostgresReachable, pgAdmin } from "./databases.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const reachable = await isPostgresReachable();
  if (!reachable && process.env.BERTH_TEST_REQUIRE_PG === "1") {
    throw new Error(`BERTH_TEST_REQUIRE_PG=1 but PostgreSQL at ${BASE_PG_URL} does not answer`);
  }
  process.env.BERTH_TEST_PG_AVAILABLE = reachable ? "1" : "0";
  const run = randomBytes(4).toString("hex");
  process.env.BERTH_TEST_RUN_ID = run;
  if (!reachable) {
    process.stdout.write(
      `\n*** PostgreSQL at ${BASE_PG_URL} is not reachable: the PostgreSQL runs of the store tests are SKIPPED; only SQLite is tested. ***\n\n`,
    );
    return async () => undefined;
  }
  // This run's own database; every test makes its schemas inside it (see testSchemaName).
  const database = `berth_test_${run}`;
  await pgAdmin(`create database ${database}`);
  const url = new URL(BASE_PG_URL);
  url.pathname = `/${database}`;
  process.env.BERTH_TEST_PG_RUN_URL = url.toString();
  return async () => {
    await pgAdmin(`drop database if exists ${database} with (force)`);
  };
}
