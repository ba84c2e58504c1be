import { afterEach, describe, expect, it } from "vitest";
import { type ListeningApp, listenTestApp } from "../../test/helpers/listening-app.ts";
import { requestHead } from "../../test/helpers/raw-http.ts";
import { seedRepo, seedToken, seedUser } from "../../test/helpers/seed.ts";
import type { TestContext } from "../../test/helpers/test-context.ts";
import type { ConfigOverrides } from "../config.ts";

const HUGE = 248 * 1024 * 1024;

/**
 * Issue 8, items 2 and 7: nothing large is read before it is allowed, bodies held in memory share a
 * fixed budget, and no request holds a connection for nothing. A real listening server and requests
 * written by hand, so a test can send a body in part and see whether the server answered first.
 */
describe("request bodies and deadlines (sqlite)", () => {
  let served: ListeningApp;
  let ctx: TestContext;

  async function start(overrides: ConfigOverrides = {}) {
    served = await listenTestApp(overrides);
    ctx = served.ctx;
  }
  const connection = () => served.connection();
  afterEach(() => served.close());

  /** Sends the head and a first slice of a body that claims HUGE bytes; returns the answer. */
  async function partial(method: string, path: string, headers: Record<string, string>, waitMs = 5000) {
    const made = connection();
    await made.send(requestHead(method, path, { "Content-Length": HUGE, ...headers }));
    await made.send(Buffer.alloc(64 * 1024, 0x20));
    return made.answer(waitMs);
  }

  it("refuses anonymous and unauthorized bodies before reading them, and closes the connection", async () => {
    await start();
    const alice = await seedUser(ctx, "alice");
    await seedRepo(ctx, alice, "alice/model");
    await seedRepo(ctx, alice, "alice/private", { private: true });
    const read = await seedToken(ctx, alice, { role: "read" });
    const ndjson = { "Content-Type": "application/x-ndjson" };
    const json = { "Content-Type": "application/json" };
    const cases: [string, string, Record<string, string>, number][] = [
      ["POST", "/api/models/alice/model/commit/main", ndjson, 401],
      ["POST", "/api/models/alice/model/commit/main", { ...ndjson, Authorization: `Bearer ${read}` }, 403],
      ["POST", "/api/models/alice/model/commit/main", { ...ndjson, Authorization: "Bearer hf_nope" }, 401],
      ["POST", "/api/models/alice/model/preupload/main", json, 401],
      ["POST", "/alice/private.git/info/lfs/objects/batch", { "Content-Type": "application/vnd.git-lfs+json" }, 401],
      ["POST", "/models/alice/model", json, 401],
      ["POST", "/api/repos/create", json, 401],
      ["POST", "/api/settings/tokens", json, 401],
      ["POST", "/alice/model.git/git-receive-pack", { "Content-Type": "application/x-git-receive-pack-request" }, 401],
    ];
    for (const [method, path, headers, status] of cases) {
      const answer = await partial(method, path, headers);
      expect(answer.status, `${method} ${path}`).toBe(status);
      expect(answer.head.toLowerCase(), path).toContain("connection: close");
    }
  });

  it("refuses a body that does not fit the memory budget with 503, and serves it once there is room", async () => {
    await start({ bodyMemoryBudget: 3 * 1024 * 1024 });
    const alice = await seedUser(ctx, "alice");
    await seedRepo(ctx, alice, "alice/model");
    const token = await seedToken(ctx, alice);
    const body = Buffer.from(
      `${JSON.stringify({ key: "header", value: { summary: "big" } })}\n${JSON.stringify({
        key: "file",
        value: { path: "big.txt", content: Buffer.alloc(1_500_000, 0x61).toString("base64"), encoding: "base64" },
      })}\n`,
    );
    const head = requestHead("POST", "/api/models/alice/model/commit/main", {
      "Content-Type": "application/x-ndjson",
      Authorization: `Bearer ${token}`,
      "Content-Length": body.length,
    });
    const first = connection();
    await first.send(head);
    await first.send(body.subarray(0, 1000));
    // The first commit holds its share (2 MB of 3) while it arrives; a second one does not fit.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = connection();
    await second.send(head);
    const refused = await second.answer(5000);
    expect(refused.status).toBe(503);
    expect(refused.head).toMatch(/retry-after: 5/i);
    await first.send(body.subarray(1000));
    expect((await first.answer(10_000)).status).toBe(200);
    // Released: the same commit fits now.
    const third = connection();
    await third.send(head);
    await third.send(body);
    expect((await third.answer(10_000)).status).toBe(200);
  });

  it("cuts a chunked body that outgrows the budget", async () => {
    await start({ bodyMemoryBudget: 1024 * 1024 });
    const alice = await seedUser(ctx, "alice");
    await seedRepo(ctx, alice, "alice/model");
    const token = await seedToken(ctx, alice);
    const made = connection();
    await made.send(
      requestHead("POST", "/api/models/alice/model/commit/main", {
        "Content-Type": "application/x-ndjson",
        Authorization: `Bearer ${token}`,
        "Transfer-Encoding": "chunked",
      }),
    );
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    for (let i = 0; i < 8; i++) {
      await made.send(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]));
    }
    expect((await made.answer(5000)).status).toBe(503);
  });

  it("answers 408 to a body that trickles past the body deadline", async () => {
    await start({ bodyTimeoutSeconds: 1 });
    const alice = await seedUser(ctx, "alice");
    const token = await seedToken(ctx, alice);
    const made = connection();
    await made.send(
      requestHead("POST", "/api/repos/create", {
        "Content-Type": "application/json",
        Authorization: `Bearer ${token}`,
        "Content-Length": 100,
      }),
    );
    await made.send('{"name":');
    const answer = await made.answer(5000);
    expect(answer.status).toBe(408);
  });

  it("cuts an OAuth form that trickles past the body deadline, and refuses one too large at once", async () => {
    await start({ bodyTimeoutSeconds: 1 });
    const slow = connection();
    await slow.send(
      requestHead("POST", "/oauth/token", {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": 100,
      }),
    );
    await slow.send("grant_type=");
    expect(await slow.closedWithin(5000)).toBe(true);

    // The provider's own bound (56 KiB), decided from Content-Length before a byte of the body.
    const big = connection();
    await big.send(
      requestHead("POST", "/oauth/token", {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": HUGE,
      }),
    );
    expect((await big.answer(5000)).status).toBe(400);
  });

  it("closes an idle connection and one whose headers never finish", async () => {
    await start({ idleTimeoutSeconds: 1, headersTimeoutSeconds: 1 });
    const idle = connection();
    await idle.send("");
    expect(await idle.closedWithin(4000)).toBe(true);

    // Busy enough never to be idle, too slow ever to finish its headers.
    const slow = connection();
    await slow.send("GET /api/whoami-v2 HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    let closed = false;
    for (let i = 0; i < 20 && !closed; i++) {
      await slow.send("X-Slow: 1\r\n");
      closed = await slow.closedWithin(250);
    }
    expect(closed).toBe(true);
  });
});
