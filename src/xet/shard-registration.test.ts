import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { compressibleBytesFrom, randomBytesFrom } from "../../test/helpers/xet-data.ts";
import { captureHubUpload } from "../../test/helpers/xet-hub-client.ts";
import { type BuiltUpload, buildUpload, shardOf, xetStorageOf } from "../../test/helpers/xet-upload.ts";
import type { Repo } from "../domain/entities.ts";
import { findRepoLfsObject } from "../store/lfs-objects.ts";
import { findRepoXetFile, findXetFile } from "../store/xet-files.ts";
import { SHARD_FOOTER_SIZE } from "./shard-format.ts";
import { registerShard } from "./shard-registration.ts";
import type { ShardFileInput } from "./shard-writer.ts";
import type { XetStorage } from "./xet-storage.ts";
import { storeXorb } from "./xorb-upload.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe.each(testDialects())("shard registration on %s", (dialect) => {
  let ctx: TestContext;
  let storage: XetStorage;
  let repo: Repo;
  let other: Repo;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    storage = xetStorageOf(ctx);
    const alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/one");
    other = await seedRepo(ctx, alice, "alice/two");
  });
  afterEach(async () => ctx?.dispose());

  async function storeXorbsOf(upload: BuiltUpload): Promise<void> {
    for (const xorb of upload.xorbs) await storeXorb(storage, repo.id, xorb.hashHex, xorb.stored);
  }

  async function expectRefused(file: ShardFileInput, message: RegExp): Promise<void> {
    await expect(registerShard(storage, repo.id, shardOf([file]))).rejects.toMatchObject({
      code: "BadRequest",
      status: 400,
      message: expect.stringMatching(message),
    });
    expect(await findXetFile(ctx.db, file.fileHash)).toBeUndefined();
    if (file.sha256) expect(await findRepoLfsObject(ctx.db, repo.id, file.sha256)).toBeUndefined();
  }

  it("registers what @huggingface/hub uploads, in its layout and in hf_xet's", async () => {
    const contents = [compressibleBytesFrom(1, 900_000), randomBytesFrom(2, 300_000), new Uint8Array(0)];
    const upload = await captureHubUpload(contents.map((content, i) => ({ path: `f${i}`, content })));
    for (const [hash, body] of upload.xorbs) await storeXorb(storage, repo.id, hash, body);
    const shard = upload.shards[0] as Uint8Array;
    const registration = await registerShard(storage, repo.id, shard);
    expect(registration.result).toBe(1);
    expect(registration.files).toEqual(
      contents.map((content, i) => ({
        fileHash: upload.files[i]?.xetHash,
        size: content.length,
        sha256: sha256(content),
      })),
    );
    for (const [i, content] of contents.entries()) {
      expect(await findRepoLfsObject(ctx.db, repo.id, sha256(content))).toBe(content.length);
      expect(await findRepoXetFile(ctx.db, repo.id, upload.files[i]?.xetHash ?? "")).toMatchObject({
        size: content.length,
        sha256: sha256(content),
      });
      expect(await findRepoXetFile(ctx.db, other.id, upload.files[i]?.xetHash ?? "")).toBeUndefined();
    }
    // A replay by the same repo is acknowledged without registering anything new.
    expect((await registerShard(storage, repo.id, shard)).result).toBe(0);
    // hf_xet cuts the footer and sets footer_size 0: the same files, registered for another repo.
    const cut = shard.slice(0, shard.length - SHARD_FOOTER_SIZE);
    new DataView(cut.buffer).setBigUint64(40, 0n, true);
    expect((await registerShard(storage, other.id, cut)).files.map((f) => f.sha256)).toEqual(contents.map(sha256));
    expect(await findRepoLfsObject(ctx.db, other.id, sha256(contents[0] as Uint8Array))).toBe(900_000);
  });

  it("registers a file spread over several xorbs, shared by two repos, stored once", async () => {
    const content = randomBytesFrom(3, 2_000_000);
    const upload = buildUpload(content, { chunksPerXorb: 5 });
    expect(upload.xorbs.length).toBeGreaterThan(3);
    await storeXorbsOf(upload);
    await registerShard(storage, repo.id, shardOf([upload.file], true));
    await registerShard(storage, other.id, shardOf([upload.file], false));
    expect(await findRepoLfsObject(ctx.db, other.id, sha256(content))).toBe(content.length);
    const files = await ctx.db.selectFrom("xet_file").selectAll().execute();
    expect(files).toHaveLength(1);
    const links = await ctx.db.selectFrom("xet_file_repo").select("repo_id").execute();
    expect(links.map((l) => l.repo_id).sort()).toEqual([repo.id, other.id].sort());
    const needed = await ctx.db.selectFrom("xet_file_xorb").select("xorb_hash").execute();
    expect(needed.map((r) => r.xorb_hash).sort()).toEqual(upload.xorbs.map((x) => x.hashHex).sort());
  });

  describe("refuses", () => {
    let upload: BuiltUpload;
    let file: BuiltUpload["file"];
    beforeEach(async () => {
      upload = buildUpload(randomBytesFrom(4, 700_000), { chunksPerXorb: 4 });
      file = upload.file;
      await storeXorbsOf(upload);
    });
    const withTerm = (i: number, change: Partial<ShardFileInput["terms"][number]>): ShardFileInput => ({
      ...file,
      terms: file.terms.map((term, t) => (t === i ? { ...term, ...change } : term)),
    });

    it("a term on a xorb Berth does not hold", async () => {
      const [missing] = buildUpload(randomBytesFrom(5, 100_000)).xorbs;
      await expectRefused(withTerm(1, { xorbHash: missing?.hashHex ?? "" }), /unknown xorb/);
    });

    it("a range hash that does not match Berth's chunk hashes", async () => {
      const wrong = Uint8Array.from(file.terms[2]?.rangeHash ?? []);
      wrong[0] = (wrong[0] as number) ^ 1;
      await expectRefused(withTerm(2, { rangeHash: wrong }), /range hash does not match/);
    });

    it("a term over another range of a stored xorb, its range hash guessed", async () => {
      const term = file.terms[0] as ShardFileInput["terms"][number];
      await expectRefused(withTerm(0, { chunkStart: 1, unpackedBytes: term.unpackedBytes }), /unpacked bytes stated/);
      await expectRefused(withTerm(0, { chunkEnd: 99 }), /are not in a xorb of 4/);
      await expectRefused(withTerm(0, { chunkStart: 2, chunkEnd: 2 }), /are not in a xorb/);
    });

    it("a file hash that is not the hash of its chunks", async () => {
      await expectRefused({ ...file, fileHash: "ab".repeat(32) }, /its chunks hash to/);
      await expectRefused({ fileHash: "cd".repeat(32), terms: [] }, /its chunks hash to 0{64}/);
    });

    it("a file without verification entries", async () => {
      await expectRefused(withTerm(1, { rangeHash: undefined }), /missing verification/);
    });

    it("a SHA-256 claim its content does not match", async () => {
      const claim = sha256(new TextEncoder().encode("other bytes"));
      await expectRefused({ ...file, sha256: claim }, /claims SHA-256 .* its content hashes to/);
      expect(await findRepoLfsObject(ctx.db, repo.id, sha256(randomBytesFrom(4, 700_000)))).toBeUndefined();
    });

    it("a false SHA-256 claim made by the real client", async () => {
      const content = randomBytesFrom(6, 400_000);
      const lie = "0123456789abcdef".repeat(4);
      const captured = await captureHubUpload([{ path: "x", content, sha256: lie }]);
      for (const [hash, body] of captured.xorbs) await storeXorb(storage, repo.id, hash, body);
      await expect(registerShard(storage, repo.id, captured.shards[0] as Uint8Array)).rejects.toMatchObject({
        code: "BadRequest",
        message: expect.stringMatching(/claims SHA-256/),
      });
      expect(await findRepoLfsObject(ctx.db, repo.id, lie)).toBeUndefined();
    });

    it("a shard whose file section has no bookend", async () => {
      const body = shardOf([file]);
      await expect(registerShard(storage, repo.id, body.subarray(0, 48 + 48 * 3))).rejects.toMatchObject({
        code: "BadRequest",
        message: expect.stringMatching(/Invalid shard/),
      });
    });

    it("nothing of a shard whose second file is bad, though its first is good", async () => {
      const bad = { ...file, fileHash: "ef".repeat(32) };
      await expect(registerShard(storage, repo.id, shardOf([file, bad]))).rejects.toMatchObject({ code: "BadRequest" });
      expect(await findXetFile(ctx.db, file.fileHash)).toBeUndefined();
      expect(await findRepoLfsObject(ctx.db, repo.id, file.sha256)).toBeUndefined();
    });
  });
});
