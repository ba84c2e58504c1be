/**
 * The Access Tokens pages in a real browser against a real Berth process, as a person uses them, with
 * the values then used by @huggingface/hub. Each page is checked with axe-core and screenshotted.
 */
import { checkRepoAccess, createRepo, HubApiError, modelInfo, whoAmI } from "@huggingface/hub";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRepo as seedRepoWithFiles } from "../../src/git/repo-lifecycle.ts";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { browserAvailable, checkPage, launchBrowser, signInWithForm, type TestBrowser } from "../helpers/browser.ts";
import { seedRepo, seedUser, TEST_PASSWORD } from "../helpers/seed.ts";

const TOKEN_VALUE = /^hf_[A-Za-z]{34}$/;

async function refusal(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HubApiError);
  return (error as HubApiError).statusCode;
}

/** The value shown once, taken with the page's Copy button from the clipboard. */
async function copiedValue(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Copy" }).click();
  await expect.poll(() => page.locator("[data-copied-for]").textContent()).toContain("Copied");
  const value = await page.evaluate(() => navigator.clipboard.readText());
  expect(value).toMatch(TOKEN_VALUE);
  expect(await page.getByLabel("Token value").inputValue()).toBe(value);
  return value;
}

async function manage(page: Page, tokenName: string, action: "Invalidate and refresh" | "Delete"): Promise<void> {
  await page.goto("/settings/tokens");
  const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: tokenName, exact: true }) });
  await row.getByText("Manage").click();
  await row.getByRole("button", { name: action }).click();
  const dialog = page.getByRole("dialog");
  await expect.poll(() => dialog.isVisible()).toBe(true);
  await dialog.getByRole("button", { name: action }).click();
}

describe.skipIf(!browserAvailable())("Access Tokens pages in Chromium", () => {
  let server: BerthServer;
  let browser: TestBrowser;
  let hubUrl: string;

  beforeAll(async () => {
    server = await startBerthServer({ dialect: "sqlite" });
    hubUrl = server.url;
    const ctx = await server.openContext();
    try {
      const alice = await seedUser(ctx, "alice");
      await seedRepoWithFiles(ctx, alice, {
        type: "model",
        namespace: "alice",
        name: "bert",
        private: true,
        files: [
          { path: "README.md", content: Buffer.from("# bert\n") },
          { path: "config.json", content: Buffer.from('{"model_type":"bert"}\n') },
        ],
      });
      await seedRepo(ctx, alice, "alice/other");
    } finally {
      await ctx.close();
    }
    browser = await launchBrowser(server.url);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("creates a fine-grained token for one repo, then refreshes and deletes it", async () => {
    const page = await browser.newPage();
    await page.goto("/login");
    await checkPage(page, "sign-in page", "sign-in");
    await signInWithForm(page, "alice", TEST_PASSWORD);

    await page.goto("/settings/tokens");
    await page.getByRole("link", { name: "Create new token" }).click();
    await expect.poll(() => page.getByLabel("Fine-grained").isChecked()).toBe(true);
    await page.getByLabel("Token name").fill("bert-ci");
    await page.getByLabel("Search for repositories").fill("bert");
    await page.getByRole("button", { name: "Add alice/bert" }).click();
    const scope = page.getByRole("group", { name: "model alice/bert" });
    await expect.poll(() => scope.getByLabel("Read access to contents").isChecked()).toBe(true);
    await scope.getByLabel("Write access to contents and settings").check();
    await checkPage(page, "new token form", "new-token-fine-grained");
    await page.getByRole("button", { name: "Create token" }).click();

    await page.getByRole("heading", { name: "Save your Access Token" }).waitFor();
    const first = await copiedValue(page);
    await checkPage(page, "token created", "token-created", [page.getByLabel("Token value")]);

    // The token works on its repo (private, so only with the token) and nowhere it was not given rights.
    expect((await modelInfo({ name: "alice/bert", hubUrl, accessToken: first })).name).toBe("alice/bert");
    await checkRepoAccess({ repo: { type: "model", name: "alice/bert" }, hubUrl, accessToken: first });
    expect(
      await refusal(createRepo({ repo: { type: "model", name: "alice/new-one" }, hubUrl, accessToken: first })),
    ).toBe(403);

    await page.goto("/settings/tokens");
    const row = page.getByRole("row").filter({ hasText: "bert-ci" });
    await expect.poll(() => row.textContent()).toContain(`hf_…${first.slice(-4)}`);
    expect(await page.content()).not.toContain(first);
    await checkPage(page, "tokens list", "tokens-list");

    await manage(page, "bert-ci", "Invalidate and refresh");
    await page.getByRole("heading", { name: "Token refreshed" }).waitFor();
    const second = await copiedValue(page);
    expect(second).not.toBe(first);
    expect(await refusal(whoAmI({ hubUrl, accessToken: first }))).toBe(401);
    await checkRepoAccess({ repo: { type: "model", name: "alice/bert" }, hubUrl, accessToken: second });

    await manage(page, "bert-ci", "Delete");
    await expect.poll(() => page.getByText("You have no access tokens yet.").isVisible()).toBe(true);
    expect(await page.getByRole("rowheader", { name: "bert-ci" }).count()).toBe(0);
    expect(await refusal(whoAmI({ hubUrl, accessToken: second }))).toBe(401);
    await page.close();
  });

  it("creates a read token through a deep link, and pre-fills the Hub's fine-grained deep link", async () => {
    const page = await browser.newPage();
    await page.goto(
      "/settings/tokens/new?tokenType=fineGrained&ownUserPermissions=inference.serverless.write&canReadGatedRepos=true",
    );
    expect(await page.getByLabel("Make calls to the inference API on your behalf").isChecked()).toBe(true);
    expect(await page.getByLabel("Read access to contents of all public gated repos you can access").isChecked()).toBe(
      true,
    );
    expect(
      await page
        .getByLabel("Write access to contents and settings of all repos under your personal namespace")
        .isChecked(),
    ).toBe(false);

    await page.goto("/settings/tokens/new?tokenType=read");
    expect(await page.getByLabel("Read", { exact: true }).isChecked()).toBe(true);
    expect(await page.locator("[data-fine-grained]").isHidden()).toBe(true);
    await page.getByLabel("Token name").fill("reader");
    await page.getByRole("button", { name: "Create token" }).click();
    const value = await copiedValue(page);

    const me = await whoAmI({ hubUrl, accessToken: value });
    expect(me.auth.accessToken).toMatchObject({ displayName: "reader", role: "read" });
    await checkRepoAccess({ repo: { type: "model", name: "alice/bert" }, hubUrl, accessToken: value });
    expect(
      await refusal(createRepo({ repo: { type: "model", name: "alice/by-reader" }, hubUrl, accessToken: value })),
    ).toBe(403);
    await page.close();
  });
});
