import { GEAR_TABLE as PACKAGE_GEAR_TABLE } from "gearhash-jit";
import { describe, expect, it } from "vitest";
import { randomBytesFrom } from "../../test/helpers/xet-data.ts";
import {
  oracleChunks,
  oracleFileHash,
  oracleHmac,
  oracleVerificationHash,
  oracleXorbHash,
} from "../../test/helpers/xet-oracle.ts";
import { GEAR_TABLE } from "./gear-table.ts";
import { hashToHex, hexToHash } from "./hash-hex.ts";
import { chunkHash, createHmac, fileHash, isGlobalDedupEligible, verificationHash, xorbHash } from "./xet-hash.ts";

describe("hash text form", () => {
  it("prints bytes 0..31 as four little-endian u64 words (§4.1)", () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(hashToHex(bytes)).toBe("07060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918");
    expect(hexToHash(hashToHex(bytes))).toEqual(bytes);
  });

  it.each(["", "00", "0".repeat(63), "0".repeat(65), "A".repeat(64), "g".repeat(64)])("refuses %j", (text) => {
    expect(() => hexToHash(text)).toThrow(expect.objectContaining({ code: "BadRequest", status: 400 }));
  });
});

describe("Xet hashes against xet-core", () => {
  const chunks = oracleChunks(randomBytesFrom(7, 4 * 1024 * 1024)).concat(
    oracleChunks(randomBytesFrom(8, 2 * 1024 * 1024)),
  );
  const ours = chunks.map(({ hash, length }) => ({ hash: hexToHash(hash), length }));

  it("has chunks to aggregate", () => {
    expect(chunks.length).toBeGreaterThan(80);
  });

  it.each([0, 1, 2, 3, 4, 8, 9, 10, 17, 40, chunks.length])("xorb and file hash of %i chunks", (count) => {
    expect(hashToHex(xorbHash(ours.slice(0, count)))).toBe(oracleXorbHash(chunks.slice(0, count)));
    expect(hashToHex(fileHash(ours.slice(0, count)))).toBe(oracleFileHash(chunks.slice(0, count)));
  });

  it("hashes an empty file to 32 zero bytes", () => {
    expect(hashToHex(fileHash([]))).toBe("0".repeat(64));
    expect(oracleFileHash([])).toBe("0".repeat(64));
  });

  it.each([
    [0, 1],
    [0, 2],
    [3, 11],
    [0, 64],
  ])("verification hash of chunks [%i, %i)", (start, end) => {
    const raw = new Uint8Array((end - start) * 32);
    for (const [i, { hash }] of ours.slice(start, end).entries()) raw.set(hash, i * 32);
    expect(hashToHex(verificationHash(raw))).toBe(oracleVerificationHash(chunks.slice(start, end).map((c) => c.hash)));
  });

  it("keyed HMAC of a chunk hash", async () => {
    const key = randomBytesFrom(99, 32);
    const hmac = await createHmac(key);
    for (const chunk of chunks.slice(0, 5)) {
      expect(hashToHex(hmac(hexToHash(chunk.hash)))).toBe(oracleHmac(chunk.hash, hashToHex(key)));
    }
  });

  it("chunk hash of bytes, whole or in two pieces", () => {
    const data = randomBytesFrom(3, 200_000);
    const [first] = oracleChunks(data);
    const bytes = data.subarray(0, first?.length);
    expect(hashToHex(chunkHash(bytes))).toBe(first?.hash);
    expect(hashToHex(chunkHash(bytes.subarray(0, 1000), bytes.subarray(1000)))).toBe(first?.hash);
  });

  it("matches xet-core's own reference vector for three chunks", () => {
    // From xet-core merklehash/aggregated_hashes.rs `test_correctness`.
    const list = [
      ["cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6", 100],
      ["c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72", 200],
      ["0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37", 300],
    ] as const;
    const input = list.map(([hash, length]) => ({ hash: hexToHash(hash), length }));
    expect(hashToHex(xorbHash(input))).toBe("71ec1275fca074724e2dd666921b3277c7cee603e4d025bcab2d4050015be2bc");
    expect(hashToHex(fileHash(input))).toBe("54e55dccc6653c612bdb5576c5d3cb34bb31bc4e100248abccf4c908b3ef7715");
  });
});

describe("global dedup eligibility", () => {
  it("keeps the first chunk of a file and chunks whose last word is 0 mod 1024", () => {
    const hash = new Uint8Array(32).fill(0xab);
    expect(isGlobalDedupEligible(hash, true)).toBe(true);
    expect(isGlobalDedupEligible(hash, false)).toBe(false);
    hash[24] = 0;
    hash[25] = 0b1111_1100;
    expect(isGlobalDedupEligible(hash, false)).toBe(true);
    hash[25] = 0b1111_1110;
    expect(isGlobalDedupEligible(hash, false)).toBe(false);
  });
});

describe("gear table", () => {
  it("is rust-gearhash's table as gearhash-jit exports it", () => {
    expect(GEAR_TABLE).toEqual(PACKAGE_GEAR_TABLE);
  });
});
