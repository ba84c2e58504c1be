import { describe, expect, it } from "vitest";
import { randomBytesFrom } from "../../test/helpers/xet-data.ts";
import { captureHubUpload, parseShardData } from "../../test/helpers/xet-hub-client.ts";
import { buildUpload, shardOf } from "../../test/helpers/xet-upload.ts";
import { hashToHex, hexToHash } from "./hash-hex.ts";
import { parseShard, SHARD_ENTRY_SIZE, SHARD_FOOTER_SIZE } from "./shard-format.ts";
import { writeDedupShard } from "./shard-writer.ts";
import { createHmac } from "./xet-hash.ts";
import { parseXorb } from "./xorb-codec.ts";

/** hf_xet's layout: the shard cut right after the xorb section, footer_size 0. */
function withoutFooter(shard: Uint8Array): Uint8Array {
  const cut = shard.slice(0, shard.length - SHARD_FOOTER_SIZE);
  new DataView(cut.buffer).setBigUint64(40, 0n, true);
  return cut;
}

function expectInvalid(body: Uint8Array, message: RegExp): void {
  let error: unknown;
  try {
    parseShard(body);
  } catch (caught) {
    error = caught;
  }
  expect(error).toMatchObject({ name: "HubError", code: "BadRequest", status: 400, message });
}

describe("shards written by @huggingface/hub", async () => {
  const contents = [randomBytesFrom(21, 700_000), randomBytesFrom(22, 90_000), new Uint8Array(0)];
  const upload = await captureHubUpload(contents.map((content, i) => ({ path: `f${i}.bin`, content })));

  it("parse with the client's file hashes, SHA-256 claims and verification entries", () => {
    expect(upload.shards).toHaveLength(1);
    const shard = parseShard(upload.shards[0] as Uint8Array);
    expect(shard.footerSize).toBe(200);
    expect(shard.files.map((file) => [file.fileHash, file.sha256])).toEqual(
      upload.files.map((file) => [file.xetHash, file.sha256]),
    );
    for (const file of shard.files) {
      for (const term of file.terms) {
        expect(upload.xorbs.has(term.xorbHash)).toBe(true);
        expect(term.rangeHash).toHaveLength(32);
      }
    }
    expect(shard.xorbs.map((xorb) => xorb.hash).sort()).toEqual([...upload.xorbs.keys()].sort());
  });

  it("parse the same in hf_xet's layout without a footer", () => {
    const shard = upload.shards[0] as Uint8Array;
    const cut = parseShard(withoutFooter(shard));
    expect(cut.footerSize).toBe(0);
    expect(cut.files).toEqual(parseShard(shard).files);
  });
});

describe("shards written by Berth", () => {
  const built = buildUpload(randomBytesFrom(5, 500_000), { chunksPerXorb: 3 });
  it.each([true, false])("round trip with footer %s", (footer) => {
    const shard = parseShard(
      shardOf([built.file, { fileHash: "0".repeat(64), terms: [], sha256: "e3".repeat(32) }], footer),
    );
    expect(shard.footerSize).toBe(footer ? 200 : 0);
    expect(shard.files[0]?.fileHash).toBe(built.file.fileHash);
    expect(shard.files[0]?.sha256).toBe(built.file.sha256);
    expect(shard.files[0]?.terms.map((t) => [t.xorbHash, t.chunkStart, t.chunkEnd, t.unpackedBytes])).toEqual(
      built.file.terms.map((t) => [t.xorbHash, t.chunkStart, t.chunkEnd, t.unpackedBytes]),
    );
    expect(shard.files[1]).toEqual({ fileHash: "0".repeat(64), terms: [], sha256: "e3".repeat(32) });
  });
});

describe("dedup answers", async () => {
  const xorbs = buildUpload(randomBytesFrom(6, 1_500_000), { chunksPerXorb: 7 }).xorbs.map((xorb) => ({
    hash: xorb.hashHex,
    index: parseXorb(xorb.stored).index,
    storedSize: xorb.stored.length,
  }));
  const key = randomBytesFrom(77, 32);
  const createdAt = new Date("2026-05-01T00:00:00Z");
  const answer = await writeDedupShard(xorbs, { createdAt, expiresAt: new Date("2026-05-02T00:00:00Z"), hmacKey: key });
  const hmac = await createHmac(key);
  const view = new DataView(answer.buffer);
  const footerAt = answer.length - SHARD_FOOTER_SIZE;
  const u64 = (at: number) => Number(view.getBigUint64(footerAt + at, true));

  it("are read by @huggingface/hub's parser: xorbs, HMAC'd chunk hashes, unpacked offsets, key", async () => {
    const parsed = await parseShardData(new Blob([answer.slice()]));
    expect(parsed.hmacKey).toBe(hashToHex(key));
    expect(parsed.xorbs.map((xorb) => xorb.hash)).toEqual(xorbs.map((xorb) => xorb.hash));
    parsed.xorbs.forEach((xorb, i) => {
      const { index } = xorbs[i] as (typeof xorbs)[number];
      expect(xorb.chunks.map((chunk) => chunk.hash)).toEqual(
        Array.from({ length: index.chunkCount }, (_, c) => hashToHex(hmac(index.hashes.subarray(c * 32, c * 32 + 32)))),
      );
      expect(xorb.chunks.map((chunk) => chunk.startOffset)).toEqual([...index.unpackedOffsets.slice(0, -1)]);
    });
  });

  it("have an empty file section, footer[24] just past the xorb bookend, key, times and sorted lookups", () => {
    const shard = parseShard(answer);
    expect(shard.files).toEqual([]);
    const entries = xorbs.reduce((sum, xorb) => sum + 1 + xorb.index.chunkCount, 0);
    const xorbInfoAt = u64(16);
    expect(u64(24)).toBe(xorbInfoAt + (entries + 1) * SHARD_ENTRY_SIZE);
    expect(answer.subarray(footerAt + 72, footerAt + 104)).toEqual(key);
    expect(u64(104)).toBe(createdAt.getTime() / 1000);
    expect(u64(112)).toBe(createdAt.getTime() / 1000 + 86400);
    expect(u64(192)).toBe(footerAt);
    expect([u64(32), u64(48), u64(64)]).toEqual([0, xorbs.length, entries - xorbs.length]);
    // Chunk lookup: sorted keys, each pointing at the entry whose keyed hash it truncates.
    const chunkAt = u64(56);
    let previous = -1n;
    for (let row = 0; row < u64(64); row++) {
      const key64 = view.getBigUint64(chunkAt + row * 16, true);
      expect(key64 >= previous).toBe(true);
      previous = key64;
      const xorbEntry = view.getUint32(chunkAt + row * 16 + 8, true);
      const chunk = view.getUint32(chunkAt + row * 16 + 12, true);
      const entryAt = xorbInfoAt + (xorbEntry + 1 + chunk) * SHARD_ENTRY_SIZE;
      expect(view.getBigUint64(entryAt, true)).toBe(key64);
    }
    const xorbLookupAt = u64(40);
    for (let row = 0; row < xorbs.length; row++) {
      const entry = view.getUint32(xorbLookupAt + row * 12 + 8, true);
      const hash = hashToHex(answer, xorbInfoAt + entry * SHARD_ENTRY_SIZE);
      expect(hexToHash(hash).subarray(0, 8)).toEqual(
        answer.subarray(xorbLookupAt + row * 12, xorbLookupAt + row * 12 + 8),
      );
    }
  });
});

describe("hostile shards", () => {
  const good = shardOf([buildUpload(randomBytesFrom(9, 100_000)).file], true);
  const edit = (at: number, bytes: number[], body = good) => {
    const copy = body.slice();
    copy.set(bytes, at);
    return copy;
  };

  it.each([
    ["a wrong tag", edit(0, [0x48, 0x47]), /wrong tag/],
    ["an unknown version", edit(32, [3]), /unknown shard version 3/],
    ["an unexpected footer size", edit(40, [100]), /unexpected footer size 100/],
    ["unknown file flags", edit(48 + 32, [1]), /unknown flags/],
    ["a file section without its bookend", good.subarray(0, 48 + 48 * 2), /truncated|without its bookend/],
    ["a huge entry count", edit(48 + 36, [0xff, 0xff, 0xff, 0x7f]), /truncated/],
    ["trailing bytes without a footer", new Uint8Array([...withoutFooter(good), 1, 2, 3]), /unexpected bytes/],
    ["a footer size of 200 without a footer", edit(40, [200], withoutFooter(good)), /missing or unknown footer/],
    ["a header only", good.subarray(0, 40), /truncated header/],
  ])("refuses %s", (_name, body, message) => {
    expectInvalid(body, message);
  });
});
