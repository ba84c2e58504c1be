import { createHash, randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, FAKE_TOKEN, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import type { Repo, User } from "../../domain/entities.ts";
import { findRepoLfsObject } from "../../store/lfs-objects.ts";
import { buildApp } from "../app.ts";

const LFS = { "content-type": "application/vnd.git-lfs+json", accept: "application/vnd.git-lfs+json" };
const bytes = randomBytes(70_000);
const oid = createHash("sha256").update(bytes).digest("hex");

function basic(token: string): { authorization: string } {
  return { authorization: `Basic ${Buffer.from(`hf_user:${token}`).toString("base64")}` };
}

/** The path and query of an absolute href, for inject. */
function local(href: string): string {
  const url = new URL(href);
  expect(url.origin).toBe("http://hub.test");
  return url.pathname + url.search;
}

describe.each(testDialects())("Git LFS routes on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let repo: Repo;
  let write: string;

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
    alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/model");
    write = await seedToken(ctx, alice, { role: "write" });
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  async function batch(path: string, operation: string, objects: unknown[], headers: Record<string, string> = {}) {
    return app.inject({
      method: "POST",
      url: `${path}/info/lfs/objects/batch`,
      headers: { ...LFS, ...headers },
      payload: { operation, transfers: ["basic", "multipart", "xet"], hash_algo: "sha_256", objects },
    });
  }

  async function uploadHref(path = "/alice/model.git", token = write): Promise<string> {
    const response = await batch(path, "upload", [{ oid, size: bytes.length }], bearer(token));
    expect(response.statusCode).toBe(200);
    const href = response.json().objects[0].actions?.upload?.href;
    expect(typeof href).toBe("string");
    return href as string;
  }

  async function store(path = "/alice/model.git"): Promise<void> {
    const put = await app.inject({ method: "PUT", url: local(await uploadHref(path)), payload: bytes });
    expect(put.statusCode).toBe(200);
  }

  it("offers a signed basic upload, accepts the bytes without auth, then skips the known object", async () => {
    const response = await batch("/alice/model.git", "upload", [{ oid, size: bytes.length }], bearer(write));
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/vnd\.git-lfs\+json/);
    const body = response.json();
    expect(body.transfer).toBe("basic");
    expect(JSON.stringify(body)).not.toMatch(/chunk_size|xet/);
    const [object] = body.objects;
    expect(object).toMatchObject({ oid, size: bytes.length, authenticated: true });
    expect(object.actions.upload.expires_in).toBeGreaterThan(0);
    expect(object.actions.upload.href).toMatch(/^http:\/\/hub\.test\/alice\/model\.git\/info\/lfs\/objects\//);

    const put = await app.inject({
      method: "PUT",
      url: local(object.actions.upload.href),
      payload: bytes,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(put.statusCode).toBe(200);
    expect(await ctx.lfs.sizeOf(oid)).toBe(bytes.length);
    expect(await findRepoLfsObject(ctx.db, repo.id, oid)).toBe(bytes.length);

    const again = await batch("/alice/model", "upload", [{ oid, size: bytes.length }], basic(write));
    expect(again.json().objects[0]).toEqual({ oid, size: bytes.length });
  });

  it("accepts an upload with no content type", async () => {
    const put = await app.inject({ method: "PUT", url: local(await uploadHref()), payload: bytes, headers: {} });
    expect(put.statusCode).toBe(200);
  });

  it("stores a JSON file labelled application/json as bytes, unparsed", async () => {
    const json = Buffer.from('{"a": 1,   "b": [2]}\n');
    const jsonOid = createHash("sha256").update(json).digest("hex");
    const response = await batch("/alice/model.git", "upload", [{ oid: jsonOid, size: json.length }], bearer(write));
    const href = local(response.json().objects[0].actions.upload.href);
    const put = await app.inject({
      method: "PUT",
      url: href,
      payload: json,
      headers: { "content-type": "application/json" },
    });
    expect(put.statusCode).toBe(200);
    expect(await findRepoLfsObject(ctx.db, repo.id, jsonOid)).toBe(json.length);
  });

  it("serves a download through its signed href, with single ranges", async () => {
    await store();
    const response = await batch("/alice/model", "download", [{ oid, size: bytes.length }]);
    expect(response.statusCode).toBe(200);
    const href = local(response.json().objects[0].actions.download.href);
    const whole = await app.inject({ url: href });
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.equals(bytes)).toBe(true);
    expect(whole.headers["content-length"]).toBe(String(bytes.length));

    const part = await app.inject({ url: href, headers: { range: "bytes=100-199" } });
    expect(part.statusCode).toBe(206);
    expect(part.headers["content-range"]).toBe(`bytes 100-199/${bytes.length}`);
    expect(part.rawPayload.equals(bytes.subarray(100, 200))).toBe(true);

    const tail = await app.inject({ url: href, headers: { range: "bytes=69990-" } });
    expect(tail.rawPayload.equals(bytes.subarray(69_990))).toBe(true);

    const beyond = await app.inject({ url: href, headers: { range: `bytes=${bytes.length}-` } });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers["content-range"]).toBe(`bytes */${bytes.length}`);
  });

  it("serves an object as a sandboxed download, and its refusals as well", async () => {
    await store();
    const response = await batch("/alice/model", "download", [{ oid, size: bytes.length }]);
    const href = local(response.json().objects[0].actions.download.href);
    const forged = href.replace(/sig=[^&]+/, "sig=AAAA");
    for (const [request, status] of [
      [{ url: href }, 200],
      [{ method: "HEAD" as const, url: href }, 200],
      [{ url: href, headers: { range: "bytes=0-0" } }, 206],
      [{ url: forged }, 403],
    ] as const) {
      const answer = await app.inject(request);
      expect(answer.statusCode).toBe(status);
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.headers["content-security-policy"]).toBe("default-src 'none'; style-src 'unsafe-inline'; sandbox");
      if (status !== 403) {
        expect(answer.headers["content-disposition"]).toBe(`attachment; filename="${oid}"; filename*=UTF-8''${oid}`);
        expect(answer.headers.etag).toBe(`"${oid}"`);
      }
    }
  });

  it("refuses a body whose SHA-256 or size does not match, and keeps nothing", async () => {
    const href = local(await uploadHref());
    const forged = Buffer.from(bytes);
    forged[0] = (forged[0] ?? 0) ^ 1;
    const wrongHash = await app.inject({ method: "PUT", url: href, payload: forged });
    expect(wrongHash.statusCode).toBe(422);
    expect(wrongHash.json().message).toMatch(/SHA-256 mismatch/);
    const short = await app.inject({ method: "PUT", url: href, payload: bytes.subarray(1) });
    expect(short.statusCode).toBe(422);
    expect(await ctx.lfs.sizeOf(oid)).toBeUndefined();
    expect(await findRepoLfsObject(ctx.db, repo.id, oid)).toBeUndefined();
    const offered = await batch("/alice/model", "upload", [{ oid, size: bytes.length }], bearer(write));
    expect(offered.json().objects[0].actions.upload).toBeDefined();
  });

  it("refuses expired, tampered and misused hrefs", async () => {
    const href = local(await uploadHref());
    const tampered = href.replace(/size=\d+/, `size=${bytes.length + 1}`);
    expect((await app.inject({ method: "PUT", url: tampered, payload: bytes })).statusCode).toBe(403);
    expect((await app.inject({ url: href })).statusCode).toBe(403);
    expect((await app.inject({ method: "PUT", url: href.split("?")[0] ?? "", payload: bytes })).statusCode).toBe(403);
    ctx.advance(3601_000);
    const late = await app.inject({ method: "PUT", url: href, payload: bytes });
    expect(late.statusCode).toBe(403);
    expect(await ctx.lfs.sizeOf(oid)).toBeUndefined();
  });

  it("keeps objects per repo: knowing an oid opens nothing elsewhere", async () => {
    await store();
    await seedRepo(ctx, alice, "alice/other");
    const download = await batch("/alice/other.git", "download", [{ oid, size: bytes.length }], bearer(write));
    expect(download.statusCode).toBe(200);
    expect(download.json().objects[0]).toMatchObject({ oid, error: { code: 404 } });
    expect(download.json().objects[0].actions).toBeUndefined();

    const upload = await batch("/alice/other.git", "upload", [{ oid, size: bytes.length }], bearer(write));
    expect(upload.json().objects[0].actions.upload.href).toMatch(/\/alice\/other\.git\//);

    // A's download href moved onto B's path is refused: the signature names A's id.
    const fromA = await batch("/alice/model", "download", [{ oid, size: bytes.length }]);
    const moved = local(fromA.json().objects[0].actions.download.href).replace(
      "/alice/model.git/",
      "/alice/other.git/",
    );
    expect((await app.inject({ url: moved })).statusCode).toBe(403);
  });

  it("answers 401 with a Basic challenge to anonymous uploads and anonymous reads of private repos", async () => {
    const anonymousUpload = await batch("/alice/model.git", "upload", [{ oid, size: 1 }]);
    expect(anonymousUpload.statusCode).toBe(401);
    expect(anonymousUpload.headers["www-authenticate"]).toBe('Basic realm="Berth"');
    expect(anonymousUpload.headers["lfs-authenticate"]).toBe('Basic realm="Berth"');
    expect(typeof anonymousUpload.json().message).toBe("string");

    await seedRepo(ctx, alice, "alice/secret", { private: true });
    const hidden = await batch("/alice/secret.git", "download", [{ oid, size: 1 }]);
    expect(hidden.statusCode).toBe(401);
    expect(hidden.headers["x-error-code"]).toBe("RepoNotFound");
    expect(hidden.headers["www-authenticate"]).toBe('Basic realm="Berth"');
    expect((await batch("/alice/secret.git", "download", [{ oid, size: 1 }], basic(write))).statusCode).toBe(200);

    const missing = await batch("/alice/nothing.git", "download", [{ oid, size: 1 }], bearer(write));
    expect(missing.statusCode).toBe(404);
    const bad = await batch("/alice/model.git", "download", [], bearer(FAKE_TOKEN));
    expect(bad.statusCode).toBe(401);
    expect(bad.headers["www-authenticate"]).toBe('Basic realm="Berth"');
  });

  it("refuses uploads from read tokens, anonymous callers and tokens scoped to another repo", async () => {
    const read = await seedToken(ctx, alice, { role: "read" });
    expect((await batch("/alice/model.git", "upload", [{ oid, size: 1 }], bearer(read))).statusCode).toBe(403);
    expect((await batch("/alice/model.git", "upload", [{ oid, size: 1 }], {})).statusCode).toBe(401);
    // A stranger may upload what a pull request of theirs needs (it lands on refs/pr/N only), unless
    // their fine-grained token may not open one.
    const bob = await seedUser(ctx, "bob");
    const bobs = await seedToken(ctx, bob, { role: "write" });
    expect((await batch("/alice/model.git", "upload", [{ oid, size: 1 }], bearer(bobs))).statusCode).toBe(200);
    const bobScoped = await seedToken(ctx, bob, {
      role: "fineGrained",
      scoped: [{ entity: { type: "model", name: "alice/model" }, permissions: ["repo.content.read"] }],
    });
    const refused = await batch("/alice/model.git", "upload", [{ oid, size: 1 }], bearer(bobScoped));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toBe("This token lacks discussion.write on alice/model");
    await seedRepo(ctx, alice, "alice/other");
    const scoped = await seedToken(ctx, alice, {
      role: "fineGrained",
      scoped: [{ entity: { type: "model", name: "alice/other" }, permissions: ["repo.content.read", "repo.write"] }],
    });
    expect((await batch("/alice/model.git", "upload", [{ oid, size: 1 }], bearer(scoped))).statusCode).toBe(403);
    expect((await batch("/alice/other.git", "upload", [{ oid, size: 1 }], bearer(scoped))).statusCode).toBe(200);
  });

  it("reports invalid oids and sizes per object", async () => {
    const response = await batch(
      "/alice/model.git",
      "upload",
      [
        { oid: "XYZ", size: 1 },
        { oid, size: -1 },
        { oid, size: 1.5 },
        { oid: "b".repeat(64), size: 3 },
      ],
      bearer(write),
    );
    expect(response.statusCode).toBe(200);
    const [badOid, negative, fraction, fine] = response.json().objects;
    expect(badOid.error.code).toBe(422);
    expect(negative.error.code).toBe(422);
    expect(fraction.error.code).toBe(422);
    expect(fine.actions.upload).toBeDefined();
    const unknownAlgo = await app.inject({
      method: "POST",
      url: "/alice/model.git/info/lfs/objects/batch",
      headers: { ...LFS, ...bearer(write) },
      payload: { operation: "upload", hash_algo: "md5", objects: [] },
    });
    expect(unknownAlgo.statusCode).toBe(422);
    const garbage = await app.inject({
      method: "POST",
      url: "/alice/model.git/info/lfs/objects/batch",
      headers: { ...LFS, ...bearer(write) },
      payload: "{not json",
    });
    expect(garbage.statusCode).toBe(400);
  });

  it("answers verify for held objects and 404 on locks/verify", async () => {
    await store();
    const verify = (body: unknown) =>
      app.inject({
        method: "POST",
        url: "/alice/model.git/info/lfs/objects/verify",
        headers: { ...LFS, ...basic(write) },
        payload: body as object,
      });
    expect((await verify({ oid, size: bytes.length })).statusCode).toBe(200);
    expect((await verify({ oid, size: 1 })).statusCode).toBe(404);
    expect((await verify({ oid: "c".repeat(64), size: 1 })).statusCode).toBe(404);
    const locks = await app.inject({
      method: "POST",
      url: "/alice/model.git/info/lfs/locks/verify",
      headers: { ...LFS, ...basic(write) },
      payload: { ref: { name: "refs/heads/main" } },
    });
    expect(locks.statusCode).toBe(404);
  });

  it("serves datasets under /datasets/", async () => {
    await seedRepo(ctx, alice, "alice/data", { type: "dataset" });
    const href = await uploadHref("/datasets/alice/data");
    expect(href).toMatch(/^http:\/\/hub\.test\/datasets\/alice\/data\.git\//);
    expect((await app.inject({ method: "PUT", url: local(href), payload: bytes })).statusCode).toBe(200);
    // The model of the same name is another repo.
    expect((await batch("/alice/data.git", "download", [{ oid, size: bytes.length }], bearer(write))).statusCode).toBe(
      404,
    );
  });
});
