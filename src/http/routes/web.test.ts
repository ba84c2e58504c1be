import { afterEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { legacyEntries, writeLegacyCommit } from "../../../test/helpers/raw-tree.ts";
import { bearer, seedOrg, seedRepo, seedToken, seedUser, TEST_PASSWORD } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import { createToken } from "../../auth/token-service.ts";
import type { ConfigOverrides } from "../../config.ts";
import { gitOrThrow } from "../../git/git-command.ts";
import { insertUsage } from "../../store/inference.ts";
import { createOrg, setMember } from "../../store/orgs.ts";
import { createUser } from "../../store/users.ts";
import { buildApp } from "../app.ts";

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const TOKEN_VALUE = /hf_[A-Za-z]{34}/;

describe.each(testDialects())("web pages on %s", (dialect) => {
  let ctx: TestContext;
  afterEach(async () => ctx?.dispose());

  async function setup(overrides: ConfigOverrides = {}) {
    ctx = await makeTestContext(dialect, overrides);
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    const app = await buildApp(ctx);
    return { app, alice, bob };
  }
  type App = Awaited<ReturnType<typeof setup>>["app"];

  /** Signs in through the form; returns the cookie and the CSRF token the pages embed. */
  async function signIn(app: App, username = "alice") {
    const response = await app.inject({
      method: "POST",
      url: "/login",
      headers: FORM,
      payload: new URLSearchParams({ username, password: TEST_PASSWORD }).toString(),
    });
    expect(response.statusCode).toBe(303);
    const cookie = response.cookies.find((c) => c.name === "berth_session");
    if (!cookie) throw new Error("no session cookie");
    const page = await app.inject({ url: "/settings/tokens", cookies: { berth_session: cookie.value } });
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (!csrf) throw new Error("no csrf field on the tokens page");
    return { cookie: cookie.value, csrf };
  }

  const post = (app: App, url: string, cookie: string, fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(key, v);
    return app.inject({
      method: "POST",
      url,
      headers: FORM,
      cookies: { berth_session: cookie },
      payload: body.toString(),
    });
  };

  it("sends the security headers and a CSP without unsafe-inline", async () => {
    const { app } = await setup();
    for (const url of ["/login", "/", "/alice", "/-/assets/app.css", "/no/such-repo"]) {
      const response = await app.inject({ url });
      const csp = response.headers["content-security-policy"];
      expect(csp, url).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(response.headers["x-content-type-options"]).toBe("nosniff");
      expect(response.headers["referrer-policy"]).toBe("same-origin");
    }
    const page = await app.inject({ url: "/login" });
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page.body).not.toMatch(/\son[a-z]+=/);
  });

  it("signs in with the form, refuses a wrong password with 401 and the same message for an unknown user", async () => {
    const { app } = await setup();
    const wrong = await post(app, "/login", "", { username: "alice", password: "nope-nope" });
    const unknown = await post(app, "/login", "", { username: "zed", password: "nope-nope" });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.body).toContain("Invalid username or password");
    expect(unknown.body).toContain("Invalid username or password");
    const { cookie } = await signIn(app);
    const tokens = await app.inject({ url: "/settings/tokens", cookies: { berth_session: cookie } });
    expect(tokens.statusCode).toBe(200);
    expect(tokens.body).toContain("Access Tokens");
  });

  it("shows each token's inference calls and rate limit on the tokens page", async () => {
    const { app, alice } = await setup();
    const { token } = await createToken(ctx, alice, { displayName: "infer", role: "read", rateLimitPerMinute: 30 });
    await createToken(ctx, alice, { displayName: "idle", role: "read" });
    const call = { userId: alice.id, model: "alice/m", route: "task", status: 200, durationMs: 3 };
    for (const at of [new Date("2026-01-02T03:04:05Z"), new Date("2026-01-03T03:04:05Z")]) {
      await insertUsage(ctx.db, { ...call, tokenId: token.id, inputTokens: undefined, outputTokens: undefined, at });
    }
    const { cookie } = await signIn(app);
    const page = (await app.inject({ url: "/settings/tokens", cookies: { berth_session: cookie } })).body;
    expect(page).toContain("2 calls");
    expect(page).toContain("limit 30/min");
    expect(page).toContain("No calls");
  });

  it("signs in again over a live session without its CSRF token, but refuses a foreign Origin", async () => {
    const { app } = await setup();
    const { cookie } = await signIn(app);
    const again = await post(app, "/login", cookie, { username: "bob", password: TEST_PASSWORD });
    expect(again.statusCode).toBe(303);
    const fresh = again.cookies.find((c) => c.name === "berth_session");
    expect(fresh?.value).toBeTruthy();
    expect(fresh?.value).not.toBe(cookie);
    const whoami = await app.inject({ url: "/api/whoami-v2", cookies: { berth_session: fresh?.value ?? "" } });
    expect(whoami.json()).toMatchObject({ name: "bob" });
    // The replaced session is gone.
    expect((await app.inject({ url: "/api/whoami-v2", cookies: { berth_session: cookie } })).statusCode).toBe(401);

    const foreign = await app.inject({
      method: "POST",
      url: "/login",
      headers: { ...FORM, origin: "https://evil.example" },
      payload: new URLSearchParams({ username: "alice", password: TEST_PASSWORD }).toString(),
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.cookies.find((c) => c.name === "berth_session")).toBeUndefined();
    const same = await app.inject({
      method: "POST",
      url: "/login",
      headers: { ...FORM, origin: "http://hub.test" },
      payload: new URLSearchParams({ username: "alice", password: TEST_PASSWORD }).toString(),
    });
    expect(same.statusCode).toBe(303);
  });

  it("refuses a cross-site sign-in or sign-up, with or without an Origin, and creates nothing", async () => {
    const { app } = await setup({ allowSignup: true });
    const forms = {
      "/login": { username: "alice", password: TEST_PASSWORD },
      "/join": { username: "mallory", email: "mallory@example.test", password: "long enough pw" },
    };
    for (const [url, fields] of Object.entries(forms)) {
      for (const headers of [
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "same-site" },
        { "sec-fetch-site": "cross-site", origin: "http://hub.test" },
      ]) {
        const response = await app.inject({
          method: "POST",
          url,
          headers: { ...FORM, ...headers },
          payload: new URLSearchParams(fields).toString(),
        });
        expect(response.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(403);
        expect(response.cookies).toEqual([]);
      }
    }
    expect((await app.inject({ url: "/mallory" })).statusCode).toBe(404);
    const same = await app.inject({
      method: "POST",
      url: "/join",
      headers: { ...FORM, "sec-fetch-site": "same-origin", origin: "http://hub.test" },
      payload: new URLSearchParams(forms["/join"]).toString(),
    });
    expect(same.statusCode).toBe(303);
    expect((await app.inject({ url: "/mallory" })).statusCode).toBe(200);
  });

  it("refuses every state-changing form without the CSRF token", async () => {
    const { app, alice } = await setup();
    await seedOrg(ctx, "acme", alice);
    await seedRepo(ctx, alice, "alice/gated", { gated: "manual" });
    const { cookie, csrf } = await signIn(app);
    const create = await post(app, "/settings/tokens", cookie, { csrf, tokenType: "read", displayName: "ci" });
    expect(create.statusCode).toBe(200);
    const id = /\/settings\/tokens\/([0-9a-f]{24})\//.exec(
      (await app.inject({ url: "/settings/tokens", cookies: { berth_session: cookie } })).body,
    )?.[1];
    expect(id).toBeTruthy();
    const urls = [
      "/logout",
      "/settings/tokens",
      `/settings/tokens/${id}/refresh`,
      `/settings/tokens/${id}/delete`,
      "/organizations/acme/members",
      "/organizations/acme/members/alice/role",
      "/organizations/acme/members/alice/remove",
      "/alice/gated/ask-access",
      "/alice/gated/settings/visibility",
      "/alice/gated/settings/gating",
      "/alice/gated/settings/delete",
      "/alice/gated/settings/access-requests",
      "/alice/gated/settings/access-requests/grant",
      "/datasets/alice/x/settings/delete",
      "/spaces/alice/x/settings/gating",
      "/new",
      "/new-dataset",
      "/new-space",
      "/organizations/new",
    ];
    for (const url of urls) {
      const response = await post(app, url, cookie, { confirm: "yes", tokenType: "read", displayName: "x" });
      expect(response.statusCode, url).toBe(403);
      expect(response.body, url).toContain("CSRF");
      const wrong = await post(app, url, cookie, { csrf: "forged", confirm: "yes" });
      expect(wrong.statusCode, url).toBe(403);
    }
    // Nothing changed: the token and the repo are still there.
    const list = await app.inject({ url: "/settings/tokens", cookies: { berth_session: cookie } });
    expect(list.body).toContain(`/settings/tokens/${id}/refresh`);
    expect((await app.inject({ url: "/alice/gated", cookies: { berth_session: cookie } })).statusCode).toBe(200);
  });

  it("shows a token value only in the answer to its creation, with no-store, and escapes its name", async () => {
    const { app } = await setup();
    const { cookie, csrf } = await signIn(app);
    const name = `<script>alert("x")</script>`;
    const created = await post(app, "/settings/tokens", cookie, { csrf, tokenType: "write", displayName: name });
    expect(created.statusCode).toBe(200);
    expect(created.headers["cache-control"]).toBe("no-store");
    expect(created.body).toMatch(TOKEN_VALUE);
    expect(created.body).not.toContain(name);
    expect(created.body).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    const list = await app.inject({ url: "/settings/tokens", cookies: { berth_session: cookie } });
    expect(list.body).not.toMatch(TOKEN_VALUE);
    expect(list.body).not.toContain("<script>alert");
    expect(list.body).toContain("&lt;script&gt;");
  });

  it("creates a fine-grained token from the form fields, and re-renders the form with a 400 on a bad scope", async () => {
    const { app, alice } = await setup();
    await seedRepo(ctx, alice, "alice/bert");
    const { cookie, csrf } = await signIn(app);
    const created = await post(app, "/settings/tokens", cookie, {
      csrf,
      tokenType: "fineGrained",
      displayName: "scoped",
      ownUserPermissions: "inference.serverless.write",
      repo: "model:alice/bert",
      "repoPermissions:model:alice/bert": ["repo.content.read", "repo.write"],
      canReadGatedRepos: "true",
      expiresIn: "30d",
    });
    expect(created.statusCode).toBe(200);
    const value = TOKEN_VALUE.exec(created.body)?.[0] ?? "";
    const whoami = await app.inject({ url: "/api/whoami-v2", headers: bearer(value) });
    expect(whoami.json().auth.accessToken).toMatchObject({
      role: "fineGrained",
      fineGrained: {
        canReadGatedRepos: true,
        scoped: [
          { entity: { type: "user", name: "alice" }, permissions: ["inference.serverless.write"] },
          { entity: { type: "model", name: "alice/bert" }, permissions: ["repo.content.read", "repo.write"] },
        ],
      },
    });
    expect(whoami.json().auth.accessToken.expiresAt).toBeTruthy();
    const bad = await post(app, "/settings/tokens", cookie, {
      csrf,
      tokenType: "fineGrained",
      displayName: "<b>bad</b>",
      repo: "model:bob/missing",
      "repoPermissions:model:bob/missing": "repo.write",
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain("or you cannot see it");
    expect(bad.body).toContain('value="&lt;b&gt;bad&lt;/b&gt;"');
    expect(bad.body).not.toMatch(TOKEN_VALUE);
  });

  it("pre-fills the form from a deep link", async () => {
    const { app } = await setup();
    const { cookie } = await signIn(app);
    const page = await app.inject({
      url: "/settings/tokens/new?tokenType=fineGrained&ownUserPermissions=inference.serverless.write&canReadGatedRepos=true",
      cookies: { berth_session: cookie },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/id="type-fineGrained"[^>]*checked/);
    expect(page.body).toMatch(/id="perm-user-inference.serverless.write"[^>]*checked/);
    expect(page.body).not.toMatch(/id="perm-user-repo.write"[^>]*checked/);
    expect(page.body).toMatch(/id="canReadGatedRepos"[^>]*checked/);
    const read = await app.inject({ url: "/settings/tokens/new?tokenType=read", cookies: { berth_session: cookie } });
    expect(read.body).toMatch(/id="type-read"[^>]*checked/);
  });

  it("sends an anonymous visitor to sign in and refuses a token on the token pages", async () => {
    const { app, alice } = await setup();
    const anonymous = await app.inject({ url: "/settings/tokens" });
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe("/login?next=%2Fsettings%2Ftokens");
    const token = await seedToken(ctx, alice, { role: "write" });
    const withToken = await app.inject({ url: "/settings/tokens", headers: bearer(token) });
    expect(withToken.statusCode).toBe(403);
    expect(withToken.headers["content-type"]).toContain("text/html");
  });

  it("answers a private repo's pages with the same 404 as a missing repo", async () => {
    const { app, alice } = await setup();
    await seedRepo(ctx, alice, "alice/secret", { private: true });
    await seedRepo(ctx, alice, "alice/secret-data", { private: true, type: "dataset" });
    const bob = await signIn(app, "bob");
    const pages = [
      "/alice/secret",
      "/alice/secret/settings",
      "/alice/secret/settings/access-requests",
      "/datasets/alice/secret-data",
    ];
    for (const url of pages) {
      const missing = url.replace("secret", "nothing-here");
      for (const cookies of [{} as Record<string, string>, { berth_session: bob.cookie }]) {
        const hidden = await app.inject({ url, cookies });
        const absent = await app.inject({ url: missing, cookies });
        expect(hidden.statusCode, url).toBe(404);
        expect(absent.statusCode, missing).toBe(404);
        expect(hidden.body).toContain("Repository not found");
        expect(hidden.body.replace(/secret/g, "")).not.toContain("alice/");
      }
    }
    const owner = await signIn(app, "alice");
    expect((await app.inject({ url: "/alice/secret", cookies: { berth_session: owner.cookie } })).statusCode).toBe(200);
    // API paths under a reserved first segment are not repo pages.
    expect((await app.inject({ url: "/api/nothing" })).headers["content-type"]).toContain("application/json");
  });

  it("lists paths from before the path rules without a link that leaves the repo", async () => {
    const { app, alice } = await setup();
    const repo = await seedRepo(ctx, alice, "alice/legacy");
    const dir = ctx.storage.pathOf(repo.type, repo.id);
    const blob = (await gitOrThrow(["hash-object", "-w", "--stdin"], { cwd: dir, input: "x\n" })).toString().trim();
    await writeLegacyCommit(dir, await legacyEntries(dir, blob));
    const page = await app.inject({ url: "/alice/legacy/tree/main" });
    expect(page.statusCode).toBe(200);
    for (const name of ["..", ".git~1", "a\\b"]) expect(page.body).toContain(`</span>${name}`);
    const links = [...page.body.matchAll(/href="([^"]*)"/g)].map((m) => m[1] as string);
    const fileLinks = links.filter((link) => /\/(blob|resolve|raw)\//.test(link));
    expect(new Set(fileLinks)).toEqual(
      new Set(["/alice/legacy/blob/main/README.md", "/alice/legacy/resolve/main/README.md"]),
    );
    expect(links.filter((link) => /\.\.|\.git~1|%5C/i.test(link))).toEqual([]);
    // Typed by hand, such a path is refused, not served.
    expect((await app.inject({ url: "/alice/legacy/blob/main/..%2Fx" })).statusCode).toBe(400);
  });

  it("escapes a full name holding markup on the org page", async () => {
    const { app, alice } = await setup();
    const mallory = await createUser(
      ctx.db,
      { name: "mallory", email: "m@example.test", fullname: `<script>alert(1)</script><img src=x onerror=alert(2)>` },
      ctx.now(),
    );
    const org = await createOrg(ctx.db, { name: "acme", fullname: `<i>Acme</i>`, ownerId: alice.id }, ctx.now());
    await setMember(ctx.db, org.id, mallory.id, "read", ctx.now());
    const { cookie } = await signIn(app);
    const page = await app.inject({ url: "/acme", cookies: { berth_session: cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;");
    expect(page.body).not.toContain("<script>alert");
    expect(page.body).not.toContain("<i>Acme</i>");
  });

  it("lets an org admin change a role, and refuses a non-admin member", async () => {
    const { app, alice, bob } = await setup();
    await seedOrg(ctx, "acme", alice, { bob: [bob, "write"] });
    const admin = await signIn(app, "alice");
    const changed = await post(app, "/organizations/acme/members/bob/role", admin.cookie, {
      csrf: admin.csrf,
      role: "read",
    });
    expect(changed.statusCode).toBe(303);
    const page = await app.inject({ url: "/acme", cookies: { berth_session: admin.cookie } });
    expect(page.body).toMatch(/id="role-bob"[\s\S]*?<option value="read" selected>/);
    const member = await signIn(app, "bob");
    const refused = await post(app, "/organizations/acme/members/alice/role", member.cookie, {
      csrf: member.csrf,
      role: "read",
    });
    expect(refused.statusCode).toBe(403);
    const lastAdmin = await post(app, "/organizations/acme/members/alice/role", admin.cookie, {
      csrf: admin.csrf,
      role: "read",
    });
    expect(lastAdmin.statusCode).toBe(400);
    expect(lastAdmin.body).toContain("at least one admin");
  });

  it("signs up when allowed, reports a taken name neutrally, and is absent otherwise", async () => {
    const closed = await setup();
    expect((await closed.app.inject({ url: "/join" })).statusCode).toBe(404);
    await ctx.dispose();
    const { app } = await setup({ allowSignup: true });
    const join = (fields: Record<string, string>) => post(app, "/join", "", fields);
    const short = await join({ username: "carol", email: "carol@example.test", password: "short" });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain("at least 8");
    const taken = await join({ username: "alice", email: "new@example.test", password: "long enough pw" });
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain("is not available");
    const email = await join({ username: "carol", email: "alice@example.test", password: "long enough pw" });
    expect(email.statusCode).toBe(409);
    expect(email.body).toContain("cannot be used");
    const ok = await join({ username: "carol", email: "carol@example.test", password: "long enough pw" });
    expect(ok.statusCode).toBe(303);
    const cookie = ok.cookies.find((c) => c.name === "berth_session")?.value ?? "";
    const whoami = await app.inject({ url: "/api/whoami-v2", cookies: { berth_session: cookie } });
    expect(whoami.json()).toMatchObject({ name: "carol" });
  });
});
