import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedOrg, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, TEST_PUBLIC_URL, type TestContext } from "../../../test/helpers/test-context.ts";
import type { User } from "../../domain/entities.ts";
import { defaultGitattributes } from "../../domain/gitattributes.ts";
import { gitOrThrow } from "../../git/git-command.ts";
import { findRepo } from "../../store/repos.ts";
import { buildApp } from "../app.ts";

describe.each(testDialects())("repository lifecycle routes on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let aliceToken: string;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
    alice = await seedUser(ctx, "alice");
    aliceToken = await seedToken(ctx, alice, { role: "write" });
  });
  afterEach(async () => ctx.dispose());

  const create = (token: string, body: object) =>
    app.inject({ method: "POST", url: "/api/repos/create", headers: bearer(token), payload: body });
  const info = (token: string | undefined, path: string) =>
    app.inject({ url: `/api/${path}`, headers: token ? bearer(token) : {} });
  async function showFile(type: "model" | "dataset" | "space", id: string, path: string): Promise<string> {
    const out = await gitOrThrow(["show", `main:${path}`], { cwd: ctx.storage.pathOf(type, id) });
    return out.toString("utf8");
  }

  describe("POST /api/repos/create", () => {
    it("creates a repo in the caller's namespace with one commit holding .gitattributes", async () => {
      const response = await create(aliceToken, { name: "bert", organization: "alice", type: "model" });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toEqual({ url: `${TEST_PUBLIC_URL}/alice/bert`, name: "alice/bert", id: expect.any(String) });
      expect(body.id).toMatch(/^[0-9a-f]{24}$/);

      const repo = await findRepo(ctx.db, "model", "alice", "bert");
      expect(repo?.id).toBe(body.id);
      const head = await ctx.storage.readBranch("model", body.id, "main");
      const infoBody = (await info(aliceToken, "models/alice/bert")).json();
      expect(infoBody.sha).toBe(head);
      expect(infoBody.siblings).toEqual([{ rfilename: ".gitattributes" }]);
      expect(await showFile("model", body.id, ".gitattributes")).toBe(defaultGitattributes("model"));
      const count = await gitOrThrow(["rev-list", "--count", "main"], { cwd: ctx.storage.pathOf("model", body.id) });
      expect(count.toString().trim()).toBe("1");
    });

    it("puts a bare name (organization null) in the caller's namespace and accepts ns/name", async () => {
      expect((await create(aliceToken, { name: "bare", organization: null })).json().name).toBe("alice/bare");
      expect((await create(aliceToken, { name: "alice/slashed" })).json().name).toBe("alice/slashed");
      const dataset = await create(aliceToken, { name: "data", type: "dataset", private: true });
      expect(dataset.json().url).toBe(`${TEST_PUBLIC_URL}/datasets/alice/data`);
      expect((await findRepo(ctx.db, "dataset", "alice", "data"))?.private).toBe(true);
    });

    it("creates spaces with the static sdk by default and validates the sdk", async () => {
      const space = await create(aliceToken, { name: "demo", type: "space", visibility: "public" });
      expect(space.json().url).toBe(`${TEST_PUBLIC_URL}/spaces/alice/demo`);
      expect((await info(aliceToken, "spaces/alice/demo")).json().sdk).toBe("static");
      expect((await create(aliceToken, { name: "demo2", type: "space", sdk: "gradio" })).statusCode).toBe(200);
      expect((await info(aliceToken, "spaces/alice/demo2")).json().sdk).toBe("gradio");
      expect((await create(aliceToken, { name: "demo3", type: "space", sdk: "php" })).statusCode).toBe(400);
    });

    it("makes the JS files the first commit and adds a README with the license", async () => {
      const files = [
        { path: ".gitattributes", content: Buffer.from("*.bin filter=lfs\n").toString("base64"), encoding: "base64" },
        { path: "sub/config.json", content: Buffer.from('{"a":1}').toString("base64"), encoding: "base64" },
      ];
      const response = await create(aliceToken, { name: "files", type: "model", files, license: "mit" });
      expect(response.statusCode).toBe(200);
      const id = response.json().id;
      expect(await showFile("model", id, ".gitattributes")).toBe("*.bin filter=lfs\n");
      expect(await showFile("model", id, "sub/config.json")).toBe('{"a":1}');
      expect(await showFile("model", id, "README.md")).toBe("---\nlicense: mit\n---\n");

      const licensed = await create(aliceToken, { name: "licensed", license: "apache-2.0" });
      const siblings = (await info(aliceToken, "models/alice/licensed")).json().siblings;
      expect(siblings).toEqual([{ rfilename: ".gitattributes" }, { rfilename: "README.md" }]);
      expect(await showFile("model", licensed.json().id, "README.md")).toContain("license: apache-2.0");
    });

    it("refuses bad files and licenses with 400", async () => {
      const file = (path: string, content = "YQ==") => ({ path, content, encoding: "base64" });
      for (const files of [
        [file("../x")],
        [file("/abs")],
        [file(".git/config")],
        [file("ok"), file(".git.")],
        [file(".gIt ")],
        [file(".git~1/x")],
        [file("GIT~1/config")],
        [file(".g\u200cit/config")],
        [file(".GIT/config")],
        [file("a\\b")],
        [file("a", "!!")],
        [file("a"), file("a")],
      ]) {
        const response = await create(aliceToken, { name: "bad", files });
        expect(response.statusCode, files[files.length - 1]?.path).toBe(400);
      }
      expect((await create(aliceToken, { name: "bad", license: "mit\nevil: yes" })).statusCode).toBe(400);
      expect(await findRepo(ctx.db, "model", "alice", "bad")).toBeUndefined();
    });

    it("answers 409 with the Hub's wording when the repo exists, whatever the case", async () => {
      expect((await create(aliceToken, { name: "dup" })).statusCode).toBe(200);
      const again = await create(aliceToken, { name: "DUP", organization: "alice" });
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toMatch(/^A model repository called alice\/DUP already exists$/);
      expect(again.json().error).not.toContain("conflicting operation");
    });

    it("validates names: `..`, `--`, a leading `-` and 97 characters are refused, hub.js is fine", async () => {
      for (const name of ["a..b", "a--b", "-ab", "x".repeat(97), "a b", ""]) {
        const response = await create(aliceToken, { name });
        expect(response.statusCode, name).toBe(400);
      }
      expect((await create(aliceToken, { name: "x".repeat(96) })).statusCode).toBe(200);
      expect((await create(aliceToken, { name: "hub.js" })).statusCode).toBe(200);
      expect((await create(aliceToken, { name: "a/b/c" })).statusCode).toBe(400);
      expect((await create(aliceToken, { name: 42 })).statusCode).toBe(400);
      expect((await create(aliceToken, { name: "ok", type: "kernel" })).statusCode).toBe(400);
    });

    it("creates in an org for contributor, write and admin members, and refuses a read member", async () => {
      const bob = await seedUser(ctx, "bob");
      const carol = await seedUser(ctx, "carol");
      const dave = await seedUser(ctx, "dave");
      await seedOrg(ctx, "acme", alice, { bob: [bob, "contributor"], carol: [carol, "write"], dave: [dave, "read"] });
      expect((await create(aliceToken, { name: "by-admin", organization: "acme" })).statusCode).toBe(200);
      expect((await create(await seedToken(ctx, bob), { name: "by-contrib", organization: "acme" })).statusCode).toBe(
        200,
      );
      expect((await create(await seedToken(ctx, carol), { name: "acme/by-write" })).statusCode).toBe(200);
      const refused = await create(await seedToken(ctx, dave), { name: "by-read", organization: "acme" });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error).toBe(`You don't have the rights to create a model under namespace "acme"`);
      // Canonical spelling of the namespace, whatever the caller typed.
      expect((await create(aliceToken, { name: "cased", organization: "ACME" })).json().name).toBe("acme/cased");
    });

    it("refuses other namespaces, read tokens and anonymous callers", async () => {
      const bob = await seedUser(ctx, "bob");
      expect((await create(aliceToken, { name: "x", organization: "bob" })).statusCode).toBe(403);
      expect((await create(aliceToken, { name: "x", organization: "nobody" })).statusCode).toBe(403);
      const read = await create(await seedToken(ctx, bob, { role: "read" }), { name: "x" });
      expect(read.statusCode).toBe(403);
      expect(read.json().error).toBe(
        "This token has the read role; write access needs a write or fine-grained token with repo.write",
      );
      const anonymous = await app.inject({ method: "POST", url: "/api/repos/create", payload: { name: "x" } });
      expect(anonymous.statusCode).toBe(401);
    });

    it("lets a fine-grained token create only where it holds repo.write on the namespace", async () => {
      const bob = await seedUser(ctx, "bob");
      await seedOrg(ctx, "acme", alice, { bob: [bob, "write"] });
      const token = await seedToken(ctx, bob, {
        role: "fineGrained",
        scoped: [
          { entity: { type: "org", name: "acme" }, permissions: ["repo.write"] },
          { entity: { type: "user", name: "bob" }, permissions: ["repo.content.read"] },
        ],
      });
      expect((await create(token, { name: "x", organization: "acme" })).statusCode).toBe(200);
      const own = await create(token, { name: "x" });
      expect(own.statusCode).toBe(403);
      expect(own.json().error).toBe("This token lacks repo.write on bob");
    });
  });

  describe("DELETE /api/repos/delete", () => {
    const remove = (token: string | undefined, body: object) =>
      app.inject({ method: "DELETE", url: "/api/repos/delete", headers: token ? bearer(token) : {}, payload: body });

    it("deletes the row and the git repository", async () => {
      const repo = await seedRepo(ctx, alice, "alice/gone", { type: "dataset" });
      const response = await remove(aliceToken, { name: "gone", organization: "alice", type: "dataset" });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({});
      expect(await findRepo(ctx.db, "dataset", "alice", "gone")).toBeUndefined();
      expect(await ctx.storage.readBranch("dataset", repo.id, "main")).toBeUndefined();
    });

    it("answers a missing repo with 404 RepoNotFound, also for a bare name", async () => {
      for (const body of [{ name: "missing", organization: "alice" }, { name: "missing" }, { name: "a..b" }]) {
        const response = await remove(aliceToken, body);
        expect(response.statusCode).toBe(404);
        expect(response.headers["x-error-code"]).toBe("RepoNotFound");
        expect(response.json().error.toLowerCase()).toContain("repository not found");
      }
    });

    it("needs repo.admin: strangers see 404 on private, 403 on public; org write members may delete", async () => {
      const bob = await seedUser(ctx, "bob");
      const bobToken = await seedToken(ctx, bob);
      await seedRepo(ctx, alice, "alice/private", { private: true });
      await seedRepo(ctx, alice, "alice/public");
      expect((await remove(bobToken, { name: "alice/private" })).statusCode).toBe(404);
      expect((await remove(bobToken, { name: "public", organization: "alice" })).statusCode).toBe(403);
      expect((await remove(undefined, { name: "public", organization: "alice" })).statusCode).toBe(401);
      const readToken = await seedToken(ctx, alice, { role: "read" });
      expect((await remove(readToken, { name: "public", organization: "alice" })).statusCode).toBe(403);

      await seedOrg(ctx, "acme", alice, { bob: [bob, "write"] });
      await seedRepo(ctx, alice, "acme/shared");
      expect((await remove(bobToken, { name: "shared", organization: "acme" })).statusCode).toBe(200);
    });
  });

  describe("POST /api/repos/move", () => {
    const move = (token: string, body: object) =>
      app.inject({ method: "POST", url: "/api/repos/move", headers: bearer(token), payload: body });

    it("renames and transfers a repo, keeping its files", async () => {
      await seedOrg(ctx, "acme", alice);
      const repo = await seedRepo(ctx, alice, "alice/old");
      const head = await ctx.storage.readBranch("model", repo.id, "main");
      const response = await move(aliceToken, { fromRepo: "alice/old", toRepo: "acme/new", type: "model" });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({});
      expect(await findRepo(ctx.db, "model", "alice", "old")).toBeUndefined();
      const moved = await info(aliceToken, "models/acme/new");
      expect(moved.json()).toMatchObject({ _id: repo.id, id: "acme/new", author: "acme", sha: head });
      // A change of case only is a rename too.
      expect((await move(aliceToken, { fromRepo: "acme/new", toRepo: "acme/New" })).statusCode).toBe(200);
      expect((await info(aliceToken, "models/acme/new")).json().id).toBe("acme/New");
    });

    it("keeps the old name working through a relative redirect, for those who may see the repo", async () => {
      await seedOrg(ctx, "acme", alice);
      await seedRepo(ctx, alice, "alice/old", { private: true });
      expect((await move(aliceToken, { fromRepo: "alice/old", toRepo: "acme/new", type: "model" })).statusCode).toBe(
        200,
      );

      const api = await info(aliceToken, "models/Alice/old/revision/main?expand=sha");
      expect(api.statusCode).toBe(307);
      expect(api.headers.location).toBe("/api/models/acme/new/revision/main?expand=sha");
      const file = await app.inject({
        method: "HEAD",
        url: "/alice/old/resolve/main/.gitattributes",
        headers: bearer(aliceToken),
      });
      expect(file.statusCode).toBe(307);
      expect(file.headers.location).toBe("/acme/new/resolve/main/.gitattributes");
      const clone = await app.inject({
        url: "/alice/old.git/info/refs?service=git-upload-pack",
        headers: bearer(aliceToken),
      });
      expect(clone.headers.location).toBe("/acme/new.git/info/refs?service=git-upload-pack");

      // To a stranger or anonymous caller the old name of a private repo is as missing as any other.
      const bob = await seedUser(ctx, "bob");
      const stranger = await info(await seedToken(ctx, bob), "models/alice/old");
      expect(stranger.statusCode).toBe(404);
      expect(stranger.headers.location).toBeUndefined();
      expect((await info(undefined, "models/alice/old")).statusCode).toBe(401);

      // A new repo under the old name takes it back.
      await seedRepo(ctx, alice, "alice/old");
      expect((await info(aliceToken, "models/alice/old")).statusCode).toBe(200);
    });

    it("answers 409 when the target exists", async () => {
      await seedRepo(ctx, alice, "alice/a");
      await seedRepo(ctx, alice, "alice/b");
      const response = await move(aliceToken, { fromRepo: "alice/a", toRepo: "alice/B", type: "model" });
      expect(response.statusCode).toBe(409);
      expect(response.json().error).toMatch(/A model repository called .* already exists/);
      expect(await findRepo(ctx.db, "model", "alice", "a")).toBeDefined();
    });

    it("needs repo.admin on the source and repo.create on the target", async () => {
      const bob = await seedUser(ctx, "bob");
      const bobToken = await seedToken(ctx, bob);
      await seedRepo(ctx, alice, "alice/src");
      await seedRepo(ctx, bob, "bob/mine");
      expect((await move(bobToken, { fromRepo: "alice/src", toRepo: "bob/src" })).statusCode).toBe(403);
      expect((await move(bobToken, { fromRepo: "bob/mine", toRepo: "alice/mine" })).statusCode).toBe(403);
      expect((await move(bobToken, { fromRepo: "bob/missing", toRepo: "bob/x" })).statusCode).toBe(404);
      expect((await move(bobToken, { fromRepo: "bob/mine", toRepo: "bob/a--b" })).statusCode).toBe(400);
      expect((await move(bobToken, { fromRepo: "bob/mine", toRepo: "nonamespace" })).statusCode).toBe(400);
      expect(await findRepo(ctx.db, "model", "bob", "mine")).toBeDefined();
    });

    it("keeps org repos in the org: only an org admin moves one out, any writer renames it", async () => {
      const writer = await seedUser(ctx, "wendy");
      const contributor = await seedUser(ctx, "carl");
      const admin = await seedUser(ctx, "ada");
      await seedOrg(ctx, "acme", alice, {
        writer: [writer, "write"],
        contributor: [contributor, "contributor"],
        admin: [admin, "admin"],
      });
      const repo = await seedRepo(ctx, alice, "acme/weights");
      await seedRepo(ctx, contributor, "acme/own");
      const writerToken = await seedToken(ctx, writer);
      const contributorToken = await seedToken(ctx, contributor);
      const adminToken = await seedToken(ctx, admin);

      const carriedOff = await move(writerToken, { fromRepo: "acme/weights", toRepo: "wendy/weights" });
      expect(carriedOff.statusCode).toBe(403);
      expect(carriedOff.json().error).toBe("You must be an admin of acme to move model acme/weights out of it");
      // A contributor administers the repos they created, but these stay in the org too.
      expect((await move(contributorToken, { fromRepo: "acme/own", toRepo: "carl/own" })).statusCode).toBe(403);
      expect((await findRepo(ctx.db, "model", "acme", "weights"))?.id).toBe(repo.id);

      expect((await move(writerToken, { fromRepo: "acme/weights", toRepo: "acme/weights-v2" })).statusCode).toBe(200);
      expect((await move(adminToken, { fromRepo: "acme/weights-v2", toRepo: "ada/weights" })).statusCode).toBe(200);
      expect((await findRepo(ctx.db, "model", "ada", "weights"))?.id).toBe(repo.id);
      // Moving in still needs the right to create there: the writer cannot push it into ada's namespace.
      expect((await move(writerToken, { fromRepo: "acme/own", toRepo: "ada/own" })).statusCode).toBe(403);
    });
  });

  describe("PUT /api/{type}s/{ns}/{name}/settings", () => {
    const put = (token: string, path: string, body: object) =>
      app.inject({ method: "PUT", url: `/api/${path}/settings`, headers: bearer(token), payload: body });

    it("round-trips private and gated, as info reports them", async () => {
      await seedRepo(ctx, alice, "alice/set");
      expect((await info(aliceToken, "models/alice/set")).json()).toMatchObject({ private: false, gated: false });

      const gated = await put(aliceToken, "models/alice/set", { gated: "auto" });
      expect(gated.statusCode).toBe(200);
      expect(gated.json()).toEqual({ private: false, gated: "auto" });
      expect((await info(aliceToken, "models/alice/set")).json().gated).toBe("auto");

      expect((await put(aliceToken, "models/alice/set", { gated: "manual", private: true })).json()).toEqual({
        private: true,
        gated: "manual",
      });
      expect((await info(aliceToken, "models/alice/set")).json()).toMatchObject({ private: true, gated: "manual" });

      expect((await put(aliceToken, "models/alice/set", { visibility: "public", gated: false })).json()).toEqual({
        private: false,
        gated: false,
      });
      expect((await put(aliceToken, "models/alice/set", { xetEnabled: true })).json()).toEqual({
        private: false,
        gated: false,
      });
      expect((await info(aliceToken, "models/alice/set")).json()).toMatchObject({ private: false, gated: false });
    });

    it("refuses bad values and callers without repo.admin", async () => {
      const bob = await seedUser(ctx, "bob");
      await seedRepo(ctx, alice, "alice/set", { type: "dataset" });
      expect((await put(aliceToken, "datasets/alice/set", { gated: "yes" })).statusCode).toBe(400);
      expect((await put(aliceToken, "datasets/alice/set", { private: "yes" })).statusCode).toBe(400);
      expect((await put(await seedToken(ctx, bob), "datasets/alice/set", { private: true })).statusCode).toBe(403);
      expect((await put(await seedToken(ctx, alice, { role: "read" }), "datasets/alice/set", {})).statusCode).toBe(403);
      expect((await put(aliceToken, "models/alice/set", { private: true })).statusCode).toBe(404);
      expect((await put(aliceToken, "datasets/alice/s%00et", { private: true })).statusCode).toBe(404);
      expect((await info(aliceToken, "datasets/alice/set")).json().private).toBe(false);
    });
  });
});
