import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runBerth } from "../../test/helpers/berth-cli.ts";
import { seedUser } from "../../test/helpers/seed.ts";
import { loadConfig, loadSecrets } from "../config.ts";
import { type Context, createContext } from "../context.ts";
import { InferenceService } from "../inference/inference-service.ts";
import { insertUsage } from "../store/inference.ts";
import { findTokenByName } from "../store/tokens.ts";

const KEY = "sk-live-do-not-print-4242";

describe("npx berth inference and token --rate-limit", { timeout: 120_000 }, () => {
  let dataDir: string;
  let ctx: Context | undefined;
  const berth = (args: readonly string[], stdin?: string) => runBerth(["--data-dir", dataDir, ...args], stdin);
  async function server(): Promise<Context> {
    if (!ctx) {
      const config = loadConfig({ dataDir }, {});
      ctx = await createContext(config, { secrets: loadSecrets(config, {}), logger: pino({ level: "silent" }) });
    }
    return ctx;
  }

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "berth-cli-inference-"));
  });
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("adds, lists and removes upstreams; the API key comes from stdin and is never printed", async () => {
    const added = await berth(
      ["inference", "add-upstream", "Acme/*", "http://gpu-1:8000/v1", "--api-key-stdin", "--timeout", "30"],
      `${KEY}\n`,
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe("Inference for acme/* now goes to http://gpu-1:8000/v1 (with an API key)\n");
    const plain = await berth(["inference", "add-upstream", "acme/llama", "http://gpu-2:8000", "--model", "llama3"]);
    expect(plain.code, plain.stderr).toBe(0);

    const listed = await berth(["inference", "list-upstreams"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n")[0]).toMatch(/^PATTERN\s+URL\s+MODEL\s+API KEY\s+TIMEOUT$/);
    expect(listed.stdout).toMatch(/acme\/\*\s+http:\/\/gpu-1:8000\/v1\s+\(repo id\)\s+set\s+30 s/);
    expect(listed.stdout).toMatch(/acme\/llama\s+http:\/\/gpu-2:8000\s+llama3\s+none\s+120 s/);
    const json = await berth(["inference", "list-upstreams", "--json"]);
    for (const output of [added, plain, listed, json]) expect(output.stdout + output.stderr).not.toContain(KEY);

    // A running server opens the sealed key with the same secret.key.
    const service = new InferenceService(await server());
    expect((await service.upstreamFor("acme/bert"))?.apiKey).toBe(KEY);
    expect((await service.upstreamFor("acme/llama"))?.upstream.upstreamModel).toBe("llama3");
    expect(await service.upstreamFor("other/bert")).toBeUndefined();
    await service.close();

    const duplicate = await berth(["inference", "add-upstream", "acme/llama", "http://x"]);
    expect([duplicate.code, duplicate.stderr]).toEqual([1, expect.stringMatching(/already exists \(use --replace\)/)]);
    const badPattern = await berth(["inference", "add-upstream", "acme", "http://x"]);
    expect([badPattern.code, badPattern.stderr]).toEqual([2, expect.stringMatching(/Invalid pattern "acme"/)]);
    const removed = await berth(["inference", "remove-upstream", "acme/*"]);
    expect(removed.stdout).toBe("Removed the upstream for acme/*\n");
    expect((await berth(["inference", "remove-upstream", "acme/*"])).code).toBe(1);
  });

  it("sets a token's rate limit at creation and lists usage beside it", async () => {
    const ctx = await server();
    const alice = await seedUser(ctx, "alice");
    const created = await berth(["token", "create", "alice", "--name", "ci", "--role", "read", "--rate-limit", "30"]);
    expect(created.code, created.stderr).toBe(0);
    const token = await findTokenByName(ctx.db, alice.id, "ci");
    if (!token) throw new Error("token missing");
    await insertUsage(ctx.db, {
      tokenId: token.id,
      userId: alice.id,
      model: "alice/m",
      route: "task",
      status: 200,
      durationMs: 3,
      inputTokens: 4,
      outputTokens: undefined,
      at: new Date("2026-01-02T03:04:05Z"),
    });
    const listed = await berth(["token", "list", "alice"]);
    expect(listed.stdout.split("\n")[0]).toMatch(/INFERENCE CALLS\s+LAST CALL\s+RATE LIMIT$/);
    expect(listed.stdout.split("\n")[1]).toMatch(/\s1\s+2026-01-02 03:04:05Z\s+30\/min$/);
    const json = JSON.parse((await berth(["token", "list", "alice", "--json"])).stdout);
    expect(json[0]).toMatchObject({ usage: { calls: 1, inputTokens: 4 }, rateLimitPerMinute: 30 });
    const bad = await berth(["token", "create", "alice", "--name", "x", "--role", "read", "--rate-limit", "0"]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/Invalid --rate-limit "0"/)]);
  });
});
