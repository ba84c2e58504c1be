/**
 * Counts the SQL statements one request costs, by running the real app in process on the seeded data
 * with a Kysely plugin that records every query, and asks SQLite for the plan of each.
 */
import { CompiledQuery, type KyselyPlugin } from "kysely";
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
  const ctx = await createContext(config, {
    secrets: { tokenKey: Buffer.from(secret, "utf8") },
    logger: pino({ level: "silent" }),
  });
  const seen: CompiledQuery[] = [];
  const recorder: KyselyPlugin = {
    transformQuery(args) {
      seen.push(ctx.db.getExecutor().compileQuery(args.node, args.queryId));
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
  const app = await buildApp({ ...ctx, db: ctx.db.withPlugin(recorder) });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
  try {
    const costs: QueryCost[] = [];
    for (const { url, token } of requests) {
      const headers = { authorization: `Bearer ${token}` };
      seen.length = 0;
      await app.inject({ url, headers });
      await settle();
      const firstRequestQueries = seen.length;
      seen.length = 0;
      const response = await app.inject({ url, headers });
      await settle();
      const queries = [];
      for (const query of [...seen]) {
        const plan = await ctx.db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
        );
        queries.push({ sql: query.sql, plan: plan.rows.map((row) => row.detail) });
      }
      costs.push({ url, status: response.statusCode, queries, firstRequestQueries });
    }
    return costs;
  } finally {
    await app.close();
    await ctx.close();
  }
}
