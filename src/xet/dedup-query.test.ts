import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { randomBytesFrom } from "../../test/helpers/xet-data.ts";
import { parseShardData } from "../../test/helpers/xet-hub-client.ts";
import { buildUpload, chunksOf, registerContent, xetStorageOf } from "../../test/helpers/xet-upload.ts";
import type { Repo } from "../domain/entities.ts";
import { findDedupShard } from "./dedup-query.ts";
import { hashToHex, hexToHash } from "./hash-hex.ts";
import { createHmac } from "./xet-hash.ts";
import type { XetStorage } from "./xet-storage.ts";
import { storeXorb } from "./xorb-upload.ts";

describe.each(testDialects())("global dedup query on %s", (dialect) => {
  let ctx: TestContext;
  let storage: XetStorage;
  let repo: Repo;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    storage = xetStorageOf(ctx);
    repo = await seedRepo(ctx, await seedUser(ctx, "alice"), "alice/one");
  });
  afterEach(async () => ctx?.dispose());

  it("answers for a file's first chunk with its xorb, chunk hashes keyed, to a caller who can read the repo", async () => {
    const content = randomBytesFrom(1, 600_000);
    const upload = await registerContent(storage, repo.id, content, { chunksPerXorb: 4 });
    const [first] = chunksOf(content);
    const asked: string[][] = [];
    const answer = await findDedupShard(storage, hashToHex(first?.hash ?? new Uint8Array()), async (ids) => {
      asked.push([...ids]);
      return ids.includes(repo.id);
    });
    expect(asked).toEqual([[repo.id]]);
    const parsed = await parseShardData(new Blob([(answer as Uint8Array).slice()]));
    expect(parsed.xorbs.map((xorb) => xorb.hash)).toEqual([upload.xorbs[0]?.hashHex]);
    const hmac = await createHmac(hexToHash(parsed.hmacKey));
    expect(parsed.xorbs[0]?.chunks[0]?.hash).toBe(hashToHex(hmac(first?.hash ?? new Uint8Array())));
    expect(parsed.xorbs[0]?.chunks.map((chunk) => chunk.hash)).not.toContain(
      hashToHex(first?.hash ?? new Uint8Array()),
    );
  });

  it("answers nothing about xorbs of repos the caller cannot read, nor for chunks it does not index", async () => {
    const content = randomBytesFrom(2, 300_000);
    await registerContent(storage, repo.id, content);
    const [first, second] = chunksOf(content);
    expect(
      await findDedupShard(storage, hashToHex(first?.hash ?? new Uint8Array()), async () => false),
    ).toBeUndefined();
    expect(
      await findDedupShard(storage, hashToHex(second?.hash ?? new Uint8Array()), async () => true),
    ).toBeUndefined();
  });

  it("names a xorb not yet in any file only to readers of the repo that uploaded it", async () => {
    // A chunk is eligible when its last word is 0 mod 1024: pick a content whose chunk is.
    let seed = 0;
    let built: ReturnType<typeof buildUpload>;
    do built = buildUpload(randomBytesFrom(++seed, 9000));
    while (
      ((built.xorbs[0]?.chunkHashes[0]?.[24] ?? 1) | (((built.xorbs[0]?.chunkHashes[0]?.[25] ?? 0) & 3) << 8)) !==
      0
    );
    const xorb = built.xorbs[0];
    if (!xorb) throw new Error("no xorb");
    await storeXorb(storage, repo.id, xorb.hashHex, xorb.stored);
    const chunk = hashToHex(xorb.chunkHashes[0] as Uint8Array);
    expect(await findDedupShard(storage, chunk, async (ids) => ids.includes("someone-else"))).toBeUndefined();
    expect(await findDedupShard(storage, chunk, async (ids) => ids.includes(repo.id))).toBeInstanceOf(Uint8Array);
  });
});
