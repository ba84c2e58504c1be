/**
 * Signing in with Berth in a real browser against a real Berth process: an app on its own origin
 * driven by @huggingface/hub's OAuth helpers (authorization code + PKCE), and `hf auth login`'s device
 * flow with its person at the browser. The tokens then work with real git and LFS, and die everywhere
 * when revoked from Settings → Connected Apps. Each page is checked with axe-core and screenshotted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HubApiError, whoAmI } from "@huggingface/hub";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerApp } from "../../src/auth/oauth-clients.ts";
import { createRepo as seedRepoWithFiles } from "../../src/git/repo-lifecycle.ts";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { browserAvailable, checkPage, launchBrowser, signInWithForm, type TestBrowser } from "../helpers/browser.ts";
import { testDialects } from "../helpers/databases.ts";
import { git } from "../helpers/git-client.ts";
import { type DemoApp, startDemoApp } from "../helpers/oauth-demo-app.ts";
import { DEVICE_GRANT, HF_CLI } from "../helpers/oauth-flows.ts";
import { seedUser, TEST_PASSWORD } from "../helpers/seed.ts";

async function status(promise: Promise<unknown>): Promise<number> {
  return promise.then(
    () => 200,
    (error: unknown) => (error instanceof HubApiError ? error.statusCode : -1),
  );
}

async function revokeInSettings(page: Page): Promise<void> {
  await page.goto("/settings/connected-applications");
  await page.getByRole("button", { name: "Revoke" }).first().click();
  const dialog = page.getByRole("dialog");
  await expect.poll(() => dialog.isVisible()).toBe(true);
  await dialog.getByRole("button", { name: "Revoke" }).click();
  await page.getByText("You have not authorized any app.").waitFor();
}

describe.skipIf(!browserAvailable()).each(testDialects())("Sign in with Berth in Chromium on %s", (dialect) => {
  let server: BerthServer;
  let browser: TestBrowser;
  let app: DemoApp;
  let clientId = "";
  let home: string;

  beforeAll(async () => {
    server = await startBerthServer({ dialect });
    app = await startDemoApp({ hubUrl: server.url, clientId: () => clientId, scopes: "openid profile read-repos" });
    const ctx = await server.openContext();
    try {
      const alice = await seedUser(ctx, "alice");
      await seedRepoWithFiles(ctx, alice, {
        type: "model",
        namespace: "alice",
        name: "secret",
        private: true,
        files: [{ path: "README.md", content: Buffer.from("# secret\n") }],
      });
      const registered = await registerApp(
        ctx,
        { kind: "user", id: alice.id },
        { name: "Demo app", redirectUris: [`${app.url}/`], scopes: ["profile", "read-repos"], isPublic: true },
      );
      clientId = registered.client.id;
    } finally {
      await ctx.close();
    }
    browser = await launchBrowser(server.url);
    home = mkdtempSync(path.join(tmpdir(), "berth-oauth-git-"));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const clone = (token: string) =>
    git(home, ["clone", `${server.url.replace("://", `://alice:${token}@`)}/alice/secret`, `c-${Math.random()}`]);
  const lfsBatch = (token: string) =>
    fetch(`${server.url}/alice/secret.git/info/lfs/objects/batch`, {
      method: "POST",
      headers: {
        accept: "application/vnd.git-lfs+json",
        "content-type": "application/vnd.git-lfs+json",
        authorization: `Basic ${Buffer.from(`alice:${token}`).toString("base64")}`,
      },
      body: JSON.stringify({ operation: "download", objects: [{ oid: "a".repeat(64), size: 1 }] }),
    }).then((response) => response.status);

  it("signs an app in with @huggingface/hub's oauthLoginUrl and oauthHandleRedirect; revoking ends it everywhere", async () => {
    const page = await browser.newPage();
    await page.goto(app.url);
    await page.getByRole("button", { name: "Sign in with Berth" }).click();
    await page.waitForURL((url) => url.pathname === "/login");
    await page.getByLabel("Username or email").fill("alice");
    await page.getByLabel("Password").fill(TEST_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();

    await page.getByRole("heading", { name: "Authorize Demo app" }).waitFor();
    expect(await page.content()).toContain("Read your repositories, private ones included");
    await checkPage(page, "consent page", "oauth-consent");
    await page.getByRole("button", { name: "Authorize Demo app" }).click();

    await page.waitForURL((url) => url.origin === app.url);
    await expect.poll(() => page.locator("#out").textContent(), { timeout: 15_000 }).toContain("accessToken");
    const result = JSON.parse((await page.locator("#out").textContent()) ?? "{}");
    expect(result.userInfo.preferred_username).toBe("alice");
    const token = result.accessToken as string;
    expect(token).toMatch(/^hf_oauth_[A-Za-z]{34}$/);

    expect((await whoAmI({ hubUrl: server.url, accessToken: token })).name).toBe("alice");
    expect((await clone(token)).code).toBe(0);
    expect(await lfsBatch(token)).toBe(200);

    await page.goto("/settings/connected-applications");
    await checkPage(page, "connected apps", "connected-apps");
    await revokeInSettings(page);
    expect(await status(whoAmI({ hubUrl: server.url, accessToken: token }))).toBe(401);
    expect((await clone(token)).code).not.toBe(0);
    expect(await lfsBatch(token)).toBe(401);
    await page.close();
  });

  it("registers an app in Settings → OAuth Apps, shows its secret once, rotates and deletes it", async () => {
    const page = await browser.newPage();
    await page.goto("/login");
    if (await page.getByLabel("Password").isVisible()) await signInWithForm(page, "alice", TEST_PASSWORD);
    await page.goto("/settings/applications/new");
    await page.getByLabel("Name", { exact: true }).fill("Backend");
    await page.getByLabel("Redirect URIs").fill("https://backend.example/callback");
    await page.getByLabel(/read-repos/).check();
    await checkPage(page, "new app form", "oauth-app-new");
    await page.getByRole("button", { name: "Create app" }).click();
    const secret = await page.getByLabel("Client secret").inputValue();
    expect(secret).toMatch(/^berth_cs_/);
    await checkPage(page, "app credentials", undefined);
    await page.getByRole("link", { name: "Done" }).click();
    expect(await page.content()).not.toContain(secret);
    await checkPage(page, "apps list", "oauth-apps");

    const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Backend" }) });
    await row.getByRole("button", { name: "Rotate secret" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Replace the secret" }).click();
    const rotated = await page.getByLabel("Client secret").inputValue();
    expect(rotated).not.toBe(secret);
    await page.goto("/settings/applications");
    await row.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => page.getByRole("rowheader", { name: "Backend" }).count()).toBe(0);
    expect(await page.getByRole("rowheader", { name: "Demo app" }).count()).toBe(1);
    await page.close();
  });

  it("signs hf auth login in through the device page and the same consent screen", async () => {
    const form = (fields: Record<string, string>) => ({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    const device = await (await fetch(`${server.url}/oauth/device`, form({ client_id: HF_CLI }))).json();
    expect(device.verification_uri).toBe(`${server.url}/oauth/device`);

    const page = await browser.newPage();
    await page.goto("/login");
    if (await page.getByLabel("Password").isVisible()) await signInWithForm(page, "alice", TEST_PASSWORD);
    await page.goto(device.verification_uri);
    await checkPage(page, "device code page", "oauth-device-code");
    await page.getByLabel("Code").fill(device.user_code);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: /Authorize huggingface_hub/ }).waitFor();
    await checkPage(page, "device consent");
    await page.getByRole("button", { name: /Authorize huggingface_hub/ }).click();
    await page.getByRole("heading", { name: "Device connected" }).waitFor();
    await checkPage(page, "device connected");

    const answer = await fetch(
      `${server.url}/oauth/token`,
      form({ grant_type: DEVICE_GRANT, device_code: device.device_code, client_id: HF_CLI }),
    );
    expect(answer.status).toBe(200);
    const token = await answer.json();
    expect((await whoAmI({ hubUrl: server.url, accessToken: token.access_token })).name).toBe("alice");
    expect((await clone(token.access_token)).code).toBe(0);

    const renewed = await fetch(
      `${server.url}/oauth/token`,
      form({ grant_type: "refresh_token", refresh_token: token.refresh_token, client_id: HF_CLI }),
    );
    expect(renewed.status).toBe(200);
    await revokeInSettings(page);
    expect((await clone((await renewed.json()).access_token)).code).not.toBe(0);
    await page.close();
  });
});
