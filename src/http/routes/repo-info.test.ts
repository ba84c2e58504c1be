import { checkRepoAccess, createRepo, deleteRepo, listModels, modelInfo, repoExists } from "@huggingface/hub";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedOrg, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, TEST_PUBLIC_URL, type TestContext } from "../../../test/helpers/test-context.ts";
import type { User } from "../../domain/entities.ts";
import { gitOrThrow } from "../../git/git-command.ts";
import { buildApp } from "../app.ts";

describe.each(testDialects())("repository information routes on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let aliceToken: string;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
    alice = await seedUser(ctx, "alice");
    aliceToken = await seedToken(ctx, alice, { role: "read" });
  });
  afterEach(async () => ctx.dispose());

  const get = (url: string, token?: string) => app.inject({ url, headers: token ? bearer(token) : {} });
  const ids = (response: { json(): unknown }) => (response.json() as { id: string }[]).map((repo) => repo.id);

  describe("GET /api/{type}s/{ns}/{name}", () => {
    it("describes a repo with the fields the clients read, under its canonical spelling", async () => {
      const repo = await seedRepo(ctx, alice, "alice/Bert");
      const head = await ctx.storage.readBranch("model", repo.id, "main");
      const response = await get("/api/models/ALICE/bert?expand=sha&expand[]=likes&blobs=True");
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({
        _id: repo.id,
        id: "alice/Bert",
        author: "alice",
        sha: head,
        private: false,
        gated: false,
        disabled: false,
        downloads: 0,
        likes: 0,
        tags: [],
        siblings: [{ rfilename: ".gitattributes" }],
        spaces: [],
      });
      expect(body.createdAt).toMatch(/Z$/);
      expect(body.lastModified).toMatch(/Z$/);
    });

    it("hides a private repo: anonymous 401, stranger 404, both RepoNotFound; members read it", async () => {
      const bob = await seedUser(ctx, "bob");
      const carol = await seedUser(ctx, "carol");
      await seedOrg(ctx, "acme", alice, { bob: [bob, "read"] });
      await seedRepo(ctx, alice, "acme/secret", { private: true, type: "dataset" });
      const anonymous = await get("/api/datasets/acme/secret");
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers["x-error-code"]).toBe("RepoNotFound");
      const stranger = await get("/api/datasets/acme/secret", await seedToken(ctx, carol));
      expect(stranger.statusCode).toBe(404);
      expect(stranger.headers["x-error-code"]).toBe("RepoNotFound");
      expect(stranger.json()).toEqual({ error: "Repository not found" });
      const member = await get("/api/datasets/acme/secret/revision/main", await seedToken(ctx, bob, { role: "read" }));
      expect(member.statusCode).toBe(200);
      expect(member.json().private).toBe(true);
      expect((await get("/api/models/acme/secret", aliceToken)).statusCode).toBe(404);
    });

    it("answers RepoNotFound for missing repos and one-segment ids", async () => {
      const urls = [
        "/api/models/alice/missing",
        "/api/models/missing_repo_id",
        "/api/spaces/a..b/c",
        "/api/models/a%00/b",
      ];
      for (const url of urls) {
        const response = await get(url, aliceToken);
        expect(response.statusCode, url).toBe(404);
        expect(response.headers["x-error-code"], url).toBe("RepoNotFound");
        expect((await get(url)).statusCode, url).toBe(401);
      }
    });

    it("resolves HEAD, main, full and short commit ids, and encoded or raw refs", async () => {
      const repo = await seedRepo(ctx, alice, "alice/revs");
      const head = (await ctx.storage.readBranch("model", repo.id, "main")) ?? "";
      const cwd = ctx.storage.pathOf("model", repo.id);
      await gitOrThrow(["update-ref", "refs/pr/1", head], { cwd });
      await gitOrThrow(["update-ref", "refs/heads/feature/x", head], { cwd });
      for (const rev of [
        "HEAD",
        "main",
        head,
        head.slice(0, 7),
        "refs%2Fpr%2F1",
        "feature%2Fx",
        "feature/x",
        "refs/pr/1",
      ]) {
        const response = await get(`/api/models/alice/revs/revision/${rev}?expand=sha`);
        expect(response.statusCode, rev).toBe(200);
        expect(response.json().sha, rev).toBe(head);
      }
      for (const rev of ["nope", "0".repeat(40), "refs%2Fpr%2F2", "--help", "main..HEAD"]) {
        const response = await get(`/api/models/alice/revs/revision/${rev}`);
        expect(response.statusCode, rev).toBe(404);
        expect(response.headers["x-error-code"], rev).toBe("RevisionNotFound");
      }
      expect((await get("/api/models/alice/revs/revision/%E0%A4%A")).statusCode).toBe(400);
    });

    it("reports the sdk of a space", async () => {
      await seedRepo(ctx, alice, "alice/app", { type: "space" });
      const body = (await get("/api/spaces/alice/app")).json();
      expect(body).toMatchObject({ id: "alice/app", sdk: "static" });
      expect(body.spaces).toBeUndefined();
    });
  });

  describe("GET /api/{type}s/{ns}/{name}/auth-check", () => {
    it("admits readers and answers the §1.5 matrix on gated and private repos", async () => {
      const bob = await seedUser(ctx, "bob");
      const bobToken = await seedToken(ctx, bob, { role: "read" });
      await seedRepo(ctx, alice, "alice/gated", { gated: "manual" });
      await seedRepo(ctx, alice, "alice/open");
      await seedRepo(ctx, alice, "alice/private", { private: true });

      const owner = await get("/api/models/alice/gated/auth-check", aliceToken);
      expect(owner.statusCode).toBe(200);
      expect(owner.json()).toEqual({});
      expect((await get("/api/models/alice/open/auth-check")).statusCode).toBe(200);

      const gatedUser = await get("/api/models/alice/gated/auth-check", bobToken);
      expect(gatedUser.statusCode).toBe(403);
      expect(gatedUser.headers["x-error-code"]).toBe("GatedRepo");
      expect(gatedUser.headers["x-error-message"]).toMatch(
        /^Access to model alice\/gated is restricted and you are not/,
      );
      const gatedAnonymous = await get("/api/models/alice/gated/auth-check");
      expect(gatedAnonymous.statusCode).toBe(401);
      expect(gatedAnonymous.headers["x-error-code"]).toBe("GatedRepo");
      // Gated metadata stays readable.
      expect((await get("/api/models/alice/gated", bobToken)).json().gated).toBe("manual");

      expect((await get("/api/models/alice/private/auth-check", bobToken)).statusCode).toBe(404);
      expect((await get("/api/models/alice/private/auth-check")).statusCode).toBe(401);
    });
  });

  describe("GET /api/{type}s", () => {
    it("shows private repos only to those who may read them", async () => {
      const bob = await seedUser(ctx, "bob");
      const carol = await seedUser(ctx, "carol");
      await seedOrg(ctx, "acme", alice, { bob: [bob, "read"] });
      await seedRepo(ctx, alice, "alice/mine", { private: true });
      await seedRepo(ctx, alice, "acme/team", { private: true });
      await seedRepo(ctx, carol, "carol/public");
      await seedRepo(ctx, carol, "carol/hidden", { private: true });
      await seedRepo(ctx, carol, "carol/other-type", { type: "dataset" });

      expect(ids(await get("/api/models"))).toEqual(["carol/public"]);
      expect(ids(await get("/api/models", aliceToken))).toEqual(["acme/team", "alice/mine", "carol/public"]);
      expect(ids(await get("/api/models", await seedToken(ctx, bob)))).toEqual(["acme/team", "carol/public"]);
      expect(ids(await get("/api/models", await seedToken(ctx, carol)))).toEqual(["carol/hidden", "carol/public"]);

      const scoped = await seedToken(ctx, alice, {
        role: "fineGrained",
        scoped: [
          { entity: { type: "org", name: "acme" }, permissions: ["repo.content.read"] },
          { entity: { type: "user", name: "alice" }, permissions: ["repo.write"] },
        ],
      });
      expect(ids(await get("/api/models", scoped))).toEqual(["acme/team", "carol/public"]);
      const repoScoped = await seedToken(ctx, alice, {
        role: "fineGrained",
        scoped: [{ entity: { type: "model", name: "alice/mine" }, permissions: ["repo.content.read"] }],
      });
      expect(ids(await get("/api/models", repoScoped))).toEqual(["alice/mine", "carol/public"]);
      expect(ids(await get("/api/datasets"))).toEqual(["carol/other-type"]);
    });

    it("filters by search and author, sorts, and rejects bad parameters", async () => {
      const bob = await seedUser(ctx, "bob");
      await seedRepo(ctx, alice, "alice/bert-base");
      ctx.advance(1000);
      await seedRepo(ctx, bob, "bob/BERT-large");
      ctx.advance(1000);
      await seedRepo(ctx, bob, "bob/gpt_2");
      expect(ids(await get("/api/models?search=bert"))).toEqual(["alice/bert-base", "bob/BERT-large"]);
      expect(ids(await get("/api/models?search=bert&search=large"))).toEqual(["bob/BERT-large"]);
      expect(ids(await get("/api/models?search=model"))).toEqual([]);
      expect(ids(await get("/api/models?search=_"))).toEqual(["bob/gpt_2"]);
      expect(ids(await get("/api/models?search=b/"))).toEqual(["bob/BERT-large", "bob/gpt_2"]);
      expect(ids(await get("/api/models?author=BOB"))).toEqual(["bob/BERT-large", "bob/gpt_2"]);
      expect(ids(await get("/api/models?sort=createdAt"))).toEqual(["bob/gpt_2", "bob/BERT-large", "alice/bert-base"]);
      expect(ids(await get("/api/models?sort=createdAt&direction=1"))).toEqual([
        "alice/bert-base",
        "bob/BERT-large",
        "bob/gpt_2",
      ]);
      expect(ids(await get("/api/models?sort=downloads&direction=-1"))).toEqual([
        "alice/bert-base",
        "bob/BERT-large",
        "bob/gpt_2",
      ]);
      expect(ids(await get("/api/models?filter=text-generation"))).toEqual([]);
      const full = (await get("/api/models?search=gpt&full=True")).json();
      expect(full[0].siblings).toEqual([{ rfilename: ".gitattributes" }]);
      expect(full[0].sha).toMatch(/^[0-9a-f]{40}$/);
      expect(ids(await get("/api/models?author=b%00b"))).toEqual([]);
      const huge = await get("/api/models?limit=99999999999999999999");
      expect(huge.statusCode).toBe(200);
      expect(ids(huge).length).toBeGreaterThan(0);
      const past = await get(`/api/models?cursor=${Buffer.from("999999999").toString("base64url")}`);
      expect(past.statusCode).toBe(200);
      expect(ids(past)).toEqual([]);
      expect(past.headers.link).toBeUndefined();
      for (const bad of ["limit=0", "limit=-1", "limit=abc", "limit=1e3", "cursor=%%%", "cursor=eHl6", "search=a%00"]) {
        const response = await get(`/api/models?${bad}`);
        expect(response.statusCode, bad).toBe(400);
      }
    });

    it("paginates with an absolute Link header that keeps the query", async () => {
      for (const name of ["a1", "a2", "a3", "a4", "a5"]) await seedRepo(ctx, alice, `alice/${name}`);
      await seedRepo(ctx, alice, "alice/other");
      const seen: string[] = [];
      let url: string | undefined = "/api/models?search=alice/a&limit=2";
      let pages = 0;
      while (url) {
        const response = await get(url);
        expect(response.statusCode).toBe(200);
        seen.push(...ids(response));
        pages++;
        const link = response.headers.link as string | undefined;
        const next = link?.match(/^<(https?:\/\/[^>]+)>; rel="next"$/)?.[1];
        if (link) expect(next?.startsWith(`${TEST_PUBLIC_URL}/api/models?`)).toBe(true);
        url = next?.slice(TEST_PUBLIC_URL.length);
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(["alice/a1", "alice/a2", "alice/a3", "alice/a4", "alice/a5"]);
    });
  });

  describe("with the real @huggingface/hub client", () => {
    /** The client's fetch, served by the app in-process. */
    const injectFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = new URL(String(input));
      const response = await app.inject({
        method: (init?.method ?? "GET") as "GET",
        url: url.pathname + url.search,
        headers: Object.fromEntries(new Headers(init?.headers).entries()),
        ...(typeof init?.body === "string" ? { payload: init.body } : {}),
      });
      const headers = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : String(value));
      }
      return new Response(response.statusCode === 204 ? null : new Uint8Array(response.rawPayload), {
        status: response.statusCode,
        headers,
      });
    };
    const hub = { hubUrl: TEST_PUBLIC_URL, fetch: injectFetch };

    it("creates, inspects, lists and deletes repos as the client expects", async () => {
      const writeToken = await seedToken(ctx, alice, { role: "write" });
      const created = await createRepo({ ...hub, accessToken: writeToken, repo: "alice/js-model", private: true });
      expect(created.repoUrl).toBe(`${TEST_PUBLIC_URL}/alice/js-model`);
      const info = await modelInfo({
        ...hub,
        accessToken: aliceToken,
        name: "alice/js-model",
        additionalFields: ["sha"],
      });
      expect(info).toMatchObject({ id: created.id, name: "alice/js-model", private: true, gated: false });
      expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
      expect(await repoExists({ ...hub, accessToken: aliceToken, repo: "alice/js-model" })).toBe(true);
      expect(await repoExists({ ...hub, repo: "alice/js-model" })).toBe(false);
      await expect(checkRepoAccess({ ...hub, repo: "alice/js-model" })).rejects.toMatchObject({ statusCode: 401 });
      await checkRepoAccess({ ...hub, accessToken: aliceToken, repo: "alice/js-model" });

      for (const name of ["b1", "b2", "b3"]) await seedRepo(ctx, alice, `alice/${name}`);
      const names: string[] = [];
      // Pages of two through the Link header, until the client has the limit it asked for.
      for await (const model of listModels({ ...hub, accessToken: aliceToken, search: { owner: "alice" } })) {
        names.push(model.name);
      }
      expect(names).toEqual(["alice/b1", "alice/b2", "alice/b3", "alice/js-model"]);

      await deleteRepo({ ...hub, accessToken: writeToken, repo: "alice/js-model" });
      expect(await repoExists({ ...hub, accessToken: aliceToken, repo: "alice/js-model" })).toBe(false);
      await expect(deleteRepo({ ...hub, accessToken: writeToken, repo: "alice/js-model" })).rejects.toMatchObject({
        statusCode: 404,
      });
    });
  });
});
