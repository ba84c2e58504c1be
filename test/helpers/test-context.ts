import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { type ConfigOverrides, loadConfig } from "../../src/config.ts";
import { type Context, createContext } from "../../src/context.ts";
import { PG_URL, type TestDialect } from "./databases.ts";

export const TEST_PUBLIC_URL = "http://hub.test";

export interface TestContext extends Context {
  /** Moves the clock used by the server. */
  advance(ms: number): void;
  dispose(): Promise<void>;
}

/** A fresh data directory and a fresh database (a new PostgreSQL schema) for one test. */
export async function makeTestContext(dialect: TestDialect, overrides: ConfigOverrides = {}): Promise<TestContext> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "berth-test-"));
  const schema = dialect === "postgres" ? `t_${randomBytes(6).toString("hex")}` : undefined;
  const config = loadConfig(
    { dataDir, databaseUrl: dialect === "postgres" ? PG_URL : undefined, publicUrl: TEST_PUBLIC_URL, ...overrides },
    {},
  );
  let offset = 0;
  const ctx = await createContext(config, {
    secrets: { tokenKey: randomBytes(32) },
    logger: pino({ level: process.env.BERTH_TEST_LOG ?? "silent" }),
    now: () => new Date(Date.now() + offset),
    ...(schema ? { pgSchema: schema } : {}),
  });
  return Object.assign(ctx, {
    advance(ms: number) {
      offset += ms;
    },
    async dispose() {
      await ctx.close();
      if (schema) {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
