/**
 * Counts the SQL statements one request costs, by running the real app in process on the seeded data
 * with SQLite's own statement trace (it sees prepared and precompiled statements alike), and asks
 * SQLite for the plan of each.
 */
import { CompiledQuery } from "kysely";
import pino from "pino";
import { loadConfig } from "../src/config.ts";
import { createContext } from "../src/context.ts";
import { buildApp } from "../src/http/app.ts";

export interface QueryCost {
  readonly url: string;
  readonly status: number;
  /** Statements of a request whose token was used in the last minute (the steady state). */
  readonly queries: readonly { sql: string; plan: string[] }[];
  /** Statements of the first request of a token: also its deferred last-used update. */
  readonly firstRequestQueries: number;
}

export async function measureQueries(
  dataDir: string,
  secret: string,
  requests: readonly { url: string; token: string }[],
): Promise<QueryCost[]> {
  const config = loadConfig({ dataDir, databaseUrl: undefined, logLevel: "silent" }, {});
  const seen: string[] = [];
  let tracing = false;
  const ctx = await createContext(config, {
    secrets: { tokenKey: Buffer.from(secret, "utf8") },
    logger: pino({ level: "silent" }),
    trace: (sql) => {
      // Transaction control around the batched last-used write is not a statement of its own.
      if (tracing && !/^\s*(begin|commit|rollback)\b/i.test(sql)) seen.push(sql);
    },
  });
  const app = await buildApp(ctx);
  // Long enough for the batched last-used write (every 200 ms) to land.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 400));
  try {
    const costs: QueryCost[] = [];
    for (const { url, token } of requests) {
      const headers = { authorization: `Bearer ${token}` };
      seen.length = 0;
      tracing = true;
      await app.inject({ url, headers });
      await settle();
      const firstRequestQueries = seen.length;
      seen.length = 0;
      const response = await app.inject({ url, headers });
      await settle();
      const queries = [];
      tracing = false;
      for (const sql of [...seen]) {
        // The trace gives each statement with its values filled in, ready to explain.
        const plan = await ctx.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${sql}`));
        queries.push({ sql, plan: plan.rows.map((row) => row.detail) });
      }
      costs.push({ url, status: response.statusCode, queries, firstRequestQueries });
    }
    return costs;
  } finally {
    await app.close();
    await ctx.close();
  }
}
