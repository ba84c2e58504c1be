import { afterEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { seedUser, TEST_PASSWORD } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import type { ConfigOverrides } from "../../config.ts";
import { buildApp } from "../app.ts";

const BAD_LOGIN = "Invalid username or password";

describe.each(testDialects())("sign-in routes on %s", (dialect) => {
  let ctx: TestContext;
  afterEach(async () => ctx?.dispose());

  async function setup(overrides: ConfigOverrides = {}) {
    ctx = await makeTestContext(dialect, overrides);
    await seedUser(ctx, "alice");
    await seedUser(ctx, "bob");
    return buildApp(ctx);
  }

  type App = Awaited<ReturnType<typeof setup>>;
  const login = (app: App, username: string, password: string, ip = "198.51.100.1") =>
    app.inject({ method: "POST", url: "/api/auth/login", payload: { username, password }, remoteAddress: ip });

  function sessionCookie(response: Awaited<ReturnType<typeof login>>) {
    const cookie = response.cookies.find((c) => c.name === "berth_session");
    if (!cookie) throw new Error("no session cookie");
    return cookie;
  }

  it("signs in by name, sets an httpOnly SameSite=Lax cookie, and the cookie is a session", async () => {
    const app = await setup();
    const response = await login(app, "alice", TEST_PASSWORD);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ user: { name: "alice" }, csrfToken: expect.any(String) });
    const cookie = sessionCookie(response);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    expect(cookie.secure).toBeFalsy();
    expect(cookie.expires?.getTime()).toBeGreaterThan(Date.now());
    const whoami = await app.inject({ url: "/api/whoami-v2", cookies: { berth_session: cookie.value } });
    expect(whoami.statusCode).toBe(200);
    expect(whoami.json()).toMatchObject({ name: "alice", auth: { type: "session" } });
  });

  it("signs in by email, in any case", async () => {
    const app = await setup();
    const response = await login(app, "Alice@Example.test", TEST_PASSWORD);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ user: { name: "alice" } });
  });

  it("marks the cookie Secure when the public URL is https", async () => {
    const app = await setup({ publicUrl: "https://hub.example" });
    const cookie = sessionCookie(await login(app, "alice", TEST_PASSWORD));
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: true });
  });

  it("answers a wrong password and an unknown account alike, with 401", async () => {
    const app = await setup();
    const wrong = await login(app, "alice", "not the password");
    const unknown = await login(app, "nobody", "not the password");
    const unknownEmail = await login(app, "nobody@example.test", TEST_PASSWORD);
    for (const response of [wrong, unknown, unknownEmail]) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: BAD_LOGIN });
      expect(response.headers["x-error-message"]).toBe(BAD_LOGIN);
      expect(response.headers["x-error-code"]).toBeUndefined();
      expect(response.cookies).toEqual([]);
    }
  });

  it("refuses malformed bodies with 400", async () => {
    const app = await setup();
    for (const payload of [{}, { username: "alice" }, { username: "", password: "x" }, { username: 1, password: 2 }]) {
      const response = await app.inject({ method: "POST", url: "/api/auth/login", payload });
      expect(response.statusCode).toBe(400);
    }
    const junk = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      headers: { "content-type": "application/json" },
      payload: "{not json",
    });
    expect(junk.statusCode).toBe(400);
  });

  it("rate limits failures per account, from any address, whether named by name or email", async () => {
    const app = await setup({ loginMaxFailures: 3, loginWindowSeconds: 600 });
    expect((await login(app, "alice", "wrong-1", "198.51.100.1")).statusCode).toBe(401);
    expect((await login(app, "ALICE", "wrong-2", "198.51.100.2")).statusCode).toBe(401);
    expect((await login(app, "alice@example.test", "wrong-3", "198.51.100.3")).statusCode).toBe(401);
    // Even the right password waits now.
    const limited = await login(app, "alice", TEST_PASSWORD, "198.51.100.4");
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("600");
    expect(limited.json().error).toMatch(/Too many failed sign-in attempts/);
    // Another account from the same addresses is not affected.
    expect((await login(app, "bob", TEST_PASSWORD, "198.51.100.4")).statusCode).toBe(200);
    // After the window, the account may sign in again.
    ctx.advance(601_000);
    expect((await login(app, "alice", TEST_PASSWORD, "198.51.100.4")).statusCode).toBe(200);
  });

  it("rate limits failures per address, across accounts", async () => {
    const app = await setup({ loginMaxFailures: 3 });
    expect((await login(app, "alice", "wrong", "203.0.113.7")).statusCode).toBe(401);
    expect((await login(app, "bob", "wrong", "203.0.113.7")).statusCode).toBe(401);
    expect((await login(app, "nobody", "wrong", "203.0.113.7")).statusCode).toBe(401);
    const limited = await login(app, "bob", TEST_PASSWORD, "203.0.113.7");
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBeDefined();
    expect((await login(app, "bob", TEST_PASSWORD, "203.0.113.8")).statusCode).toBe(200);
  });

  it("answers an unknown account's rate limit like a real one's", async () => {
    const app = await setup({ loginMaxFailures: 2 });
    for (const name of ["alice", "nobody"]) {
      await login(app, name, "wrong", "192.0.2.1");
      await login(app, name, "wrong", "192.0.2.2");
    }
    const real = await login(app, "alice", "wrong", "192.0.2.3");
    const fake = await login(app, "nobody", "wrong", "192.0.2.4");
    expect(real.statusCode).toBe(429);
    expect(fake.statusCode).toBe(429);
    expect(fake.json()).toEqual(real.json());
  });

  it("forgets an account's failures after a successful sign-in", async () => {
    const app = await setup({ loginMaxFailures: 3 });
    await login(app, "alice", "wrong", "192.0.2.1");
    await login(app, "alice", "wrong", "192.0.2.2");
    expect((await login(app, "alice", TEST_PASSWORD, "192.0.2.3")).statusCode).toBe(200);
    await login(app, "alice", "wrong", "192.0.2.4");
    await login(app, "alice", "wrong", "192.0.2.5");
    expect((await login(app, "alice", TEST_PASSWORD, "192.0.2.6")).statusCode).toBe(200);
  });

  it("says in Retry-After when the oldest counted failure leaves the window", async () => {
    const app = await setup({ loginMaxFailures: 3, loginWindowSeconds: 600 });
    await login(app, "alice", "wrong", "192.0.2.1");
    ctx.advance(100_000);
    await login(app, "alice", "wrong", "192.0.2.2");
    ctx.advance(100_000);
    await login(app, "alice", "wrong", "192.0.2.3");
    ctx.advance(50_000);
    const limited = await login(app, "alice", TEST_PASSWORD, "192.0.2.4");
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("350");
    ctx.advance(351_000);
    // One place is free again (the window slides), and only one.
    expect((await login(app, "alice", "wrong", "192.0.2.5")).statusCode).toBe(401);
    const again = await login(app, "alice", TEST_PASSWORD, "192.0.2.6");
    expect(again.statusCode).toBe(429);
    expect(again.headers["retry-after"]).toBe("99");
  });

  describe("login CSRF", () => {
    const ok = { username: "alice", password: TEST_PASSWORD };
    const post = (app: App, headers: Record<string, string>, payload: string | object = ok) =>
      app.inject({ method: "POST", url: "/api/auth/login", headers, payload });

    it("refuses a cross-site form post and sets no cookie", async () => {
      const app = await setup();
      const form = new URLSearchParams(ok).toString();
      for (const headers of <Record<string, string>[]>[
        { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
        { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
        { "content-type": "application/x-www-form-urlencoded" },
        { "content-type": "text/plain", origin: "https://evil.example" },
      ]) {
        const response = await post(app, headers, form);
        expect(response.statusCode, JSON.stringify(headers)).toBeGreaterThanOrEqual(403);
        expect(response.statusCode).toBeLessThan(500);
        expect(response.cookies).toEqual([]);
      }
    });

    it("takes only JSON, answering other bodies with 415", async () => {
      const app = await setup();
      const text = JSON.stringify(ok);
      for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
        const response = await post(app, { "content-type": type }, type.startsWith("app") ? "username=alice" : text);
        expect(response.statusCode, type).toBe(415);
        expect(response.cookies).toEqual([]);
      }
      const charset = await post(app, { "content-type": "application/json; charset=utf-8" }, text);
      expect(charset.statusCode).toBe(200);
    });

    it("refuses a JSON post from a foreign Origin or a cross-site fetch", async () => {
      const app = await setup();
      for (const headers of <Record<string, string>[]>[
        { origin: "https://evil.example" },
        { origin: "null" },
        { origin: "http://hub.test.evil.example" },
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "cross-site", origin: "http://hub.test" },
        { "sec-fetch-site": "same-site" },
        { "sec-fetch-site": "same-site", origin: "https://sibling.hub.test" },
        { "sec-fetch-site": "same-origin", origin: "https://evil.example" },
      ]) {
        const response = await post(app, headers);
        expect(response.statusCode, JSON.stringify(headers)).toBe(403);
        expect(response.cookies).toEqual([]);
      }
    });

    it("signs in from this site, and from clients that are not browsers", async () => {
      const app = await setup();
      for (const headers of <Record<string, string>[]>[
        {},
        { origin: "http://hub.test" },
        { origin: "http://localhost:80" },
        { origin: "http://hub.test", "sec-fetch-site": "same-origin" },
        { "sec-fetch-site": "same-origin" },
        { "sec-fetch-site": "none" },
        { "sec-fetch-site": "same-site", origin: "http://hub.test" },
      ]) {
        const response = await post(app, headers);
        expect(response.statusCode, JSON.stringify(headers)).toBe(200);
        expect(response.cookies.map((c) => c.name).sort()).toEqual(["berth_device", "berth_session"]);
      }
    });
  });

  it("signs out with the CSRF token, and the old cookie is then worthless", async () => {
    const app = await setup();
    const response = await login(app, "alice", TEST_PASSWORD);
    const cookie = sessionCookie(response).value;
    const csrf = response.json().csrfToken as string;
    const noCsrf = await app.inject({ method: "POST", url: "/api/auth/logout", cookies: { berth_session: cookie } });
    expect(noCsrf.statusCode).toBe(403);
    const logout = await app.inject({
      method: "POST",
      url: "/api/auth/logout",
      cookies: { berth_session: cookie },
      headers: { "x-csrf-token": csrf },
    });
    expect(logout.statusCode).toBe(200);
    const cleared = logout.cookies.find((c) => c.name === "berth_session");
    expect(cleared?.value).toBe("");
    const after = await app.inject({ url: "/api/whoami-v2", cookies: { berth_session: cookie } });
    expect(after.statusCode).toBe(401);
    const session = await app.inject({ url: "/api/auth/session", cookies: { berth_session: cookie } });
    expect(session.statusCode).toBe(401);
  });

  it("reports the session and its CSRF token to the web pages", async () => {
    const app = await setup();
    const response = await login(app, "alice", TEST_PASSWORD);
    const session = await app.inject({
      url: "/api/auth/session",
      cookies: { berth_session: sessionCookie(response).value },
    });
    expect(session.statusCode).toBe(200);
    expect(session.json()).toMatchObject({ user: { name: "alice" }, csrfToken: response.json().csrfToken });
  });

  it("ends the session when it expires", async () => {
    const app = await setup({ sessionTtlSeconds: 60 });
    const cookie = sessionCookie(await login(app, "alice", TEST_PASSWORD)).value;
    ctx.advance(61_000);
    const whoami = await app.inject({ url: "/api/whoami-v2", cookies: { berth_session: cookie } });
    expect(whoami.statusCode).toBe(401);
  });
});
