import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { readAll } from "../../test/helpers/streams.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { randomBytesFrom } from "../../test/helpers/xet-data.ts";
import { type BuiltUpload, chunksOf, registerContent, xetStorageOf } from "../../test/helpers/xet-upload.ts";
import type { Repo } from "../domain/entities.ts";
import { linkLfsObject } from "../store/lfs-objects.ts";
import { deleteRepoRow } from "../store/repos.ts";
import { findXetFile } from "../store/xet-files.ts";
import { findXorbs, recordUnlinkedObject } from "../store/xet-xorbs.ts";
import { decodeFileTerms } from "./file-terms.ts";
import { DiskObjectStore, newXorbObjectKey, type ObjectStore } from "./object-store.ts";
import { readXetFile } from "./reconstruction-reader.ts";
import { collectXetGarbage } from "./xet-gc.ts";
import type { XetStorage } from "./xet-storage.ts";
import { parseXorb, serializeXorb } from "./xorb-codec.ts";
import { storeXorb } from "./xorb-upload.ts";

const HOUR = 3600_000;
const GRACE = 24 * HOUR;

describe.each(testDialects())("Xet garbage collection on %s", (dialect) => {
  let ctx: TestContext;
  let storage: XetStorage;
  let a: Repo;
  let b: Repo;
  /** F: registered by both repos. G: only by A, sharing its first xorbs with F. */
  let shared: BuiltUpload;
  let onlyA: BuiltUpload;
  let sharedContent: Uint8Array;

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    storage = xetStorageOf(ctx);
    const alice = await seedUser(ctx, "alice");
    a = await seedRepo(ctx, alice, "alice/a");
    b = await seedRepo(ctx, alice, "alice/b");
    sharedContent = randomBytesFrom(1, 1_500_000);
    const prefix = chunksOf(sharedContent)
      .slice(0, 6)
      .reduce((sum, chunk) => sum + chunk.length, 0);
    const onlyAContent = new Uint8Array([...sharedContent.subarray(0, prefix), ...randomBytesFrom(2, 800_000)]);
    shared = await registerContent(storage, a.id, sharedContent, { chunksPerXorb: 3 });
    await registerContent(storage, b.id, sharedContent, { chunksPerXorb: 3 });
    onlyA = await registerContent(storage, a.id, onlyAContent, { chunksPerXorb: 3 });
  });
  afterEach(async () => ctx?.dispose());

  const hashesOf = (upload: BuiltUpload) => upload.xorbs.map((xorb) => xorb.hashHex);
  const storedXorbs = async (hashes: string[]) => (await findXorbs(ctx.db, hashes)).map((row) => row.hash).sort();

  async function objectsExist(hashes: string[]): Promise<boolean[]> {
    const rows = await findXorbs(ctx.db, hashes);
    return Promise.all(rows.map((row) => storage.objects.exists(row.objectKey)));
  }

  it("releases what only a deleted repo used and keeps every xorb a remaining file needs", async () => {
    const common = hashesOf(onlyA).filter((hash) => hashesOf(shared).includes(hash));
    const unique = hashesOf(onlyA).filter((hash) => !common.includes(hash));
    expect(common).toHaveLength(2);
    expect(unique.length).toBeGreaterThan(0);
    const uniqueKeys = (await findXorbs(ctx.db, unique)).map((row) => row.objectKey);

    await deleteRepoRow(ctx.db, a.id);
    ctx.advance(GRACE + HOUR);
    const report = await collectXetGarbage(storage, { graceMs: GRACE });

    expect(report).toEqual({ files: 1, xorbs: unique.length, objects: unique.length });
    expect(await findXetFile(ctx.db, onlyA.file.fileHash)).toBeUndefined();
    expect(await storedXorbs(hashesOf(onlyA))).toEqual([...common].sort());
    expect(await Promise.all(uniqueKeys.map((key) => storage.objects.exists(key)))).toEqual(
      uniqueKeys.map(() => false),
    );
    // The file B still holds reads in full, shared xorbs included.
    const row = await findXetFile(ctx.db, shared.file.fileHash);
    const file = { size: row?.size ?? 0, terms: decodeFileTerms(row?.terms ?? new Uint8Array()) };
    expect((await readAll(readXetFile(storage, file))).equals(sharedContent)).toBe(true);
    expect(await objectsExist(hashesOf(shared))).toEqual(hashesOf(shared).map(() => true));
  });

  it("keeps everything within the grace period, and a file another repo holds as an LFS object", async () => {
    await deleteRepoRow(ctx.db, a.id);
    ctx.advance(GRACE - HOUR);
    expect(await collectXetGarbage(storage, { graceMs: GRACE })).toEqual({ files: 0, xorbs: 0, objects: 0 });
    await linkLfsObject(ctx.db, b.id, onlyA.file.sha256, onlyA.size, ctx.now());
    ctx.advance(2 * HOUR);
    expect(await collectXetGarbage(storage, { graceMs: GRACE })).toEqual({ files: 0, xorbs: 0, objects: 0 });
    expect(await storedXorbs(hashesOf(onlyA))).toEqual([...hashesOf(onlyA)].sort());
  });

  it("keeps a xorb uploaded during the collection and one uploaded again while it was being deleted", async () => {
    await deleteRepoRow(ctx.db, a.id);
    ctx.advance(GRACE + HOUR);
    const fresh = serializeXorb([randomBytesFrom(3, 50_000), randomBytesFrom(4, 70_000)]);
    const unique = onlyA.xorbs.filter((xorb) => !hashesOf(shared).includes(xorb.hashHex));
    // An upload that arrives while the collection deletes its first object: a new xorb, and a client
    // sending again every xorb of the file being collected (as it would when retrying the upload).
    const disk = new DiskObjectStore(ctx.config.dataDir);
    let uploads: Promise<unknown> | undefined;
    const racing: ObjectStore = {
      put: (key, body) => disk.put(key, body),
      get: (key, range) => disk.get(key, range),
      exists: (key) => disk.exists(key),
      delete: async (key) => {
        uploads ??= (async () => {
          await storeXorb(storage, b.id, fresh.hashHex, fresh.stored);
          for (const xorb of unique) await storeXorb(storage, b.id, xorb.hashHex, xorb.stored);
        })();
        await uploads;
        await disk.delete(key);
      },
    };
    const report = await collectXetGarbage({ ...storage, objects: racing }, { graceMs: GRACE });
    expect(report.xorbs).toBe(1);
    for (const xorb of [fresh, ...unique]) {
      const [row] = await findXorbs(ctx.db, [xorb.hashHex]);
      expect(row, xorb.hashHex).toBeDefined();
      expect(parseXorb(await readAll(disk.get(row?.objectKey ?? ""))).hashHex).toBe(xorb.hashHex);
    }
  });

  it("deletes bytes an upload left behind without registering them, once they are past the grace period", async () => {
    const stale = newXorbObjectKey(createHash("sha256").update("stale").digest("hex"));
    const pending = newXorbObjectKey(createHash("sha256").update("pending").digest("hex"));
    await recordUnlinkedObject(ctx.db, stale, ctx.now());
    await storage.objects.put(stale, new Uint8Array([1, 2, 3]));
    ctx.advance(GRACE + HOUR);
    await recordUnlinkedObject(ctx.db, pending, ctx.now());
    await storage.objects.put(pending, new Uint8Array([4, 5, 6]));
    expect(await collectXetGarbage(storage, { graceMs: GRACE })).toEqual({ files: 0, xorbs: 0, objects: 1 });
    expect(await storage.objects.exists(stale)).toBe(false);
    expect(await storage.objects.exists(pending)).toBe(true);
  });
});
