import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Context } from "../../src/context.ts";
import type { Repo } from "../../src/domain/entities.ts";
import { findRepoLfsObject } from "../../src/store/lfs-objects.ts";
import { findRepo } from "../../src/store/repos.ts";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { git, gitOk } from "../helpers/git-client.ts";
import { FAKE_TOKEN, seedRepo, seedToken, seedUser } from "../helpers/seed.ts";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("git and git-lfs against a Berth process", () => {
  let server: BerthServer;
  let ctx: Context;
  let home: string;
  let repo: Repo;
  let host: string;
  const tokens = { write: "", read: "", otherRepo: "" };
  const big = randomBytes(3 * 1024 * 1024);
  // Regular (non-LFS) content larger than the API body limit, so the pack itself is big.
  const text = `${randomBytes(1024 * 1024).toString("hex")}\n`;

  const remote = (token: string | undefined, repoPath = "alice/repo") =>
    token === undefined ? `${server.url}/${repoPath}` : `http://hf_user:${token}@${host}/${repoPath}`;

  beforeAll(async () => {
    server = await startBerthServer({ dialect: "sqlite" });
    host = new URL(server.url).host;
    ctx = await server.openContext();
    const alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/repo", { private: true });
    await seedRepo(ctx, alice, "alice/other");
    await seedRepo(ctx, alice, "alice/open");
    tokens.write = await seedToken(ctx, alice, { role: "write" });
    tokens.read = await seedToken(ctx, alice, { role: "read" });
    tokens.otherRepo = await seedToken(ctx, alice, {
      role: "fineGrained",
      scoped: [{ entity: { type: "model", name: "alice/other" }, permissions: ["repo.content.read", "repo.write"] }],
    });
    home = mkdtempSync(path.join(tmpdir(), "berth-git-home-"));
    // Global in the isolated config, so a plain `git clone` smudges LFS files.
    await gitOk(home, ["lfs", "install"]);
  }, 120_000);

  async function findUserOf(name: string) {
    const { getUserByName } = await import("../../src/store/users.ts");
    return getUserByName(ctx.db, name);
  }

  afterAll(async () => {
    await ctx?.close();
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("answers anonymous pushes and anonymous reads of a private repo with a Basic challenge", async () => {
    for (const url of [
      `${server.url}/alice/open/info/refs?service=git-receive-pack`,
      `${server.url}/alice/repo.git/info/refs?service=git-upload-pack`,
      `${server.url}/alice/missing/info/refs?service=git-upload-pack`,
    ]) {
      const response = await fetch(url);
      expect(response.status, url).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Basic realm="Berth"');
      await response.arrayBuffer();
    }
    const open = await fetch(`${server.url}/alice/open.git/info/refs?service=git-upload-pack`);
    expect(open.status).toBe(200);
    expect(open.headers.get("content-type")).toBe("application/x-git-upload-pack-advertisement");
    await open.arrayBuffer();
  });

  it("refuses a clone with an unknown token", async () => {
    const run = await git(home, ["clone", remote(FAKE_TOKEN), "unknown"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Authentication failed|401/);
  });

  it("keeps nothing of an LFS upload whose client hangs up halfway", async () => {
    const bytes = randomBytes(256 * 1024);
    const response = await fetch(`${server.url}/alice/open.git/info/lfs/objects/batch`, {
      method: "POST",
      headers: { "content-type": "application/vnd.git-lfs+json", authorization: `Bearer ${tokens.write}` },
      body: JSON.stringify({ operation: "upload", objects: [{ oid: sha256(bytes), size: bytes.length }] }),
    });
    const href = new URL((await response.json()).objects[0].actions.upload.href as string);
    await new Promise<void>((resolve) => {
      const request = http.request(href, { method: "PUT", headers: { "content-length": bytes.length } });
      request.on("error", () => resolve());
      request.write(bytes.subarray(0, 100 * 1024), () => setTimeout(() => request.destroy(), 200));
      request.on("close", () => resolve());
    });
    const tmp = path.join(server.dataDir, "tmp");
    await expect.poll(() => readdirSync(tmp).filter((name) => name.startsWith("lfs-"))).toEqual([]);
    const open = await findRepo(ctx.db, "model", "alice", "open");
    expect(open && (await findRepoLfsObject(ctx.db, open.id, sha256(bytes)))).toBeUndefined();
  });

  it("refuses an anonymous clone of a private repo", async () => {
    const run = await git(home, ["clone", remote(undefined), "anonymous"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/could not read Username|Authentication failed|401/);
  });

  it("clones with the token in the URL, pushes text and LFS files, and a fresh clone smudges them", async () => {
    const work = path.join(home, "work");
    await gitOk(home, ["clone", remote(tokens.write), work]);
    expect(readFileSync(path.join(work, ".gitattributes"), "utf8")).toMatch(/\*\.bin filter=lfs/);

    writeFileSync(path.join(work, "README.md"), "# repo\n");
    writeFileSync(path.join(work, "notes.txt"), text);
    mkdirSync(path.join(work, "weights"));
    writeFileSync(path.join(work, "weights", "model.bin"), big);
    await gitOk(home, ["add", "-A"], work);
    await gitOk(home, ["commit", "-q", "-m", "add weights"], work);
    const pointer = await gitOk(home, ["show", "HEAD:weights/model.bin"], work);
    expect(pointer.stdout).toContain(`oid sha256:${sha256(big)}`);
    const before = (await findRepo(ctx.db, "model", "alice", "repo"))?.lastModified;

    await gitOk(home, ["push", "origin", "main"], work);

    const head = (await gitOk(home, ["rev-parse", "HEAD"], work)).stdout.trim();
    expect(await ctx.storage.resolveRevision("model", repo.id, "main")).toBe(head);
    expect(await findRepoLfsObject(ctx.db, repo.id, sha256(big))).toBe(big.length);
    await expect
      .poll(async () => (await findRepo(ctx.db, "model", "alice", "repo"))?.lastModified.getTime())
      .toBeGreaterThan(before?.getTime() ?? Number.POSITIVE_INFINITY);

    const fresh = path.join(home, "fresh");
    await gitOk(home, ["clone", remote(tokens.read), fresh]);
    expect(readFileSync(path.join(fresh, "weights", "model.bin")).equals(big)).toBe(true);
    expect(readFileSync(path.join(fresh, "notes.txt"), "utf8")).toBe(text);
  });

  it("fetches with protocol v2 and v0, gzip request bodies included", async () => {
    const work = path.join(home, "work");
    const fresh = path.join(home, "fresh");
    // Many local commits make the fetch negotiation body large enough for git to gzip it.
    for (let i = 0; i < 40; i++) {
      await gitOk(home, ["commit", "-q", "--allow-empty", "-m", `local ${i}`], fresh);
    }
    writeFileSync(path.join(work, "README.md"), "# repo, second edition\n");
    await gitOk(home, ["commit", "-q", "-am", "second"], work);
    await gitOk(home, ["push", "-q", "origin", "main"], work);
    const head = (await gitOk(home, ["rev-parse", "HEAD"], work)).stdout.trim();

    const v2 = await gitOk(home, ["-c", "protocol.version=2", "fetch", "origin"], fresh, {
      GIT_TRACE_PACKET: "1",
      GIT_TRACE_CURL: "1",
      GIT_TRACE_CURL_NO_DATA: "1",
    });
    expect(v2.stderr).toMatch(/git< version 2/);
    expect(v2.stderr).toMatch(/Content-Encoding: gzip/i);
    expect((await gitOk(home, ["rev-parse", "origin/main"], fresh)).stdout.trim()).toBe(head);

    const v0 = path.join(home, "v0");
    await gitOk(home, ["-c", "protocol.version=0", "clone", "-q", remote(tokens.read), v0], undefined, {
      GIT_LFS_SKIP_SMUDGE: "1",
    });
    expect((await gitOk(home, ["rev-parse", "HEAD"], v0)).stdout.trim()).toBe(head);
  });

  it("refuses a push with a read token (403) and leaves the branch alone", async () => {
    const work = path.join(home, "work");
    const before = await ctx.storage.resolveRevision("model", repo.id, "main");
    writeFileSync(path.join(work, "README.md"), "# not allowed\n");
    await gitOk(home, ["commit", "-q", "-am", "denied"], work);
    const run = await git(home, ["push", remote(tokens.read), "main"], work);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/403/);
    // git prints a text/plain error body: the user reads the API's reason, not a bare status.
    expect(run.stderr).toContain(
      "remote: This token has the read role; write access needs a write or fine-grained token",
    );
    expect(await ctx.storage.resolveRevision("model", repo.id, "main")).toBe(before);
  });

  it("tells git users why a clone is refused, and a stranger only that the repo is not found", async () => {
    const bob = await seedUser(ctx, "bob");
    const bobToken = await seedToken(ctx, bob, { role: "read" });
    await seedRepo(ctx, bob, "bob/gated", { gated: "manual" });
    const alice = await findUserOf("alice");
    const aliceOnGated = await seedToken(ctx, alice, { role: "read" });
    const gated = await git(home, ["clone", remote(aliceOnGated, "bob/gated"), "gated-clone"]);
    expect(gated.code).not.toBe(0);
    expect(gated.stderr).toContain(
      "remote: Access to model bob/gated is restricted and you are not in the authorized list.",
    );
    // The private repo of another user: the same words as a missing one, nothing more.
    const hidden = await git(home, ["clone", remote(bobToken, "alice/repo"), "hidden-clone"]);
    const missing = await git(home, ["clone", remote(bobToken, "alice/no-such-repo"), "missing-clone"]);
    expect(hidden.stderr).toContain("remote: Repository not found");
    expect(hidden.stderr.replaceAll("alice/repo", "X").replaceAll("hidden-clone", "Y")).toBe(
      missing.stderr.replaceAll("alice/no-such-repo", "X").replaceAll("missing-clone", "Y"),
    );
  });

  it("refuses a push with a fine-grained token scoped to another repo", async () => {
    const work = path.join(home, "work");
    const before = await ctx.storage.resolveRevision("model", repo.id, "main");
    const run = await git(home, ["push", remote(tokens.otherRepo), "main"], work);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/40[34]|not found/i);
    expect(await ctx.storage.resolveRevision("model", repo.id, "main")).toBe(before);
  });

  it("pushes a repo's history and LFS objects into another repo with a token scoped to it", async () => {
    const work = path.join(home, "work");
    const run = await gitOk(home, ["push", "--force", remote(tokens.otherRepo, "alice/other.git"), "main"], work);
    expect(run.code).toBe(0);
    const other = await findRepo(ctx.db, "model", "alice", "other");
    if (!other) throw new Error("alice/other vanished");
    const head = (await gitOk(home, ["rev-parse", "HEAD"], work)).stdout.trim();
    expect(await ctx.storage.resolveRevision("model", other.id, "main")).toBe(head);
    // The object was already in the store for alice/repo; alice/other holds it only after its own upload.
    expect(await findRepoLfsObject(ctx.db, other.id, sha256(big))).toBe(big.length);
  });
});
