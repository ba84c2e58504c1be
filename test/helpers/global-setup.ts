import { isPostgresReachable, PG_URL } from "./databases.ts";

export default async function setup(): Promise<void> {
  const reachable = await isPostgresReachable();
  if (!reachable && process.env.BERTH_TEST_REQUIRE_PG === "1") {
    throw new Error(`BERTH_TEST_REQUIRE_PG=1 but PostgreSQL at ${PG_URL} does not answer`);
  }
  process.env.BERTH_TEST_PG_AVAILABLE = reachable ? "1" : "0";
  if (!reachable) {
    process.stdout.write(
      `\n*** PostgreSQL at ${PG_URL} is not reachable: the PostgreSQL runs of the store tests are SKIPPED; only SQLite is tested. ***\n\n`,
    );
  }
}
