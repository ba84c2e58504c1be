/**
 * A new user's day on the hub, in Chromium against a real Berth process: sign up, create an org and a
 * model, make a token and upload through @huggingface/hub, then browse the card, the files, a file, the
 * history and a diff, switch to a tag and copy a snippet. axe-core checks every page (no serious or
 * critical violation) and no page logs a CSP violation. Hostile READMEs, file names, commit messages and
 * front matter stay text; a private repo's pages are the same 404 as a missing repo's for a stranger.
 */
import { commit, createRepo, uploadFiles } from "@huggingface/hub";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { browserAvailable, checkPage, launchBrowser, type TestBrowser } from "../helpers/browser.ts";

const PASSWORD = "a long and careful password";
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR42mP8z8DwnwEIGBkZGRkYGAAYPgL+4ZtMSQAAAABJRU5ErkJggg==",
  "base64",
);
/** Each payload sets a flag if it ever runs; the test reads the flags in the page. */
const XSS = {
  readme: `<script>window.__xss = "readme-script"</script><img src=x onerror="window.__xss='readme-img'"><a href="javascript:window.__xss='link'">click</a><iframe src="https://evil.example/"></iframe><div style="position:fixed;inset:0;background:red">cover</div>`,
  frontMatter: `"<script>window.__xss='front-matter'</script>"`,
  fileName: `<img src=x onerror="window.__xss='file-name'">.txt`,
  commit: `<img src=x onerror="window.__xss='commit'"> fix`,
};
const README = `---
license: mit
library_name: transformers
pipeline_tag: text-classification
datasets:
  - lab/reviews
tags:
  - ${XSS.frontMatter}
---
# Tiny BERT

A tiny classifier. ![diagram](images/diagram.png) ![remote](https://evil.example/track.png)

\`\`\`python
from transformers import pipeline
print(pipeline("text-classification", model="lab/tiny-bert")("great"))
\`\`\`

${XSS.readme}
`;

async function expectNoXss(page: Page, label: string): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss), label).toBeUndefined();
  const active = await page.evaluate(
    () =>
      document.querySelectorAll("main script, main iframe, main [onerror], main [style], main a[href^='javascript']")
        .length,
  );
  expect(active, label).toBe(0);
}

describe.skipIf(!browserAvailable())("a new user's day on the hub in Chromium", () => {
  let server: BerthServer;
  let browser: TestBrowser;
  let page: Page;
  let token = "";

  beforeAll(async () => {
    server = await startBerthServer({ dialect: "sqlite", env: { BERTH_ALLOW_SIGNUP: "1" } });
    browser = await launchBrowser(server.url);
    page = await browser.newPage();
  }, 90_000);

  afterAll(async () => {
    if (process.env.BERTH_TEST_LOG) console.log(server?.output());
    await browser?.close();
    await server?.stop();
  });

  it("shows a visitor the hub and how to point tools at it", async () => {
    await page.goto("/");
    await page.getByRole("heading", { name: "Point your tools at this hub" }).waitFor();
    expect(await page.locator("main").textContent()).toContain(`HF_ENDPOINT=${server.url}`);
    await checkPage(page, "anonymous home", "home-anonymous");
  });

  it("signs up, lands on the home page, and creates an organization", async () => {
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Username").fill("dana");
    await page.getByLabel("Full name").fill("Dana Scully");
    await page.getByLabel("Email").fill("dana@example.test");
    await page.getByLabel("Password").fill(PASSWORD);
    await checkPage(page, "sign up");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Welcome, Dana Scully" }).waitFor();
    await checkPage(page, "signed-in home", "home-signed-in");

    await page.getByRole("link", { name: "New organization" }).click();
    await page.getByLabel("Organization name").fill("lab");
    await page.getByLabel("Full name").fill("The Lab");
    await checkPage(page, "new organization", "new-organization");
    await page.getByRole("button", { name: "Create organization" }).click();
    await page.waitForURL(`${server.url}/lab`);
    await page.getByRole("heading", { name: "Members" }).waitFor();
    expect(await page.getByRole("rowheader", { name: "dana" }).count()).toBe(1);
    await checkPage(page, "organization page");
  });

  it("creates a model in the org from the owner picker", async () => {
    await page.getByRole("link", { name: "New model in lab" }).click();
    expect(await page.getByLabel("Owner").inputValue()).toBe("lab");
    await page.getByLabel("Repository name").fill("tiny-bert");
    await page.getByLabel("License").selectOption("mit");
    await checkPage(page, "new model", "new-model");
    await page.getByRole("button", { name: "Create model" }).click();
    await page.waitForURL(`${server.url}/lab/tiny-bert`);
    await page.getByRole("heading", { name: "Use this model" }).waitFor();
    await checkPage(page, "empty model card");
  });

  it("makes a write token and uploads files, LFS weights and a hostile commit through @huggingface/hub", async () => {
    await page.goto("/settings/tokens/new?tokenType=write");
    await page.getByLabel("Token name").fill("laptop");
    await page.getByRole("button", { name: "Create token" }).click();
    token = await page.locator("#token-value").inputValue();
    expect(token).toMatch(/^hf_/);

    const repo = { type: "model" as const, name: "lab/tiny-bert" };
    const common = { repo, hubUrl: server.url, accessToken: token };
    await uploadFiles({
      ...common,
      commitTitle: "Add the model card, config, code and weights",
      files: [
        { path: "README.md", content: new Blob([README]) },
        { path: "config.json", content: new Blob(['{\n  "hidden_size": 128,\n  "num_labels": 2\n}\n']) },
        { path: "model.py", content: new Blob(["import torch\n\n\ndef forward(x):\n    return x * 2  # double\n"]) },
        { path: "images/diagram.png", content: new Blob([PNG]) },
        { path: "model.safetensors", content: new Blob([Buffer.alloc(12_000, 7)]) },
      ],
    });
    const tagged = await fetch(`${server.url}/api/models/lab/tiny-bert/tag/main`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ tag: "v1.0" }),
    });
    expect(tagged.status).toBe(200);
    await commit({
      ...common,
      title: XSS.commit,
      operations: [
        {
          operation: "addOrUpdate",
          path: "config.json",
          content: new Blob(['{\n  "hidden_size": 256,\n  "num_labels": 2\n}\n']),
        },
        { operation: "addOrUpdate", path: XSS.fileName, content: new Blob(["hello\n"]) },
      ],
    });
  });

  it("shows the card with its metadata as tags, the code highlighted, and nothing hostile running", async () => {
    await page.goto("/lab/tiny-bert");
    const card = page.getByRole("article", { name: "Model card" });
    await card.getByRole("heading", { name: "Tiny BERT" }).waitFor();
    const tags = page.getByRole("list", { name: "Metadata" });
    expect(await tags.textContent()).toContain("mit");
    expect(await tags.textContent()).toContain("text-classification");
    expect(await tags.textContent()).toContain("<script>window.__xss='front-matter'</script>");
    expect(await card.textContent()).not.toContain("license: mit");
    // The repo's own image loads; the remote one is a link, never requested.
    await expect
      .poll(() => card.locator("img[alt=diagram]").evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBe(2);
    expect(await card.locator("img[src*='evil.example']").count()).toBe(0);
    expect(await card.getByRole("link", { name: "Remote image, not loaded: remote" }).count()).toBe(1);
    expect(await card.locator("span.hl-keyword", { hasText: "from" }).count()).toBeGreaterThan(0);
    // The card's box is no wider than its column: the fixed overlay did not escape.
    const widths = await page.evaluate(() => {
      const article = document.querySelector("article.markdown") as HTMLElement;
      return { card: article.scrollWidth, column: (article.parentElement as HTMLElement).clientWidth };
    });
    expect(widths.card).toBeLessThanOrEqual(widths.column);
    await expectNoXss(page, "card");
    await checkPage(page, "model card", "repo-card");

    const snippet = page.locator("#snippet-transformers");
    await page.locator('button[data-copy="snippet-transformers"]').click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(await snippet.textContent());
    expect(copied).toContain(`HF_ENDPOINT=${server.url}`);
    expect(copied).toContain('pipeline("text-classification", model="lab/tiny-bert")');
  });

  it("browses the files, a highlighted file, an image and the weights with their sha256", async () => {
    await page.getByRole("link", { name: "Files and versions" }).click();
    const files = page.getByRole("table", { name: /Files at main/ });
    await files.getByRole("link", { name: "config.json", exact: true }).waitFor();
    expect(
      await files
        .getByRole("row", { name: /model\.safetensors/ })
        .getByText("LFS")
        .count(),
    ).toBe(1);
    expect(await files.locator("th", { hasText: XSS.fileName }).count()).toBe(1);
    await expectNoXss(page, "files");
    await checkPage(page, "files", "repo-files");

    await files.getByRole("link", { name: "config.json", exact: true }).click();
    await page.getByRole("heading", { name: "config.json" }).waitFor();
    expect(await page.locator("table.code tr").count()).toBe(4);
    expect(await page.locator("span.hl-key", { hasText: '"hidden_size"' }).count()).toBe(1);
    await checkPage(page, "file view", "file-view");

    await page.goto("/lab/tiny-bert/blob/main/images/diagram.png");
    await expect
      .poll(() => page.locator(".image-view img").evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBe(2);
    await checkPage(page, "image view");

    await page.goto("/lab/tiny-bert/blob/main/model.safetensors");
    await page.getByText("This file is stored with Git LFS.").waitFor();
    expect(await page.locator("main").textContent()).toMatch(/SHA-256\s*[0-9a-f]{64}/);
    await checkPage(page, "LFS file view");
  });

  it("reads the history and a diff, with the hostile commit message as text", async () => {
    await page.goto("/lab/tiny-bert/tree/main");
    await page.getByRole("link", { name: "History", exact: true }).click();
    await page.getByRole("heading", { name: /3 commits/ }).waitFor();
    await expectNoXss(page, "history");
    await checkPage(page, "history", "repo-history");
    await page.getByRole("link", { name: XSS.commit }).click();
    await page.getByRole("heading", { name: XSS.commit }).waitFor();
    const diff = page.getByRole("table", { name: "Changes to config.json" });
    expect(await diff.locator("tr.delete").textContent()).toContain('"hidden_size": 128');
    expect(await diff.locator("tr.insert").textContent()).toContain('"hidden_size": 256');
    await expectNoXss(page, "commit");
    await checkPage(page, "commit", "commit-diff");

    await page.goto("/lab/tiny-bert/commits/main");
    await page.getByRole("link", { name: "Add the model card, config, code and weights" }).click();
    const weights = page.getByRole("article", { name: /model\.safetensors/ });
    expect(await weights.textContent()).toMatch(/An LFS file[\s\S]*LFS sha256 [0-9a-f]{64}/);
    await checkPage(page, "commit with LFS");
  });

  it("switches the file view to a tag", async () => {
    await page.goto("/lab/tiny-bert/tree/main");
    await page.locator(".rev-menu summary").click();
    await page.getByRole("link", { name: "v1.0" }).click();
    await page.waitForURL(`${server.url}/lab/tiny-bert/tree/v1.0`);
    await page.locator(".rev-menu summary", { hasText: "v1.0" }).waitFor();
    // The tag points at the first upload: the hostile file came later.
    expect(await page.locator("th", { hasText: XSS.fileName }).count()).toBe(0);
    await checkPage(page, "tree at a tag");
  });

  it("finds the model in the listing and on the profiles", async () => {
    await page.goto("/models?search=tiny");
    await page.getByRole("link", { name: "lab/tiny-bert" }).waitFor();
    await checkPage(page, "models listing", "models-listing");
    await page.goto("/dana");
    await page.getByRole("link", { name: "The Lab" }).waitFor();
    await checkPage(page, "user profile");
  });

  it("answers a stranger on a private repo's pages exactly as on a missing repo", async () => {
    await createRepo({
      repo: { type: "model", name: "lab/secret" },
      private: true,
      hubUrl: server.url,
      accessToken: token,
    });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("link", { name: "Sign in" }).first().waitFor();
    const visitor = page;
    for (const view of ["", "/tree/main", "/blob/main/README.md", "/commits/main", "/settings"]) {
      const hidden = await visitor.goto(`/lab/secret${view}`);
      const hiddenText = (await visitor.locator("main").textContent()) ?? "";
      const missing = await visitor.goto(`/lab/nothing${view}`);
      const missingText = (await visitor.locator("main").textContent()) ?? "";
      expect([hidden?.status(), missing?.status()], view).toEqual([404, 404]);
      expect(hiddenText).toBe(missingText);
    }
    await checkPage(visitor, "not found");
  });
});
