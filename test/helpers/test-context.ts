import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { type ConfigOverrides, loadConfig } from "../../src/config.ts";
import { type Context, type ContextOverrides, createContext } from "../../src/context.ts";
import { PG_URL, type TestDialect, testSchemaName } from "./databases.ts";

export const TEST_PUBLIC_URL = "http://hub.test";

export interface TestContext extends Context {
  /** Moves the clock used by the server. */
  advance(ms: number): void;
  /**
   * Another context on the same data directory and database, with the same secret: what a second
   * server process or the admin CLI would open. Closed by `dispose()`.
   */
  sibling(): Promise<Context>;
  dispose(): Promise<void>;
}

/**
 * A fresh data directory and a fresh database (a new PostgreSQL schema) for one test. `seams` passes
 * the context's test seams through, e.g. `trace` to count the SQLite statements a request runs.
 */
export async function makeTestContext(
  dialect: TestDialect,
  overrides: ConfigOverrides = {},
  seams: Pick<ContextOverrides, "trace"> & { oidcClientSecret?: string } = {},
): Promise<TestContext> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "berth-test-"));
  const schema = dialect === "postgres" ? testSchemaName("t") : undefined;
  const config = loadConfig(
    { dataDir, databaseUrl: dialect === "postgres" ? PG_URL : undefined, publicUrl: TEST_PUBLIC_URL, ...overrides },
    {},
  );
  let offset = 0;
  const common = {
    secrets: { tokenKey: randomBytes(32), oidcClientSecret: seams.oidcClientSecret },
    logger: pino({ level: process.env.BERTH_TEST_LOG ?? "silent" }),
    now: () => new Date(Date.now() + offset),
    ...(schema ? { pgSchema: schema } : {}),
  };
  const ctx = await createContext(config, { ...common, ...(seams.trace ? { trace: seams.trace } : {}) });
  const siblings: Context[] = [];
  return Object.assign(ctx, {
    advance(ms: number) {
      offset += ms;
    },
    async sibling() {
      const other = await createContext(config, common);
      siblings.push(other);
      return other;
    },
    async dispose() {
      for (const other of siblings.splice(0)) await other.close();
      await ctx.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
