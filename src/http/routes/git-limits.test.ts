import { execFileSync } from "node:child_process";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { RawConnection, requestHead } from "../../../test/helpers/raw-http.ts";
import { seedRepo, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import type { ConfigOverrides } from "../../config.ts";
import { buildApp } from "../app.ts";
import { UPLOAD_PACK_REQUEST_LIMIT } from "../git-request-body.ts";

/** git processes this test process has started and that still run. */
function gitChildren(): number {
  const out = execFileSync("ps", ["-o", "comm=", "--ppid", String(process.pid)]).toString("utf8");
  return out.split("\n").filter((name) => name.trim() === "git").length;
}

const UPLOAD_PACK = { "Content-Type": "application/x-git-upload-pack-request" };

/** Issue 8, item 7: no request can hold the server through git. */
describe("git smart HTTP under pressure (sqlite)", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let port: number;
  const open: RawConnection[] = [];

  async function start(overrides: ConfigOverrides = {}) {
    ctx = await makeTestContext("sqlite", overrides);
    app = await buildApp(ctx);
    await app.listen({ host: "127.0.0.1", port: 0 });
    port = (app.server.address() as AddressInfo).port;
    const alice = await seedUser(ctx, "alice");
    await seedRepo(ctx, alice, "alice/model");
  }
  function connection(): RawConnection {
    const made = new RawConnection(port);
    open.push(made);
    return made;
  }
  const advertise = () => app.inject({ url: "/alice/model.git/info/refs?service=git-upload-pack" });
  afterEach(async () => {
    for (const made of open.splice(0)) made.destroy();
    await app.close();
    await ctx.dispose();
  });

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
