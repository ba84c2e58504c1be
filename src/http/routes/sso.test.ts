import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { InjectBrowser } from "../../../test/helpers/oauth-flows.ts";
import { seedOrg, seedUser, TEST_PASSWORD } from "../../../test/helpers/seed.ts";
import { makeTestContext, TEST_PUBLIC_URL, type TestContext } from "../../../test/helpers/test-context.ts";
import { type Person, startTestIdp, type TestIdp } from "../../../test/helpers/test-idp.ts";
import type { Org } from "../../domain/entities.ts";
import { findOrgRole } from "../../store/orgs.ts";
import { findUserByName } from "../../store/users.ts";
import { buildApp } from "../app.ts";

type App = Awaited<ReturnType<typeof buildApp>>;
const SECRET = "berth-at-the-company-idp";

/** Follows the IdP's redirects with real HTTP (its own cookies kept) until it sends the browser back. */
async function throughIdp(start: string): Promise<string> {
  const jar = new Map<string, string>();
  let url = start;
  for (let hops = 0; hops < 12; hops++) {
    if (url.startsWith(TEST_PUBLIC_URL)) return url.slice(TEST_PUBLIC_URL.length);
    const response = await fetch(url, {
      redirect: "manual",
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join("; ") },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair?.indexOf("=") ?? -1;
      if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    await response.arrayBuffer();
    const location = response.headers.get("location");
    if (!location) throw new Error(`the IdP answered ${response.status} without a redirect`);
    url = new URL(location, url).href;
  }
  throw new Error("too many redirects at the IdP");
}

describe.each(testDialects())("SSO through an external OpenID provider on %s", (dialect) => {
  let idp: TestIdp;
  let ctx: TestContext;
  let app: App;
  let acme: Org;
  const carol: Person = {
    sub: "emp-0042",
    preferred_username: "carol",
    name: "Carol Example",
    email: "carol@company.test",
    groups: ["eng"],
  };

  beforeAll(async () => {
    idp = await startTestIdp({
      clientId: "berth",
      clientSecret: SECRET,
      redirectUri: `${TEST_PUBLIC_URL}/sso/callback`,
    });
  });
  afterAll(async () => idp.close());

  beforeEach(async () => {
    ctx = await makeTestContext(
      dialect,
      {
        passwordSignIn: false,
        sso: {
          issuer: idp.issuer,
          clientId: "berth",
          scopes: "openid profile email",
          groupsClaim: "groups",
          groupMappings: [
            { group: "eng", org: "acme", role: "write" },
            { group: "leads", org: "acme", role: "admin" },
          ],
          label: "Sign in with Company SSO",
          allowHttp: true,
        },
        allowSignup: true,
      },
      { oidcClientSecret: SECRET },
    );
    const founder = await seedUser(ctx, "founder");
    acme = await seedOrg(ctx, "acme", founder);
    app = await buildApp(ctx);
    idp.signedIn = carol;
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  async function ssoSignIn(browser: InjectBrowser, next = "/settings/tokens") {
    const start = await browser.request("GET", `/sso/login?next=${encodeURIComponent(next)}`);
    expect(start.statusCode).toBe(303);
    const callback = await throughIdp(String(start.headers.location));
    const done = await browser.request("GET", callback);
    expect(done.statusCode, done.body).toBe(303);
    expect(done.headers.location).toBe(next);
  }

  it("creates the account on first sign-in and maps groups onto org roles at every sign-in", async () => {
    const browser = new InjectBrowser(app);
    await ssoSignIn(browser);
    const user = await findUserByName(ctx.db, "carol");
    expect(user?.email).toBe("carol@company.test");
    expect(user && (await findOrgRole(ctx.db, acme.id, user.id))).toBe("write");
    const session = await browser.request("GET", "/api/auth/session");
    expect(session.json().user.name).toBe("carol");

    carol.groups = ["eng", "leads"];
    await ssoSignIn(new InjectBrowser(app));
    expect(user && (await findOrgRole(ctx.db, acme.id, user.id))).toBe("admin");
    carol.groups = [];
    await ssoSignIn(new InjectBrowser(app));
    expect(user && (await findOrgRole(ctx.db, acme.id, user.id))).toBeUndefined();
    // Still one account: the identity is linked, not matched again.
    expect(await findUserByName(ctx.db, "carol-2")).toBeUndefined();
    carol.groups = ["eng"];
  });

  it("turns password sign-in off, and signing out ends the Berth session", async () => {
    const password = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: "founder", password: TEST_PASSWORD },
    });
    expect(password.statusCode).toBe(403);
    expect((await app.inject({ url: "/join" })).statusCode).toBe(404);
    const page = await app.inject({ url: "/login" });
    expect(page.body).toContain("Sign in with Company SSO");
    expect(page.body).not.toContain('name="password"');

    const browser = new InjectBrowser(app);
    await ssoSignIn(browser);
    const csrf = (await browser.request("GET", "/api/auth/session")).json().csrfToken as string;
    const out = await browser.request("POST", "/logout", { csrf });
    expect(out.statusCode).toBe(303);
    expect((await browser.request("GET", "/api/auth/session")).statusCode).toBe(401);
  });

  it("refuses a callback without the sign-in it answers", async () => {
    const start = await app.inject({ url: "/sso/login" });
    const callback = await throughIdp(String(start.headers.location));
    const stranger = await app.inject({ url: callback });
    expect(stranger.statusCode).toBe(400);
    expect(stranger.headers["set-cookie"] ?? "").not.toContain("berth_session=");
  });
});
