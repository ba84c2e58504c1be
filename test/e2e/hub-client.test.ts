import {
  checkRepoAccess,
  createRepo,
  datasetInfo,
  deleteRepo,
  HubApiError,
  listModels,
  modelInfo,
  repoExists,
  whoAmI,
} from "@huggingface/hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RepoStorage } from "../../src/git/repo-storage.ts";
import { findRepo } from "../../src/store/repos.ts";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { testDialects } from "../helpers/databases.ts";
import { seedOrg, seedRepo, seedToken, seedUser } from "../helpers/seed.ts";

/** A well-formed token (shape and checksum are right) that no server ever issued. */
const UNKNOWN_TOKEN = "hf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; // fake: bad check letters

interface Tokens {
  aliceRead: string;
  aliceWrite: string;
  /** repo.content.read + repo.write on the user alice, repo.content.read on the org acme. */
  aliceFine: string;
  /** repo.content.read on alice only: may read, may not create. */
  aliceFineReadOnly: string;
  bobWrite: string;
  /** A read member of acme, with a write token. */
  carolWrite: string;
  /** A contributor of acme, with a write token. */
  daveWrite: string;
  /** `hub.js` is a valid user name on the Hub. */
  hubJsWrite: string;
}

async function hubError(promise: Promise<unknown>): Promise<HubApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HubApiError);
  return error as HubApiError;
}

/** whoami-v2's token description; the client's type leaves out `fineGrained`. */
interface AccessTokenWithScopes {
  readonly role: string;
  readonly fineGrained?: {
    readonly canReadGatedRepos: boolean;
    readonly global: readonly string[];
    readonly scoped: readonly { entity: { _id: string; type: string; name: string }; permissions: string[] }[];
  };
}

async function whoAmIUser(hubUrl: string, accessToken: string) {
  const me = await whoAmI({ hubUrl, accessToken });
  if (me.type !== "user") throw new Error(`expected a user, got ${me.type}`);
  return { ...me, accessToken: me.auth.accessToken as AccessTokenWithScopes | undefined };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe.each(testDialects())("@huggingface/hub against a Berth process on %s", (dialect) => {
  let server: BerthServer;
  let hubUrl: string;
  let tokens: Tokens;

  beforeAll(async () => {
    server = await startBerthServer({ dialect });
    hubUrl = server.url;
    const ctx = await server.openContext();
    try {
      const alice = await seedUser(ctx, "alice");
      const bob = await seedUser(ctx, "bob");
      const carol = await seedUser(ctx, "carol");
      const dave = await seedUser(ctx, "dave");
      const hubJs = await seedUser(ctx, "hub.js");
      await seedOrg(ctx, "acme", alice, { carol: [carol, "read"], dave: [dave, "contributor"] });
      await seedRepo(ctx, alice, "alice/public-model");
      await seedRepo(ctx, alice, "alice/secret-model", { private: true });
      await seedRepo(ctx, alice, "alice/gated-model", { gated: "auto" });
      await seedRepo(ctx, alice, "alice/public-data", { type: "dataset" });
      await seedRepo(ctx, alice, "acme/org-model");
      tokens = {
        aliceRead: await seedToken(ctx, alice, { displayName: "reader", role: "read" }),
        aliceWrite: await seedToken(ctx, alice, { displayName: "writer", role: "write" }),
        aliceFine: await seedToken(ctx, alice, {
          displayName: "fine",
          role: "fineGrained",
          canReadGatedRepos: true,
          global: ["discussion.write"],
          scoped: [
            { entity: { type: "user", name: "alice" }, permissions: ["repo.content.read", "repo.write"] },
            { entity: { type: "org", name: "acme" }, permissions: ["repo.content.read"] },
          ],
        }),
        aliceFineReadOnly: await seedToken(ctx, alice, {
          displayName: "fine-read",
          role: "fineGrained",
          scoped: [{ entity: { type: "user", name: "alice" }, permissions: ["repo.content.read"] }],
        }),
        bobWrite: await seedToken(ctx, bob, { role: "write" }),
        carolWrite: await seedToken(ctx, carol, { role: "write" }),
        daveWrite: await seedToken(ctx, dave, { role: "write" }),
        hubJsWrite: await seedToken(ctx, hubJs, { role: "write" }),
      };
    } finally {
      await ctx.close();
    }
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
  });

  describe("whoAmI", () => {
    it("describes a read token", async () => {
      const me = await whoAmIUser(hubUrl, tokens.aliceRead);
      expect(me).toMatchObject({ type: "user", name: "alice", email: "alice@example.test" });
      expect(me.id).toMatch(/^[0-9a-f]{24}$/);
      expect(me.orgs.map((org) => org.name)).toEqual(["acme"]);
      expect(me.auth.type).toBe("access_token");
      expect(me.auth.accessToken).toMatchObject({ displayName: "reader", role: "read" });
      expect(me.auth.accessToken?.createdAt).toBeInstanceOf(Date);
      expect(me.accessToken?.fineGrained).toBeUndefined();
    });

    it("describes a write token", async () => {
      const me = await whoAmI({ hubUrl, accessToken: tokens.aliceWrite });
      expect(me.name).toBe("alice");
      expect(me.auth.accessToken).toMatchObject({ displayName: "writer", role: "write" });
    });

    it("describes a fine-grained token with its scopes", async () => {
      const me = await whoAmIUser(hubUrl, tokens.aliceFine);
      expect(me.accessToken?.role).toBe("fineGrained");
      const fineGrained = me.accessToken?.fineGrained;
      expect(fineGrained).toMatchObject({ canReadGatedRepos: true, global: ["discussion.write"] });
      expect(fineGrained?.scoped).toHaveLength(2);
      expect(fineGrained?.scoped[0]).toEqual({
        entity: { _id: me.id, type: "user", name: "alice" },
        permissions: ["repo.content.read", "repo.write"],
      });
      expect(fineGrained?.scoped[1]?.entity).toMatchObject({ type: "org", name: "acme" });
      expect(fineGrained?.scoped[1]?.entity._id).toMatch(/^[0-9a-f]{24}$/);
    });

    it("accepts a dotted user name", async () => {
      expect((await whoAmI({ hubUrl, accessToken: tokens.hubJsWrite })).name).toBe("hub.js");
    });

    it("refuses an unknown token with 401", async () => {
      const error = await hubError(whoAmI({ hubUrl, accessToken: UNKNOWN_TOKEN }));
      expect(error.statusCode).toBe(401);
      expect(error.message).toContain("Invalid credentials in Authorization header");
      expect(error.requestId).toBeTruthy();
    });
  });

  describe("createRepo and deleteRepo", () => {
    it("creates a public model whose repoUrl is the public URL plus the name", async () => {
      const created = await createRepo({ hubUrl, accessToken: tokens.aliceWrite, repo: "alice/fresh-model" });
      expect(created.repoUrl).toBe(`${hubUrl}/alice/fresh-model`);
      expect(created.id).toMatch(/^[0-9a-f]{24}$/);
      const info = await modelInfo({ hubUrl, name: "alice/fresh-model", additionalFields: ["sha"] });
      expect(info).toMatchObject({ id: created.id, name: "alice/fresh-model", private: false, gated: false });
      expect(info.sha).toBe(await mainCommit("model", "alice/fresh-model"));
      expect(await repoExists({ hubUrl, repo: "alice/fresh-model" })).toBe(true);
    });

    it("creates a dataset under /datasets/", async () => {
      const created = await createRepo({
        hubUrl,
        accessToken: tokens.aliceWrite,
        repo: { type: "dataset", name: "alice/fresh-data" },
      });
      expect(created.repoUrl).toBe(`${hubUrl}/datasets/alice/fresh-data`);
      const info = await datasetInfo({ hubUrl, name: "alice/fresh-data", accessToken: tokens.aliceRead });
      expect(info).toMatchObject({ id: created.id, name: "alice/fresh-data", private: false });
      expect(await repoExists({ hubUrl, repo: { type: "dataset", name: "alice/fresh-data" } })).toBe(true);
      expect(await repoExists({ hubUrl, repo: "alice/fresh-data" })).toBe(false);
    });

    it("creates a private model that only those who may see it can see", async () => {
      await createRepo({ hubUrl, accessToken: tokens.aliceWrite, repo: "alice/fresh-private", private: true });
      const info = await modelInfo({ hubUrl, name: "alice/fresh-private", accessToken: tokens.aliceRead });
      expect(info.private).toBe(true);
      expect(await repoExists({ hubUrl, repo: "alice/fresh-private", accessToken: tokens.aliceRead })).toBe(true);
      expect(await repoExists({ hubUrl, repo: "alice/fresh-private" })).toBe(false);
      expect(await repoExists({ hubUrl, repo: "alice/fresh-private", accessToken: tokens.bobWrite })).toBe(false);
    });

    it("creates in an org for a contributor, and in the user's namespace for a dotted user", async () => {
      const inOrg = await createRepo({ hubUrl, accessToken: tokens.daveWrite, repo: "acme/dave-model" });
      expect(inOrg.repoUrl).toBe(`${hubUrl}/acme/dave-model`);
      const dotted = await createRepo({ hubUrl, accessToken: tokens.hubJsWrite, repo: "hub.js/tool" });
      expect(dotted.repoUrl).toBe(`${hubUrl}/hub.js/tool`);
    });

    it("creates with a fine-grained token holding repo.write on the user", async () => {
      const created = await createRepo({ hubUrl, accessToken: tokens.aliceFine, repo: "alice/fine-made" });
      expect(created.repoUrl).toBe(`${hubUrl}/alice/fine-made`);
    });

    it("answers 409 for a repo that exists", async () => {
      const error = await hubError(createRepo({ hubUrl, accessToken: tokens.aliceWrite, repo: "alice/public-model" }));
      expect(error.statusCode).toBe(409);
    });

    it("refuses a read token with 403", async () => {
      const error = await hubError(createRepo({ hubUrl, accessToken: tokens.aliceRead, repo: "alice/by-reader" }));
      expect(error.statusCode).toBe(403);
      expect(error.message).toContain("This token has the read role");
      expect(await repoExists({ hubUrl, repo: "alice/by-reader", accessToken: tokens.aliceRead })).toBe(false);
    });

    it("refuses a fine-grained token without repo.write on the namespace with 403", async () => {
      const own = await hubError(createRepo({ hubUrl, accessToken: tokens.aliceFineReadOnly, repo: "alice/nope" }));
      expect(own.statusCode).toBe(403);
      expect(own.message).toContain("repo.write");
      // aliceFine holds only repo.content.read on acme, though alice is an admin there.
      const org = await hubError(createRepo({ hubUrl, accessToken: tokens.aliceFine, repo: "acme/nope" }));
      expect(org.statusCode).toBe(403);
      expect(await repoExists({ hubUrl, repo: "acme/nope", accessToken: tokens.aliceWrite })).toBe(false);
    });

    it("refuses a read member of the org with 403", async () => {
      const error = await hubError(createRepo({ hubUrl, accessToken: tokens.carolWrite, repo: "acme/by-carol" }));
      expect(error.statusCode).toBe(403);
      expect(error.message).toContain(`You don't have the rights to create a model under namespace "acme"`);
    });

    it("refuses a stranger's namespace with 403", async () => {
      const error = await hubError(createRepo({ hubUrl, accessToken: tokens.bobWrite, repo: "alice/by-bob" }));
      expect(error.statusCode).toBe(403);
    });

    it("refuses an unknown token with 401", async () => {
      const error = await hubError(createRepo({ hubUrl, accessToken: UNKNOWN_TOKEN, repo: "alice/by-nobody" }));
      expect(error.statusCode).toBe(401);
    });

    it("deletes a repo, which then no longer exists", async () => {
      await createRepo({ hubUrl, accessToken: tokens.aliceWrite, repo: "alice/short-lived" });
      await deleteRepo({ hubUrl, accessToken: tokens.aliceWrite, repo: "alice/short-lived" });
      expect(await repoExists({ hubUrl, repo: "alice/short-lived", accessToken: tokens.aliceWrite })).toBe(false);
      const error = await hubError(modelInfo({ hubUrl, name: "alice/short-lived", accessToken: tokens.aliceWrite }));
      expect(error.statusCode).toBe(404);
    });

    it("answers 404 for deleting a missing repo, and refuses others' repos", async () => {
      const missing = await hubError(deleteRepo({ hubUrl, accessToken: tokens.aliceWrite, repo: "alice/never-was" }));
      expect(missing.statusCode).toBe(404);
      expect(missing.message).toMatch(/Repository not found/i);
      const byReader = await hubError(
        deleteRepo({ hubUrl, accessToken: tokens.aliceRead, repo: "alice/public-model" }),
      );
      expect(byReader.statusCode).toBe(403);
      const byBob = await hubError(deleteRepo({ hubUrl, accessToken: tokens.bobWrite, repo: "alice/public-model" }));
      expect(byBob.statusCode).toBe(403);
      const privateByBob = await hubError(
        deleteRepo({ hubUrl, accessToken: tokens.bobWrite, repo: "alice/secret-model" }),
      );
      expect(privateByBob.statusCode).toBe(404);
      expect(await repoExists({ hubUrl, repo: "alice/public-model" })).toBe(true);
    });
  });

  describe("modelInfo and datasetInfo", () => {
    it("reports a seeded model with the commit of its main branch", async () => {
      const info = await modelInfo({
        hubUrl,
        name: "alice/public-model",
        additionalFields: ["sha", "author", "createdAt", "filePaths"],
      });
      expect(info).toMatchObject({ name: "alice/public-model", private: false, gated: false, downloads: 0, likes: 0 });
      expect(info.id).toMatch(/^[0-9a-f]{24}$/);
      expect(info.updatedAt).toBeInstanceOf(Date);
      expect(Number.isNaN(info.updatedAt.getTime())).toBe(false);
      expect(info.sha).toBe(await mainCommit("model", "alice/public-model"));
      expect(info.author).toBe("alice");
      expect(info.filePaths).toEqual([".gitattributes"]);
    });

    it("reports gated as the repo's mode", async () => {
      const info = await modelInfo({ hubUrl, name: "alice/gated-model" });
      expect(info.gated).toBe("auto");
    });

    it("reports a dataset", async () => {
      const info = await datasetInfo({ hubUrl, name: "alice/public-data" });
      expect(info).toMatchObject({ name: "alice/public-data", private: false, gated: false });
    });

    it("hides a private model: 401 anonymous, 404 for a stranger", async () => {
      const anonymous = await hubError(modelInfo({ hubUrl, name: "alice/secret-model" }));
      expect(anonymous.statusCode).toBe(401);
      const stranger = await hubError(modelInfo({ hubUrl, name: "alice/secret-model", accessToken: tokens.bobWrite }));
      expect(stranger.statusCode).toBe(404);
      const owner = await modelInfo({ hubUrl, name: "alice/secret-model", accessToken: tokens.aliceFine });
      expect(owner.private).toBe(true);
    });

    it("answers 404 for a revision that does not exist", async () => {
      const error = await hubError(modelInfo({ hubUrl, name: "alice/public-model", revision: "no-such-branch" }));
      expect(error.statusCode).toBe(404);
      expect(error.message).toMatch(/revision/i);
      expect(error.message).not.toMatch(/No route/);
    });
  });

  describe("listModels", () => {
    it("lists public models to anonymous callers, filtered by owner", async () => {
      const names = (await collect(listModels({ hubUrl, search: { owner: "alice" } }))).map((m) => m.name);
      expect(names).toContain("alice/public-model");
      expect(names).toContain("alice/gated-model");
      expect(names).not.toContain("alice/secret-model");
      expect(names).not.toContain("acme/org-model");
      expect(names).not.toContain("alice/public-data");
    });

    it("adds private models for a token that may see them, and only for it", async () => {
      const withOwner = await collect(
        listModels({ hubUrl, accessToken: tokens.aliceRead, search: { owner: "alice" } }),
      );
      const secret = withOwner.find((model) => model.name === "alice/secret-model");
      expect(secret?.private).toBe(true);
      const withBob = await collect(listModels({ hubUrl, accessToken: tokens.bobWrite, search: { owner: "alice" } }));
      expect(withBob.map((m) => m.name)).not.toContain("alice/secret-model");
      expect(withBob.length).toBeLessThan(withOwner.length);
    });

    it("searches by substring of the repo id", async () => {
      const names = (await collect(listModels({ hubUrl, search: { query: "org-mod" } }))).map((m) => m.name);
      expect(names).toEqual(["acme/org-model"]);
    });

    it("stops at the limit it asked for", async () => {
      const models = await collect(listModels({ hubUrl, limit: 2 }));
      expect(models).toHaveLength(2);
    });
  });

  describe("repoExists and checkRepoAccess", () => {
    it("tells whether a repo exists as the caller sees it", async () => {
      expect(await repoExists({ hubUrl, repo: "alice/public-model" })).toBe(true);
      expect(await repoExists({ hubUrl, repo: "alice/missing" })).toBe(false);
      expect(await repoExists({ hubUrl, repo: "alice/secret-model" })).toBe(false);
      expect(await repoExists({ hubUrl, repo: "alice/secret-model", accessToken: tokens.bobWrite })).toBe(false);
      expect(await repoExists({ hubUrl, repo: "alice/secret-model", accessToken: tokens.aliceRead })).toBe(true);
      expect(await repoExists({ hubUrl, repo: "ALICE/Public-Model" })).toBe(true);
    });

    it("passes for readable repos", async () => {
      await checkRepoAccess({ hubUrl, repo: "alice/public-model" });
      await checkRepoAccess({ hubUrl, repo: "alice/secret-model", accessToken: tokens.aliceRead });
      await checkRepoAccess({ hubUrl, repo: { type: "dataset", name: "alice/public-data" } });
      await checkRepoAccess({ hubUrl, repo: "acme/org-model", accessToken: tokens.carolWrite });
    });

    it("throws HubApiError 401 anonymous, 404 for strangers and missing repos", async () => {
      const anonymous = await hubError(checkRepoAccess({ hubUrl, repo: "alice/secret-model" }));
      expect(anonymous.statusCode).toBe(401);
      const anonymousMissing = await hubError(checkRepoAccess({ hubUrl, repo: "alice/missing" }));
      expect(anonymousMissing.statusCode).toBe(401);
      const stranger = await hubError(
        checkRepoAccess({ hubUrl, repo: "alice/secret-model", accessToken: tokens.bobWrite }),
      );
      expect(stranger.statusCode).toBe(404);
      const missing = await hubError(checkRepoAccess({ hubUrl, repo: "alice/missing", accessToken: tokens.bobWrite }));
      expect(missing.statusCode).toBe(404);
      const badToken = await hubError(
        checkRepoAccess({ hubUrl, repo: "alice/public-model", accessToken: UNKNOWN_TOKEN }),
      );
      expect(badToken.statusCode).toBe(401);
    });
  });

  async function mainCommit(type: "model" | "dataset", id: string): Promise<string | undefined> {
    const [namespace, name] = id.split("/") as [string, string];
    const ctx = await server.openContext();
    try {
      const repo = await findRepo(ctx.db, type, namespace, name);
      if (!repo) return undefined;
      return new RepoStorage(server.dataDir).readBranch(type, repo.id, "main");
    } finally {
      await ctx.close();
    }
  }
});
