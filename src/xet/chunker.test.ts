import { getChunks } from "@huggingface/xetchunk-wasm";
import { describe, expect, it } from "vitest";
import { compressibleBytesFrom, randomBytesFrom } from "../../test/helpers/xet-data.ts";
import { oracleChunks } from "../../test/helpers/xet-oracle.ts";
import { chunkBuffer, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, XetChunker } from "./chunker.ts";
import { hashToHex } from "./hash-hex.ts";

function ours(data: Uint8Array, piece = data.length): { hash: string; length: number }[] {
  const chunker = new XetChunker();
  const chunks = [];
  for (let at = 0; at < data.length; at += piece) chunks.push(...chunker.push(data.subarray(at, at + piece)));
  const last = chunker.finish();
  if (last) chunks.push(last);
  let at = 0;
  for (const chunk of chunks) {
    // Each chunk's data is the slice of the input it covers.
    expect(Buffer.from(chunk.data).equals(data.subarray(at, at + chunk.length))).toBe(true);
    at += chunk.length;
  }
  expect(at).toBe(data.length);
  return chunks.map((chunk) => ({ hash: hashToHex(chunk.hash), length: chunk.length }));
}

/** Sets the byte at offset 8127 of the chunk after the first cut (and of the first chunk) to `value`. */
function withByteAfterCut(data: Uint8Array, value: number): Uint8Array {
  const copy = data.slice();
  const first = chunkBuffer(copy)[0];
  copy[8127] = value;
  copy[(first?.length ?? 0) + 8127] = value;
  return copy;
}

describe("chunker against xet-core", () => {
  const sizes = [0, 1, 63, 8127, 8128, 8191, 8192, 8193, 65536, 131071, 131072, 131073, 1 << 20, (3 << 20) + 17];
  it.each(sizes)("cuts %i random bytes as Rust does", (size) => {
    const data = randomBytesFrom(size + 1, size);
    expect(ours(data)).toEqual(oracleChunks(data));
  });

  it.each([
    ["compressible", compressibleBytesFrom(5, 2 << 20)],
    ["zeros (every chunk at the maximum)", new Uint8Array(1 << 20)],
    ["a repeated 8 KiB block", new Uint8Array(1 << 20).map((_, i) => (i % 8192) & 0xff)],
  ])("cuts %s data as Rust does", (_name, data) => {
    const expected = oracleChunks(data);
    expect(ours(data)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(4);
  });

  it.each([1, 7, 4096, 8127, 8128, 65537, 200_000])("gives the same chunks when fed %i bytes at a time", (piece) => {
    const data = randomBytesFrom(piece, piece === 1 ? 300_000 : 2 << 20);
    expect(ours(data, piece)).toEqual(oracleChunks(data));
  });

  it("never cuts below the minimum except at the end, nor above the maximum", () => {
    const chunks = ours(randomBytesFrom(42, 4 << 20));
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(MIN_CHUNK_SIZE);
      expect(chunk.length).toBeLessThanOrEqual(MAX_CHUNK_SIZE);
    }
  });

  it.each([0x11, 0x17])("follows Rust, not xetchunk-wasm, when byte 8127 after a cut is %i", (value) => {
    const data = withByteAfterCut(randomBytesFrom(1234, 1 << 20), value);
    const expected = oracleChunks(data);
    expect(ours(data)).toEqual(expected);
    expect(expected.every((chunk, i) => i === expected.length - 1 || chunk.length >= MIN_CHUNK_SIZE)).toBe(true);
    // The input does trigger the divergence: the JS package cuts at 8128 bytes where Rust does not.
    const js = getChunks(data).map((chunk) => chunk.length);
    expect(js).toContain(8128);
    expect(js).not.toEqual(expected.map((chunk) => chunk.length));
  });
});
