/**
 * The sign-in limits under load (issue 8, item 3): parallel wrong passwords, from one or two processes
 * on the same database, never reach the password check more than `loginMaxFailures` times; and a flood
 * locks strangers' browsers out of an account, never its owner's known browser.
 *
 * The password check is counted by its answers: only a check answers 401, a refusal before it 429.
 */
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { seedUser, TEST_PASSWORD } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import { issueDeviceCookie } from "../../auth/device-cookie.ts";
import { type Context, createContext } from "../../context.ts";
import type { User } from "../../domain/entities.ts";
import { countLoginAttempts } from "../../store/login-attempts.ts";
import { buildApp } from "../app.ts";

const FORM = { "content-type": "application/x-www-form-urlencoded" };

describe.each(testDialects())("sign-in limits on %s", (dialect) => {
  let ctx: TestContext;
  let alice: User;
  const others: Context[] = [];
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await ctx?.dispose();
  });

  async function setup() {
    ctx = await makeTestContext(dialect, { loginMaxFailures: 10, loginWindowSeconds: 900 });
    alice = await seedUser(ctx, "alice");
    await seedUser(ctx, "bob");
    return buildApp(ctx);
  }

  /** A second server process on the same database: its own connections, the same data and key. */
  async function secondApp(): Promise<FastifyInstance> {
    const schema =
      dialect === "postgres"
        ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(ctx.db)).rows[0]?.schema
        : undefined;
    const other = await createContext(ctx.config, {
      secrets: ctx.secrets,
      logger: pino({ level: "silent" }),
      now: () => ctx.now(),
      ...(schema ? { pgSchema: schema } : {}),
    });
    others.push(other);
    return buildApp(other);
  }

  const login = (app: FastifyInstance, username: string, password: string, ip: string, device?: string) =>
    app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username, password },
      remoteAddress: ip,
      ...(device ? { cookies: { berth_device: device } } : {}),
    });

  function deviceCookie(response: Awaited<ReturnType<typeof login>>): string {
    const cookie = response.cookies.find((c) => c.name === "berth_device");
    if (!cookie) throw new Error("no device cookie");
    return cookie.value;
  }

  async function statuses(responses: Promise<{ statusCode: number }>[]) {
    const counts: Record<number, number> = {};
    for (const { statusCode } of await Promise.all(responses)) counts[statusCode] = (counts[statusCode] ?? 0) + 1;
    return counts;
  }

  const since = () => new Date(ctx.now().getTime() - 900_000);
  const address = (i: number) => `2001:db8::${(i + 1).toString(16)}`;

  it.each([60, 150])("checks the password at most 10 times for %i parallel wrong ones on one account", async (n) => {
    const app = await setup();
    const flood = Array.from({ length: n }, (_, i) => login(app, "alice", `wrong-${i}`, address(i)));
    expect(await statuses(flood)).toEqual({ 401: 10, 429: n - 10 });
    expect(await countLoginAttempts(ctx.db, [`user:${alice.id}`], since())).toEqual([10]);
    expect((await login(app, "alice", TEST_PASSWORD, "192.0.2.200")).statusCode).toBe(429);
  });

  it("checks at most 10 passwords for parallel wrong ones from one address over many names", async () => {
    const app = await setup();
    const names = (i: number) => (i % 3 === 0 ? "alice" : i % 3 === 1 ? "bob" : `nobody-${i}`);
    const flood = Array.from({ length: 60 }, (_, i) => login(app, names(i), "wrong", "203.0.113.9"));
    expect(await statuses(flood)).toEqual({ 401: 10, 429: 50 });
    expect(await countLoginAttempts(ctx.db, ["ip:203.0.113.9"], since())).toEqual([10]);
  });

  it("holds the limit across two processes on the same database", async () => {
    const app = await setup();
    const other = await secondApp();
    const flood = Array.from({ length: 60 }, (_, i) =>
      login(i % 2 === 0 ? app : other, "alice", `wrong-${i}`, address(i)),
    );
    expect(await statuses(flood)).toEqual({ 401: 10, 429: 50 });
    expect((await login(other, "alice", TEST_PASSWORD, "192.0.2.200")).statusCode).toBe(429);
  });

  it("lets the owner's known browser in after a flood, and no other", async () => {
    const app = await setup();
    const owner = deviceCookie(await login(app, "alice", TEST_PASSWORD, "192.0.2.1"));
    const bobs = deviceCookie(await login(app, "bob", TEST_PASSWORD, "192.0.2.2"));
    const flood = Array.from({ length: 30 }, (_, i) => login(app, "alice", `wrong-${i}`, address(i)));
    expect(await statuses(flood)).toEqual({ 401: 10, 429: 20 });

    expect((await login(app, "alice", TEST_PASSWORD, "192.0.2.3")).statusCode).toBe(429);
    const known = await login(app, "alice", TEST_PASSWORD, "192.0.2.3", owner);
    expect(known.statusCode).toBe(200);
    expect(known.json()).toMatchObject({ user: { name: "alice" } });
    // The known browser stays known; a stranger's browser is still locked out after the owner's success.
    expect(deviceCookie(known).split(".")[2]).toBe(owner.split(".")[2]);
    expect((await login(app, "alice", TEST_PASSWORD, "192.0.2.4")).statusCode).toBe(429);

    const [version, userId, nonce, expiry, sig = ""] = owner.split(".");
    const forged = [
      [version, userId, nonce, expiry, (sig[0] === "A" ? "B" : "A") + sig.slice(1)].join("."),
      [version, userId, "A".repeat(22), expiry, sig].join("."),
      issueDeviceCookie(Buffer.from("another server's key, 32 chars or more"), alice.id, ctx.now()).value,
      bobs,
    ];
    for (const cookie of forged) {
      expect((await login(app, "alice", TEST_PASSWORD, "192.0.2.5", cookie)).statusCode, cookie).toBe(429);
    }
    // Bob's cookie is for bob, and bob is not flooded.
    expect((await login(app, "bob", TEST_PASSWORD, "192.0.2.5", bobs)).statusCode).toBe(200);
  });

  it("limits a known browser's own failures, without touching the account's", async () => {
    const app = await setup();
    const device = deviceCookie(await login(app, "alice", TEST_PASSWORD, "192.0.2.1"));
    const guesses = Array.from({ length: 30 }, (_, i) => login(app, "alice", `wrong-${i}`, address(i), device));
    expect(await statuses(guesses)).toEqual({ 401: 10, 429: 20 });
    expect((await login(app, "alice", TEST_PASSWORD, "192.0.2.2", device)).statusCode).toBe(429);
    expect(await countLoginAttempts(ctx.db, [`user:${alice.id}`], since())).toEqual([0]);
    // Another browser of the owner's is not held back by this one.
    expect((await login(app, "alice", TEST_PASSWORD, "192.0.2.2")).statusCode).toBe(200);
  });

  it("keeps the per-address limit for a known browser, and a success does not reset an address", async () => {
    const app = await setup();
    const device = deviceCookie(await login(app, "alice", TEST_PASSWORD, "192.0.2.1"));
    for (let i = 0; i < 9; i++) expect((await login(app, `nobody-${i}`, "wrong", "203.0.113.5")).statusCode).toBe(401);
    expect((await login(app, "bob", TEST_PASSWORD, "203.0.113.5")).statusCode).toBe(200);
    expect((await login(app, "nobody-9", "wrong", "203.0.113.5")).statusCode).toBe(401);
    expect((await login(app, "alice", TEST_PASSWORD, "203.0.113.5", device)).statusCode).toBe(429);
    expect((await login(app, "alice", TEST_PASSWORD, "203.0.113.6", device)).statusCode).toBe(200);
  });

  it("sets the device cookie from the web form too, and the form honours it after a flood", async () => {
    const app = await setup();
    const form = (device?: string) =>
      app.inject({
        method: "POST",
        url: "/login",
        headers: FORM,
        remoteAddress: "192.0.2.7",
        payload: new URLSearchParams({ username: "alice", password: TEST_PASSWORD }).toString(),
        ...(device ? { cookies: { berth_device: device } } : {}),
      });
    const first = await form();
    expect(first.statusCode).toBe(303);
    const cookie = first.cookies.find((c) => c.name === "berth_device");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    expect(cookie?.expires?.getTime()).toBeGreaterThan(Date.now() + 300 * 24 * 3600 * 1000);
    await statuses(Array.from({ length: 12 }, (_, i) => login(app, "alice", "wrong", address(i))));
    expect((await form()).statusCode).toBe(429);
    expect((await form(cookie?.value)).statusCode).toBe(303);
  });
});
