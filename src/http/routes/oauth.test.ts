import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import {
  DEVICE_GRANT,
  HF_CLI,
  hiddenValue,
  InjectBrowser,
  pkcePair,
  postForm,
} from "../../../test/helpers/oauth-flows.ts";
import { bearer, seedOrg, seedRepo, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import type { User } from "../../domain/entities.ts";
import { buildApp } from "../app.ts";

type App = Awaited<ReturnType<typeof buildApp>>;
const LFS = { accept: "application/vnd.git-lfs+json", "content-type": "application/vnd.git-lfs+json" };

describe.each(testDialects())("OAuth provider on %s", (dialect) => {
  let ctx: TestContext;
  let app: App;
  let alice: User;
  let browser: InjectBrowser;

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
    alice = await seedUser(ctx, "alice");
    await seedRepo(ctx, alice, "alice/secret", { private: true });
    browser = new InjectBrowser(app);
    await browser.signIn("alice");
  });
  afterEach(async () => {
    vi.useRealTimers();
    await app.close();
    await ctx.dispose();
  });

  /** `hf auth login`'s first request, exactly: the client id and nothing else. */
  async function requestDeviceCode(clientId = HF_CLI) {
    const response = await postForm(app, "/oauth/device", { client_id: clientId });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { device_code: string; user_code: string; verification_uri: string; interval: number };
  }

  /** `hf auth login`'s poll, exactly. */
  const poll = (deviceCode: string) =>
    postForm(app, "/oauth/token", { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: HF_CLI });

  /** The person at the browser: code page, consent, done. */
  async function approveDevice(userCode: string, decision = "allow") {
    const page = await browser.request("GET", "/oauth/device");
    expect(page.statusCode).toBe(200);
    const consent = await browser.follow("POST", "/oauth/device/verify", {
      xsrf: hiddenValue(page.body, "xsrf"),
      user_code: userCode,
      confirm: "yes",
    });
    expect(consent.response.statusCode, consent.response.body).toBe(200);
    expect(consent.response.body).toContain("Authorize huggingface_hub");
    const uid = /action="\/oauth\/interaction\/([^/]+)\/consent"/.exec(consent.response.body)?.[1] ?? "";
    const done = await browser.follow("POST", `/oauth/interaction/${uid}/consent`, {
      csrf: hiddenValue(consent.response.body, "csrf"),
      decision,
    });
    return done.response;
  }

  async function deviceLogin() {
    const code = await requestDeviceCode();
    const done = await approveDevice(code.user_code);
    expect(done.body).toContain("Device connected");
    ctx.advance(6000);
    const token = await poll(code.device_code);
    expect(token.statusCode, token.body).toBe(200);
    return token.json() as { access_token: string; refresh_token: string; expires_in: number; scope: string };
  }

  const refresh = (refreshToken: string) =>
    postForm(app, "/oauth/token", { grant_type: "refresh_token", refresh_token: refreshToken, client_id: HF_CLI });
  const whoami = (token: string) => app.inject({ url: "/api/whoami-v2", headers: bearer(token) });

  it("signs hf auth login in with exactly the requests it sends, and the token is a Berth credential", async () => {
    const code = await requestDeviceCode();
    expect(code.verification_uri).toMatch(/\/oauth\/device$/);
    expect(code.interval).toBe(5);
    const pending = await poll(code.device_code);
    expect(pending.statusCode).toBe(400);
    expect(pending.json().error).toBe("authorization_pending");

    expect((await approveDevice(code.user_code)).body).toContain("Device connected");
    ctx.advance(6000);
    const answer = await poll(code.device_code);
    expect(answer.statusCode, answer.body).toBe(200);
    const token = answer.json();
    expect(token.access_token).toMatch(/^hf_oauth_[A-Za-z]{34}$/);
    expect(typeof token.refresh_token).toBe("string");
    expect(token.expires_in).toBeGreaterThan(29 * 24 * 3600);
    expect(token.scope.split(" ")).toEqual(expect.arrayContaining(["openid", "read-repos", "manage-repos"]));

    // What hf auth login does next: whoami, reading role and displayName.
    const me = await whoami(token.access_token);
    expect(me.statusCode).toBe(200);
    expect(me.json().name).toBe("alice");
    expect(me.json().auth.accessToken.role).toBe("fineGrained");
    expect(me.json().auth.accessToken.displayName).toMatch(/^huggingface_hub/);
    // It reads the user's private repo, and shows in the token list as an app token.
    expect(
      (await app.inject({ url: "/api/models/alice/secret", headers: bearer(token.access_token) })).statusCode,
    ).toBe(200);
    const list = await app.inject({
      url: "/api/settings/connected-apps",
      cookies: Object.fromEntries(browser.cookies),
    });
    expect(list.json()).toHaveLength(1);
    expect(list.json()[0].app.clientId).toBe(HF_CLI);
  });

  it("answers slow_down to a poll within the interval, growing it by 5 s, then expired_token", async () => {
    const code = await requestDeviceCode();
    expect((await poll(code.device_code)).json().error).toBe("authorization_pending");
    const fast = await poll(code.device_code);
    expect(fast.json().error).toBe("slow_down");
    ctx.advance(6000);
    // The interval is now 10 s: 6 s later is still too early.
    expect((await poll(code.device_code)).json().error).toBe("slow_down");
    ctx.advance(16_000);
    expect((await poll(code.device_code)).json().error).toBe("authorization_pending");
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 301_000 });
    ctx.advance(20_000);
    const expired = await poll(code.device_code);
    expect(expired.statusCode).toBe(400);
    expect(expired.json().error).toBe("expired_token");
  });

  it("answers access_denied when the person cancels", async () => {
    const code = await requestDeviceCode();
    await approveDevice(code.user_code, "deny");
    ctx.advance(6000);
    expect((await poll(code.device_code)).json().error).toBe("access_denied");
  });

  it("rotates the refresh token, and a replayed one revokes the whole family", async () => {
    const first = await deviceLogin();
    const renewed = await refresh(first.refresh_token);
    expect(renewed.statusCode, renewed.body).toBe(200);
    const second = renewed.json();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect((await whoami(second.access_token)).statusCode).toBe(200);

    const replay = await refresh(first.refresh_token);
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error).toBe("invalid_grant");
    // The family is gone: the rotated refresh token, every access token, the app token.
    expect((await refresh(second.refresh_token)).json().error).toBe("invalid_grant");
    expect((await whoami(second.access_token)).statusCode).toBe(401);
    expect((await whoami(first.access_token)).statusCode).toBe(401);
    const list = await app.inject({
      url: "/api/settings/connected-apps",
      cookies: Object.fromEntries(browser.cookies),
    });
    expect(list.json()).toEqual([]);
  });

  it("ends the token everywhere when the user revokes the app: API, git, LFS, refresh", async () => {
    const token = await deviceLogin();
    const basic = { authorization: `Basic ${Buffer.from(`alice:${token.access_token}`).toString("base64")}` };
    const lfs = () =>
      app.inject({
        method: "POST",
        url: "/alice/secret.git/info/lfs/objects/batch",
        headers: { ...LFS, ...basic },
        payload: { operation: "download", objects: [{ oid: "a".repeat(64), size: 1 }] },
      });
    const git = () => app.inject({ url: "/alice/secret.git/info/refs?service=git-upload-pack", headers: basic });
    expect((await whoami(token.access_token)).statusCode).toBe(200);
    expect((await git()).statusCode).toBe(200);
    expect((await lfs()).statusCode).toBe(200);

    const cookies = Object.fromEntries(browser.cookies);
    const [connected] = (await app.inject({ url: "/api/settings/connected-apps", cookies })).json();
    const csrf = (await app.inject({ url: "/api/auth/session", cookies })).json().csrfToken as string;
    const revoked = await app.inject({
      method: "DELETE",
      url: `/api/settings/connected-apps/${connected.tokenId}`,
      cookies,
      headers: { "x-csrf-token": csrf },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);

    expect((await whoami(token.access_token)).statusCode).toBe(401);
    expect((await git()).statusCode).toBe(401);
    expect((await lfs()).statusCode).toBe(401);
    expect((await refresh(token.refresh_token)).json().error).toBe("invalid_grant");
  });

  describe("authorization code with PKCE", () => {
    let sessionHeaders: { cookies: Record<string, string>; headers: Record<string, string> };
    beforeEach(async () => {
      const cookies = Object.fromEntries(browser.cookies);
      const csrf = (await app.inject({ url: "/api/auth/session", cookies })).json().csrfToken as string;
      sessionHeaders = { cookies, headers: { "x-csrf-token": csrf } };
    });

    async function registerApp(payload: object) {
      const response = await app.inject({
        method: "POST",
        url: "/api/settings/oauth-apps",
        payload,
        ...sessionHeaders,
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as { clientId: string; clientSecret: string | null };
    }

    async function authorize(clientId: string, redirectUri: string, extra: Record<string, string> = {}) {
      const { verifier, challenge } = pkcePair();
      const query = new URLSearchParams({
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "openid profile read-repos",
        state: "s1",
        code_challenge: challenge,
        code_challenge_method: "S256",
        ...extra,
      });
      const consent = await browser.follow("GET", `/oauth/authorize?${query}`);
      return { verifier, consent };
    }

    async function consentAndCode(clientId: string, redirectUri: string) {
      const { verifier, consent } = await authorize(clientId, redirectUri);
      // Authorized before, for these scopes: no consent page, the code comes at once.
      if (consent.location) return { code: new URL(consent.location).searchParams.get("code") ?? "", verifier };
      expect(consent.response.statusCode, consent.response.body).toBe(200);
      const uid = /action="\/oauth\/interaction\/([^/]+)\/consent"/.exec(consent.response.body)?.[1] ?? "";
      const back = await browser.follow("POST", `/oauth/interaction/${uid}/consent`, {
        csrf: hiddenValue(consent.response.body, "csrf"),
        decision: "allow",
      });
      const location = new URL(back.location ?? "");
      expect(location.origin + location.pathname).toBe(redirectUri);
      return { code: location.searchParams.get("code") ?? "", verifier };
    }

    /** What @huggingface/hub's oauthHandleRedirect posts: no client_id. */
    const exchange = (code: string, redirectUri: string, verifier: string) =>
      postForm(app, "/oauth/token", {
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      });

    it("issues a token for the code and the right verifier, once", async () => {
      const { clientId } = await registerApp({
        name: "Space",
        redirectUris: ["https://app.example/cb"],
        scopes: ["read-repos", "profile"],
        public: true,
      });
      const { code, verifier } = await consentAndCode(clientId, "https://app.example/cb");
      const wrong = await exchange(code, "https://app.example/cb", pkcePair().verifier);
      expect(wrong.json().error).toBe("invalid_grant");

      const again = await consentAndCode(clientId, "https://app.example/cb");
      const token = await exchange(again.code, "https://app.example/cb", again.verifier);
      expect(token.statusCode, token.body).toBe(200);
      const accessToken = token.json().access_token as string;
      const userinfo = await app.inject({ url: "/oauth/userinfo", headers: bearer(accessToken) });
      expect(userinfo.json().preferred_username).toBe("alice");
      expect((await app.inject({ url: "/api/models/alice/secret", headers: bearer(accessToken) })).statusCode).toBe(
        200,
      );

      // The same code a second time: refused, and what it issued is revoked.
      const replay = await exchange(again.code, "https://app.example/cb", again.verifier);
      expect(replay.json().error).toBe("invalid_grant");
      expect((await whoami(accessToken)).statusCode).toBe(401);
      void verifier;
    });

    it("lets only the owner's web session manage an app: not a token, not another user", async () => {
      const { clientId } = await registerApp({ name: "Mine", redirectUris: ["https://app.example/cb"] });
      const me = await deviceLogin();
      const asToken = await app.inject({
        method: "POST",
        url: "/api/settings/oauth-apps",
        headers: bearer(me.access_token),
        payload: { name: "Minted", redirectUris: ["https://evil.example/cb"] },
      });
      expect(asToken.statusCode).toBe(403);
      await seedUser(ctx, "bob");
      const bob = new InjectBrowser(app);
      await bob.signIn("bob");
      const cookies = Object.fromEntries(bob.cookies);
      const csrf = (await app.inject({ url: "/api/auth/session", cookies })).json().csrfToken as string;
      for (const [method, url] of [
        ["POST", `/api/settings/oauth-apps/${clientId}/secret`],
        ["DELETE", `/api/settings/oauth-apps/${clientId}`],
      ] as const) {
        const response = await app.inject({ method, url, cookies, headers: { "x-csrf-token": csrf } });
        expect(response.statusCode, url).toBe(404);
      }
      expect((await app.inject({ url: "/api/settings/oauth-apps", cookies })).json()).toEqual([]);
      const mine = (await app.inject({ url: "/api/settings/oauth-apps", ...sessionHeaders })).json();
      expect(mine.map((entry: { clientId: string }) => entry.clientId)).toContain(clientId);
      expect(JSON.stringify(mine)).not.toMatch(/berth_cs_/);
    });

    it("asks to sign in again once the Berth session is gone, instead of handing out a code", async () => {
      const { clientId } = await registerApp({
        name: "Space",
        redirectUris: ["https://app.example/cb"],
        scopes: ["profile", "read-repos"],
        public: true,
      });
      await consentAndCode(clientId, "https://app.example/cb");
      // Authorized and signed in: the next request gets a code at once.
      expect((await authorize(clientId, "https://app.example/cb")).consent.location).toContain("code=");
      const out = await browser.request("POST", "/logout", { csrf: sessionHeaders.headers["x-csrf-token"] ?? "" });
      expect(out.statusCode).toBe(303);
      const again = await authorize(clientId, "https://app.example/cb");
      expect(again.consent.location).toBeUndefined();
      expect(again.consent.response.body).toContain("Sign in to Berth");
    });

    it("bounds the bodies it reads itself, with a clear 4xx", async () => {
      const big = await postForm(app, "/oauth/token", {
        grant_type: "refresh_token",
        refresh_token: "x".repeat(100_000),
      });
      expect(big.statusCode).toBe(400);
      expect(big.json().error).toBe("invalid_request");
      const json = await app.inject({
        method: "POST",
        url: "/oauth/revoke",
        payload: { token: "x" },
        headers: { "content-type": "application/json" },
      });
      expect(json.statusCode).toBe(400);
    });

    it("refuses a redirect URI that is not registered, and requires PKCE for a public app", async () => {
      const { clientId } = await registerApp({ name: "Web", redirectUris: ["https://app.example/cb"], public: true });
      const { consent } = await authorize(clientId, "https://app.example/other");
      expect(consent.response.statusCode).toBe(400);
      expect(consent.location).toBeUndefined();
      expect(consent.response.body).toContain("redirect_uri");

      const query = new URLSearchParams({
        client_id: clientId,
        redirect_uri: "https://app.example/cb",
        response_type: "code",
        scope: "openid",
        state: "s",
      });
      const noPkce = await browser.follow("GET", `/oauth/authorize?${query}`);
      expect(new URL(noPkce.location ?? "").searchParams.get("error")).toBe("invalid_request");
    });

    it("accepts a loopback redirect on any port for a native app, and only the exact URI otherwise", async () => {
      const native = await registerApp({
        name: "CLI",
        redirectUris: ["http://127.0.0.1/callback"],
        scopes: ["profile", "read-repos"],
        public: true,
      });
      const { consent } = await authorize(native.clientId, "http://127.0.0.1:54321/callback");
      expect(consent.response.statusCode, consent.response.body).toBe(200);
      expect(consent.response.body).toContain("Authorize CLI");
      const web = await registerApp({
        name: "Web",
        redirectUris: ["https://app.example:8443/cb"],
        scopes: ["profile", "read-repos"],
        public: true,
      });
      expect((await authorize(web.clientId, "https://app.example:9443/cb")).consent.response.statusCode).toBe(400);
    });

    it("introspects and revokes a confidential app's own tokens (RFC 7662, RFC 7009)", async () => {
      const { clientId, clientSecret } = await registerApp({
        name: "Backend",
        redirectUris: ["https://app.example/cb"],
        scopes: ["profile", "read-repos"],
      });
      const basic = { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}` };
      const { code, verifier } = await consentAndCode(clientId, "https://app.example/cb");
      const token = await postForm(
        app,
        "/oauth/token",
        { grant_type: "authorization_code", code, redirect_uri: "https://app.example/cb", code_verifier: verifier },
        basic,
      );
      expect(token.statusCode, token.body).toBe(200);
      const accessToken = token.json().access_token as string;

      const active = await postForm(app, "/oauth/introspect", { token: accessToken }, basic);
      expect(active.json()).toMatchObject({ active: true, client_id: clientId, sub: alice.id });
      const wrongSecret = { authorization: `Basic ${Buffer.from(`${clientId}:nope`).toString("base64")}` };
      expect((await postForm(app, "/oauth/introspect", { token: accessToken }, wrongSecret)).statusCode).toBe(401);
      const other = await registerApp({ name: "Other", redirectUris: ["https://other.example/cb"] });
      const otherBasic = {
        authorization: `Basic ${Buffer.from(`${other.clientId}:${other.clientSecret}`).toString("base64")}`,
      };
      expect((await postForm(app, "/oauth/introspect", { token: accessToken }, otherBasic)).json().active).toBe(false);

      expect((await postForm(app, "/oauth/revoke", { token: accessToken }, basic)).statusCode).toBe(200);
      expect((await whoami(accessToken)).statusCode).toBe(401);
      expect((await postForm(app, "/oauth/introspect", { token: accessToken }, basic)).json().active).toBe(false);
    });

    it("lets an app reach an org only when the user chose it", async () => {
      const acme = await seedOrg(ctx, "acme", alice);
      await seedRepo(ctx, alice, "acme/private", { private: true });
      const { clientId } = await registerApp({
        name: "Org app",
        redirectUris: ["https://app.example/cb"],
        scopes: ["profile", "read-repos"],
        public: true,
      });
      for (const [orgIds, status] of [
        [[], 404],
        [[acme.id], 200],
      ] as const) {
        const { verifier, consent } = await authorize(clientId, "https://app.example/cb", { orgIds: orgIds.join(",") });
        const uid = /action="\/oauth\/interaction\/([^/]+)\/consent"/.exec(consent.response.body)?.[1] ?? "";
        const back = await browser.follow("POST", `/oauth/interaction/${uid}/consent`, {
          csrf: hiddenValue(consent.response.body, "csrf"),
          decision: "allow",
          orgIds: [...orgIds],
        });
        const code = new URL(back.location ?? "").searchParams.get("code") ?? "";
        const token = (await exchange(code, "https://app.example/cb", verifier)).json().access_token as string;
        expect((await app.inject({ url: "/api/models/acme/private", headers: bearer(token) })).statusCode).toBe(status);
      }
    });
  });
});
