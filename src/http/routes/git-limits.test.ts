import { spawnSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { type ListeningApp, listenTestApp } from "../../../test/helpers/listening-app.ts";
import { requestHead } from "../../../test/helpers/raw-http.ts";
import { seedRepo, seedUser } from "../../../test/helpers/seed.ts";
import type { TestContext } from "../../../test/helpers/test-context.ts";
import type { ConfigOverrides } from "../../config.ts";
import { UPLOAD_PACK_REQUEST_LIMIT } from "../git-request-body.ts";

/** git processes this test process has started and that still run. */
function gitChildren(): number {
  // ps exits 1 when no process matches: that is an answer (none), not a failure.
  const out = spawnSync("ps", ["-o", "comm=", "--ppid", String(process.pid)]).stdout.toString("utf8");
  return out.split("\n").filter((name) => name.trim() === "git").length;
}

const UPLOAD_PACK = { "Content-Type": "application/x-git-upload-pack-request" };

/** Issue 8, item 7: no request can hold the server through git. */
describe("git smart HTTP under pressure (sqlite)", () => {
  let served: ListeningApp;
  let ctx: TestContext;

  async function start(overrides: ConfigOverrides = {}) {
    served = await listenTestApp(overrides);
    ctx = served.ctx;
    const alice = await seedUser(ctx, "alice");
    await seedRepo(ctx, alice, "alice/model");
  }
  const connection = () => served.connection();
  const advertise = () => served.app.inject({ url: "/alice/model.git/info/refs?service=git-upload-pack" });
  afterEach(() => served.close());

  it("starts no git process for fetches whose bodies are still arriving", async () => {
    await start();
    const slow = Array.from({ length: 20 }, () => connection());
    for (const made of slow) {
      await made.send(
        requestHead("POST", "/alice/model.git/git-upload-pack", { ...UPLOAD_PACK, "Content-Length": 1000 }),
      );
      await made.send("0032want ");
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gitChildren()).toBe(0);
    // The server still answers others at once.
    expect((await advertise()).statusCode).toBe(200);
  });

  it("refuses a gzip body that inflates past the fetch limit, without starting git", async () => {
    await start();
    const line = "0032want 0123456789abcdef0123456789abcdef01234567\n";
    const inflated = Buffer.from(line.repeat(Math.ceil((UPLOAD_PACK_REQUEST_LIMIT + 1) / line.length)));
    const bomb = gzipSync(inflated, { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const made = connection();
    await made.send(
      requestHead("POST", "/alice/model.git/git-upload-pack", {
        ...UPLOAD_PACK,
        "Content-Encoding": "gzip",
        "Content-Length": bomb.length,
      }),
    );
    await made.send(bomb);
    const answer = await made.answer(10_000);
    expect(answer.status).toBe(413);
    expect(gitChildren()).toBe(0);
  });

  it("caps git processes: requests wait in a bounded queue, then get 503", async () => {
    await start({ gitMaxProcesses: 1, gitQueueLength: 1 });
    const held = await ctx.gitSlots.acquire();
    const waiting = advertise();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ctx.gitSlots.waiting).toBe(1);
    const refused = await advertise();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBe("5");
    held();
    expect((await waiting).statusCode).toBe(200);
    // The slot comes back when the process has exited, just after its answer.
    for (let i = 0; i < 50 && ctx.gitSlots.running > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ctx.gitSlots.running).toBe(0);
  });
});
