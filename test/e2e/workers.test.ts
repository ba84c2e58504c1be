import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, revokeToken } from "../../src/auth/token-service.ts";
import type { Context } from "../../src/context.ts";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { testDialects } from "../helpers/databases.ts";
import { seedUser } from "../helpers/seed.ts";

/** The worker processes of a primary. */
function workersOf(pid: number): number[] {
  const out = spawnSync("ps", ["-o", "pid=,comm=", "--ppid", String(pid)]).stdout.toString("utf8");
  // Other children (tsx's esbuild service) are not workers.
  return out
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, command]) => command === "node")
    .map(([worker]) => Number(worker));
}

/** Each request on a connection of its own, so the cluster spreads them over the workers. */
async function whoami(url: string, token: string): Promise<number> {
  const response = await fetch(`${url}/api/whoami-v2`, {
    headers: { authorization: `Bearer ${token}`, connection: "close" },
  });
  await response.arrayBuffer();
  return response.status;
}

/** Issue 14, item 4: `berth serve --workers N` on one port, one database, immediate revocation. */
describe.each(testDialects())("berth serve --workers 2 on %s", (dialect) => {
  let server: BerthServer;
  let ctx: Context;

  beforeAll(async () => {
    server = await startBerthServer({ dialect, workers: 2 });
    ctx = await server.openContext();
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
    await server?.stop();
  });

  it("runs two workers that both refuse a token the moment it is revoked", async () => {
    const pid = server.pid ?? 0;
    expect(workersOf(pid)).toHaveLength(2);
    const alice = await seedUser(ctx, "alice");
    const { token, value } = await createToken(ctx, alice, { displayName: "laptop", role: "read" });
    // Every worker has looked the token up (and keeps it in memory) before it is revoked.
    for (let i = 0; i < 10; i++) expect(await whoami(server.url, value)).toBe(200);
    await revokeToken(ctx, alice.id, token.id);
    const after = await Promise.all(Array.from({ length: 10 }, () => whoami(server.url, value)));
    expect(after).toEqual(Array.from({ length: 10 }, () => 401));
  });

  it("restarts its workers one at a time on SIGHUP without refusing a request", async () => {
    const pid = server.pid ?? 0;
    const before = workersOf(pid);
    const alice = await seedUser(ctx, "bob");
    const { value } = await createToken(ctx, alice, { displayName: "ci", role: "read" });
    let stop = false;
    const statuses: number[] = [];
    const load = (async () => {
      while (!stop) statuses.push(await whoami(server.url, value).catch(() => 0));
    })();
    process.kill(pid, "SIGHUP");
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const now = workersOf(pid);
      if (now.length === 2 && now.every((worker) => !before.includes(worker))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    stop = true;
    await load;
    const after = workersOf(pid);
    expect(after, server.output()).toHaveLength(2);
    expect(after.some((worker) => before.includes(worker))).toBe(false);
    expect(statuses.length).toBeGreaterThan(10);
    expect(new Set(statuses)).toEqual(new Set([200]));
  }, 60_000);
});
