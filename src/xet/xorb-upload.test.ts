import { readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { readAll } from "../../test/helpers/streams.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { compressibleBytesFrom, randomBytesFrom } from "../../test/helpers/xet-data.ts";
import { buildUpload, xetStorageOf } from "../../test/helpers/xet-upload.ts";
import type { Repo } from "../domain/entities.ts";
import { findXorbs } from "../store/xet-xorbs.ts";
import { hashToHex } from "./hash-hex.ts";
import { chunkHash, isGlobalDedupEligible } from "./xet-hash.ts";
import type { XetStorage } from "./xet-storage.ts";
import { parseXorb, serializeXorb } from "./xorb-codec.ts";
import { storeXorb } from "./xorb-upload.ts";

function objectFiles(dataDir: string): string[] {
  const root = path.join(dataDir, "xet", "objects");
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

describe.each(testDialects())("xorb upload on %s", (dialect) => {
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

  it("stores a verified xorb once, however often and by whichever repo it is uploaded", async () => {
    const [xorb] = buildUpload(compressibleBytesFrom(1, 600_000)).xorbs;
    if (!xorb) throw new Error("no xorb");
    expect(await storeXorb(storage, repo.id, xorb.hashHex, xorb.stored)).toEqual({ wasInserted: true });
    expect(await storeXorb(storage, other.id, xorb.hashHex, xorb.stored)).toEqual({ wasInserted: false });
    expect(await storeXorb(storage, repo.id, xorb.hashHex, xorb.stored)).toEqual({ wasInserted: false });
    const rows = await findXorbs(ctx.db, [xorb.hashHex]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ chunkCount: xorb.index.chunkCount, storedSize: xorb.stored.length });
    expect(objectFiles(ctx.config.dataDir)).toHaveLength(1);
    // The stored bytes are the verified chunks.
    const stored = await readAll(storage.objects.get(rows[0]?.objectKey ?? ""));
    expect(parseXorb(stored).hashHex).toBe(xorb.hashHex);
  });

  it("stores two concurrent uploads of one new xorb once", async () => {
    const [xorb] = buildUpload(randomBytesFrom(2, 300_000)).xorbs;
    if (!xorb) throw new Error("no xorb");
    const results = await Promise.all([
      storeXorb(storage, repo.id, xorb.hashHex, xorb.stored),
      storeXorb(storage, other.id, xorb.hashHex, xorb.stored),
    ]);
    expect(results.map((r) => r.wasInserted).sort()).toEqual([false, true]);
    expect(await findXorbs(ctx.db, [xorb.hashHex])).toHaveLength(1);
    expect(objectFiles(ctx.config.dataDir)).toHaveLength(1);
    expect(await ctx.db.selectFrom("xet_unlinked_object").selectAll().execute()).toEqual([]);
  });

  it("keeps nothing of a body that hashes to another xorb or does not parse", async () => {
    const [a] = buildUpload(randomBytesFrom(3, 200_000)).xorbs;
    const [b] = buildUpload(randomBytesFrom(4, 200_000)).xorbs;
    if (!a || !b) throw new Error("no xorb");
    await expect(storeXorb(storage, repo.id, b.hashHex, a.stored)).rejects.toMatchObject({
      code: "BadRequest",
      message: expect.stringMatching(/not to the xorb hash/),
    });
    await expect(storeXorb(storage, repo.id, a.hashHex, a.stored.subarray(0, 100))).rejects.toMatchObject({
      code: "BadRequest",
    });
    await expect(storeXorb(storage, repo.id, "not-a-hash", a.stored)).rejects.toMatchObject({ code: "BadRequest" });
    expect(await findXorbs(ctx.db, [a.hashHex, b.hashHex])).toEqual([]);
    expect(objectFiles(ctx.config.dataDir)).toEqual([]);
  });

  it("indexes the chunks the global dedup query may answer for", async () => {
    // Chunks whose hash is 0 mod 1024 in its last word, found by trying seeds, among ordinary ones.
    const eligible: Uint8Array[] = [];
    for (let seed = 1; eligible.length < 2; seed++) {
      const data = randomBytesFrom(seed, 9000);
      if (isGlobalDedupEligible(chunkHash(data), false)) eligible.push(data);
    }
    const chunks = [
      randomBytesFrom(-1, 9000),
      eligible[0] as Uint8Array,
      randomBytesFrom(-2, 9000),
      eligible[1] as Uint8Array,
    ];
    const xorb = serializeXorb(chunks);
    await storeXorb(storage, repo.id, xorb.hashHex, xorb.stored);
    const rows = await ctx.db.selectFrom("xet_dedup_chunk").selectAll().execute();
    expect(rows.map((row) => [row.chunk_hash, row.xorb_hash, row.chunk_index]).sort()).toEqual(
      [
        [hashToHex(chunkHash(chunks[1] as Uint8Array)), xorb.hashHex, 1],
        [hashToHex(chunkHash(chunks[3] as Uint8Array)), xorb.hashHex, 3],
      ].sort(),
    );
  });
});
