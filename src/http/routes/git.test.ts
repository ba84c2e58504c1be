import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, FAKE_TOKEN, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import { parseCgiHead } from "../../git/smart-http.ts";
import { buildApp } from "../app.ts";

const CHALLENGE = 'Basic realm="Berth"';

function basic(token: string): { authorization: string } {
  return { authorization: `Basic ${Buffer.from(`anyone:${token}`).toString("base64")}` };
}

describe("parseCgiHead", () => {
  it("reads the status and keeps the other headers", () => {
    expect(parseCgiHead("Status: 403 Forbidden\r\nContent-Type: text/plain\r\nExpires: never")).toEqual({
      status: 403,
      headers: [
        ["Content-Type", "text/plain"],
        ["Expires", "never"],
      ],
    });
    expect(parseCgiHead("Content-Type: application/x-git-upload-pack-result").status).toBe(200);
    expect(() => parseCgiHead("garbage")).toThrow();
    expect(() => parseCgiHead("Status: abc")).toThrow();
  });
});

describe.each(testDialects())("git smart HTTP routes on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let write: string;
  let read: string;

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
    const alice = await seedUser(ctx, "alice");
    await seedRepo(ctx, alice, "alice/model");
    await seedRepo(ctx, alice, "alice/secret", { private: true });
    await seedRepo(ctx, alice, "alice/data", { type: "dataset" });
    write = await seedToken(ctx, alice, { role: "write" });
    read = await seedToken(ctx, alice, { role: "read" });
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  const refs = (repoPath: string, service: string, headers: Record<string, string> = {}) =>
    app.inject({ url: `${repoPath}/info/refs?service=${service}`, headers });

  it("advertises refs of a public repo to anyone, with and without .git, for every repo type", async () => {
    for (const repoPath of ["/alice/model", "/alice/model.git", "/datasets/alice/data.git"]) {
      const response = await refs(repoPath, "git-upload-pack");
      expect(response.statusCode, repoPath).toBe(200);
      expect(response.headers["content-type"]).toBe("application/x-git-upload-pack-advertisement");
      expect(response.body).toContain("# service=git-upload-pack");
      expect(response.body).toContain("refs/heads/main");
    }
    const v2 = await refs("/alice/model", "git-upload-pack", { "git-protocol": "version=2" });
    expect(v2.body).toContain("version 2");
  });

  it("challenges every anonymous push and anonymous reads of private or missing repos", async () => {
    for (const [repoPath, service] of [
      ["/alice/model", "git-receive-pack"],
      ["/alice/secret", "git-upload-pack"],
      ["/alice/missing.git", "git-upload-pack"],
    ] as const) {
      const response = await refs(repoPath, service);
      expect(response.statusCode, repoPath).toBe(401);
      expect(response.headers["www-authenticate"]).toBe(CHALLENGE);
    }
    const post = await app.inject({
      method: "POST",
      url: "/alice/model/git-receive-pack",
      headers: { "content-type": "application/x-git-receive-pack-request" },
      payload: Buffer.from("0000"),
    });
    expect(post.statusCode).toBe(401);
    expect(post.headers["www-authenticate"]).toBe(CHALLENGE);
  });

  it("refuses a bad token with 401, a read token's push with 403, and accepts a write token's", async () => {
    const bad = await refs("/alice/model", "git-upload-pack", basic(FAKE_TOKEN));
    expect(bad.statusCode).toBe(401);
    expect(bad.headers["x-error-message"]).toBe("Invalid credentials in Authorization header");
    const denied = await refs("/alice/model", "git-receive-pack", basic(read));
    expect(denied.statusCode).toBe(403);
    const deniedPost = await app.inject({
      method: "POST",
      url: "/alice/model.git/git-receive-pack",
      headers: { ...bearer(read), "content-type": "application/x-git-receive-pack-request" },
      payload: Buffer.from("0000"),
    });
    expect(deniedPost.statusCode).toBe(403);
    expect((await refs("/alice/secret", "git-upload-pack", basic(read))).statusCode).toBe(200);
    const allowed = await refs("/alice/model", "git-receive-pack", basic(write));
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers["content-type"]).toBe("application/x-git-receive-pack-advertisement");
  });

  it("answers 404 to a signed-in stranger, 400 to the dumb protocol and 415 to other bodies", async () => {
    const bob = await seedUser(ctx, "bob");
    const bobs = await seedToken(ctx, bob, { role: "write" });
    const hidden = await refs("/alice/secret", "git-upload-pack", basic(bobs));
    expect(hidden.statusCode).toBe(404);
    expect(hidden.headers["x-error-code"]).toBe("RepoNotFound");
    expect((await app.inject({ url: "/alice/model/info/refs" })).statusCode).toBe(400);
    const wrongType = await app.inject({
      method: "POST",
      url: "/alice/model/git-upload-pack",
      headers: { "content-type": "application/json" },
      payload: { want: "everything" },
    });
    expect(wrongType.statusCode).toBe(415);
  });
});
