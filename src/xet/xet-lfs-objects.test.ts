import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { bearer, seedRepo, seedToken, seedUser } from "../../test/helpers/seed.ts";
import { readAll } from "../../test/helpers/streams.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { compressibleBytesFrom, randomBytesFrom } from "../../test/helpers/xet-data.ts";
import { registerContent } from "../../test/helpers/xet-upload.ts";
import type { Repo, User } from "../domain/entities.ts";
import { buildApp } from "../http/app.ts";
import { findVerifiedXetFileBySha256 } from "../store/xet-files.ts";
import { openXetObject, verifyXetFileSha256, xetObjectSize } from "./xet-lfs-objects.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe.each(testDialects())("Xet files as LFS objects on %s", (dialect) => {
  let ctx: TestContext;
  let alice: User;
  let repo: Repo;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/one");
  });
  afterEach(async () => ctx?.dispose());

  it("serves a registered file under its verified SHA-256 through the LFS storage", async () => {
    const content = new Uint8Array([...compressibleBytesFrom(1, 700_000), ...randomBytesFrom(2, 500_000)]);
    await registerContent(ctx.xet, repo.id, content, { chunksPerXorb: 4 });
    const oid = sha256(content);
    expect(await ctx.lfs.sizeOf(oid)).toBe(content.length);
    expect((await readAll(ctx.lfs.read(oid))).equals(content)).toBe(true);
    const range = { start: 654_321, end: 1_000_000 };
    expect((await readAll(ctx.lfs.read(oid, range))).equals(content.subarray(range.start, range.end + 1))).toBe(true);
    expect(await ctx.lfs.sizeOf(sha256(new Uint8Array(3)))).toBeUndefined();
    await expect(readAll(openXetObject(ctx.xet, sha256(new Uint8Array(3))))).rejects.toMatchObject({
      code: "NotFound",
    });
  });

  it("does not serve a file whose SHA-256 Berth has not verified, and verifies it by streaming", async () => {
    const content = randomBytesFrom(3, 300_000);
    const { file } = await registerContent(ctx.xet, repo.id, content);
    await ctx.db.updateTable("xet_file").set({ sha256: null }).execute();
    expect(await xetObjectSize(ctx.xet, sha256(content))).toBeUndefined();
    expect(await ctx.lfs.sizeOf(sha256(content))).toBeUndefined();
    expect(await verifyXetFileSha256(ctx.xet, file.fileHash)).toEqual({ sha256: sha256(content), consistent: true });
    expect((await findVerifiedXetFileBySha256(ctx.db, sha256(content)))?.hash).toBe(file.fileHash);
    expect(await ctx.lfs.sizeOf(sha256(content))).toBe(content.length);
  });

  it("reports a recorded SHA-256 that the content no longer matches", async () => {
    const content = randomBytesFrom(4, 100_000);
    const { file } = await registerContent(ctx.xet, repo.id, content);
    await ctx.db
      .updateTable("xet_file")
      .set({ sha256: "ab".repeat(32) })
      .execute();
    expect(await verifyXetFileSha256(ctx.xet, file.fileHash)).toEqual({ sha256: sha256(content), consistent: false });
  });

  describe("over HTTP", () => {
    let app: FastifyInstance;
    beforeEach(async () => {
      app = await buildApp(ctx);
    });
    afterEach(async () => app.close());

    it("commits a Xet upload as an ordinary LFS file and resolves it, whole and in ranges", async () => {
      const content = randomBytesFrom(5, 900_000);
      await registerContent(ctx.xet, repo.id, content, { chunksPerXorb: 3 });
      const token = await seedToken(ctx, alice, { role: "write" });
      const commit = await app.inject({
        method: "POST",
        url: "/api/models/alice/one/commit/main",
        headers: { "content-type": "application/x-ndjson", ...bearer(token) },
        payload: [
          { key: "header", value: { summary: "Xet upload" } },
          { key: "lfsFile", value: { path: "model.bin", algo: "sha256", oid: sha256(content), size: content.length } },
        ]
          .map((line) => JSON.stringify(line))
          .join("\n"),
      });
      expect(commit.statusCode).toBe(200);
      const whole = await app.inject({ method: "GET", url: "/alice/one/resolve/main/model.bin" });
      expect(whole.statusCode).toBe(200);
      expect(whole.rawPayload.equals(content)).toBe(true);
      const part = await app.inject({
        method: "GET",
        url: "/alice/one/resolve/main/model.bin",
        headers: { range: "bytes=123456-654321" },
      });
      expect(part.statusCode).toBe(206);
      expect(part.rawPayload.equals(content.subarray(123_456, 654_322))).toBe(true);
    });
  });
});
