/**
 * Org and repo pages in a real browser against a real Berth process: an admin demotes a member and the
 * member's token loses the right at once; a visitor asks for access to a gated repo, the owner accepts it
 * on the access-requests page, and the visitor's token then passes. Each page is checked with axe-core
 * and screenshotted.
 */
import { createRepo, downloadFile, HubApiError } from "@huggingface/hub";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../src/auth/passwords.ts";
import type { Context } from "../../src/context.ts";
import { createRepo as seedRepoWithFiles } from "../../src/git/repo-lifecycle.ts";
import { createUser } from "../../src/store/users.ts";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { browserAvailable, checkPage, launchBrowser, signInWithForm, type TestBrowser } from "../helpers/browser.ts";
import { seedOrg, seedToken, TEST_PASSWORD } from "../helpers/seed.ts";

async function refusal(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HubApiError);
  return (error as HubApiError).statusCode;
}

async function namedUser(ctx: Context, name: string, fullname: string) {
  const passwordHash = await hashPassword(TEST_PASSWORD);
  return createUser(ctx.db, { name, email: `${name}@example.test`, fullname, passwordHash }, ctx.now());
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("link", { name: "Sign in" }).first().waitFor();
}

describe.skipIf(!browserAvailable())("org and repo pages in Chromium", () => {
  let server: BerthServer;
  let browser: TestBrowser;
  let hubUrl: string;
  let bobToken: string;
  let carolToken: string;

  beforeAll(async () => {
    server = await startBerthServer({ dialect: "sqlite" });
    hubUrl = server.url;
    const ctx = await server.openContext();
    try {
      const alice = await namedUser(ctx, "alice", "Alice Liddell");
      const bob = await namedUser(ctx, "bob", "Bob Builder");
      const carol = await namedUser(ctx, "carol", "Carol Danvers");
      await seedOrg(ctx, "acme", alice, { bob: [bob, "write"], carol: [carol, "read"] });
      await seedRepoWithFiles(ctx, alice, {
        type: "model",
        namespace: "alice",
        name: "llama-gated",
        private: false,
        gated: "manual",
        files: [
          { path: "README.md", content: Buffer.from("---\nlicense: mit\n---\n# Gated llama\n") },
          { path: "config.json", content: Buffer.from('{"model_type":"llama"}\n') },
          { path: "weights/model.bin", content: Buffer.alloc(3000, 1) },
        ],
      });
      bobToken = await seedToken(ctx, bob, { displayName: "bob-write", role: "write" });
      carolToken = await seedToken(ctx, carol, { displayName: "carol-read", role: "read" });
    } finally {
      await ctx.close();
    }
    browser = await launchBrowser(server.url);
  }, 90_000);

  afterAll(async () => {
    if (process.env.BERTH_TEST_LOG) console.log(server?.output());
    await browser?.close();
    await server?.stop();
  });

  it("an admin demotes a member on the org page and the member's token loses write at once", async () => {
    const created = await createRepo({
      repo: { type: "model", name: "acme/bob-first" },
      hubUrl,
      accessToken: bobToken,
    });
    expect(created.repoUrl).toContain("acme/bob-first");

    const page = await browser.newPage();
    await signInWithForm(page, "alice", TEST_PASSWORD);
    await page.goto("/acme");
    await page.getByRole("heading", { name: "Members" }).waitFor();
    await checkPage(page, "org page", "org-page");
    const bobRow = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "bob" }) });
    await bobRow.getByLabel("Role of bob").selectOption("read");
    await bobRow.getByRole("button", { name: "Change role" }).click();
    await expect.poll(async () => page.getByLabel("Role of bob").inputValue()).toBe("read");

    expect(
      await refusal(createRepo({ repo: { type: "model", name: "acme/bob-second" }, hubUrl, accessToken: bobToken })),
    ).toBe(403);
    await signOut(page);
    await page.close();
  });

  it("a visitor asks for access to a gated repo, the owner accepts, and the visitor's token passes", async () => {
    const gated = { type: "model" as const, name: "alice/llama-gated" };
    // auth-check is what huggingface_hub asks before a gated download; downloadFile reads behind the gate.
    const authCheck = async () =>
      (
        await fetch(`${hubUrl}/api/models/alice/llama-gated/auth-check`, {
          headers: { authorization: `Bearer ${carolToken}` },
        })
      ).status;
    const download = () => downloadFile({ repo: gated, path: "config.json", hubUrl, accessToken: carolToken });
    expect(await authCheck()).toBe(403);
    expect(await refusal(download())).toBe(403);

    const page = await browser.newPage();
    await signInWithForm(page, "carol", TEST_PASSWORD);
    await page.goto("/alice/llama-gated");
    const ask = page.getByRole("button", { name: "Agree and access repository" });
    await ask.waitFor();
    await checkPage(page, "gated request form", "gated-request-form");
    await ask.click();
    await page.getByRole("heading", { name: "Your request to access this repository is pending" }).waitFor();
    expect(await authCheck()).toBe(403);
    await signOut(page);

    await signInWithForm(page, "alice", TEST_PASSWORD);
    await page.goto("/alice/llama-gated/tree/main");
    await page.getByRole("link", { name: "config.json", exact: true }).waitFor();
    await checkPage(page, "repo files", "repo-page");
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "Delete this repository" }).waitFor();
    await checkPage(page, "repo settings", "repo-settings");
    await page.getByRole("link", { name: "Access requests", exact: true }).click();
    const pending = page.getByRole("region", { name: /Pending requests/ });
    await pending.getByRole("rowheader", { name: /carol/ }).waitFor();
    await checkPage(page, "access requests", "access-requests");
    await pending.getByRole("button", { name: "Accept carol" }).click();
    await page
      .getByRole("region", { name: /Accepted requests \(1\)/ })
      .getByRole("rowheader", { name: /carol/ })
      .waitFor();
    await signOut(page);

    expect(await authCheck()).toBe(200);
    expect(await (await download())?.text()).toContain("llama");
    await signInWithForm(page, "carol", TEST_PASSWORD);
    await page.goto("/alice/llama-gated");
    await page.getByText("You have been granted access to this repository.").waitFor();
    await page.close();
  });

  it("refuses the settings page to a member without admin rights, and hides a private repo", async () => {
    const page = await browser.newPage();
    await signInWithForm(page, "carol", TEST_PASSWORD);
    const settings = await page.goto("/alice/llama-gated/settings");
    expect(settings?.status()).toBe(403);
    const missing = await page.goto("/alice/no-such-repo");
    expect(missing?.status()).toBe(404);
    await checkPage(page, "not found page");
    await page.close();
  });
});
