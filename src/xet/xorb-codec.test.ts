import { describe, expect, it } from "vitest";
import { compressibleBytesFrom, randomBytesFrom } from "../../test/helpers/xet-data.ts";
import { captureHubUpload } from "../../test/helpers/xet-hub-client.ts";
import { chunkBuffer } from "./chunker.ts";
import { hashToHex, hexToHash } from "./hash-hex.ts";
import { parseShard } from "./shard-format.ts";
import {
  bg4Regroup,
  bg4Split,
  CHUNK_HEADER_SIZE,
  type CompressionScheme,
  SCHEME_BG4_LZ4,
  SCHEME_LZ4,
  SCHEME_NONE,
  writeChunkHeader,
} from "./xorb-chunk.ts";
import { decodeChunks, MAX_XORB_CHUNKS, parseXorb, serializeXorb } from "./xorb-codec.ts";
import { chunkHashAt } from "./xorb-index.ts";

const schemes: [string, CompressionScheme | "smallest"][] = [
  ["stored", SCHEME_NONE],
  ["LZ4", SCHEME_LZ4],
  ["BG4+LZ4", SCHEME_BG4_LZ4],
  ["the smallest", "smallest"],
];

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function expectInvalid(body: Uint8Array, message: RegExp, expected?: Uint8Array): void {
  let error: unknown;
  try {
    parseXorb(body, expected);
  } catch (caught) {
    error = caught;
  }
  expect(error).toMatchObject({ name: "HubError", code: "BadRequest", status: 400, message });
}

/** A xorb whose only chunk has the given raw header fields and payload. */
function handMade(scheme: number, compressed: number, uncompressed: number, payload: Uint8Array, version = 0) {
  const body = new Uint8Array(CHUNK_HEADER_SIZE + payload.length);
  writeChunkHeader(body, 0, {
    compressedLength: compressed,
    scheme: scheme as CompressionScheme,
    uncompressedLength: uncompressed,
  });
  body[0] = version;
  body.set(payload, CHUNK_HEADER_SIZE);
  return body;
}

describe("xorb round trips", () => {
  const lengths = [0, 1, 2, 3, 4, 5, 6, 7, 64 * 1024, 128 * 1024];
  it.each(schemes)("serializes and parses chunks %s", (_name, scheme) => {
    const chunks = lengths.map((length, i) => compressibleBytesFrom(i, length));
    const xorb = serializeXorb(chunks, scheme);
    const parsed = parseXorb(xorb.stored, xorb.hash);
    expect(parsed.hashHex).toBe(xorb.hashHex);
    expect(parsed.index).toEqual(xorb.index);
    const decoded = [...decodeChunks(parsed.stored, parsed.index.chunkCount)];
    expect(decoded.map((data) => data.length)).toEqual(lengths);
    for (const [i, data] of decoded.entries()) expect(same(data, chunks[i] as Uint8Array)).toBe(true);
    if (scheme !== "smallest") {
      for (let i = 0; i < chunks.length; i++)
        expect(parsed.stored[(xorb.index.byteOffsets[i] as number) + 4]).toBe(scheme);
    }
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 9])("BG4 groups and regroups %i bytes", (length) => {
    const data = Uint8Array.from({ length }, (_, i) => i);
    const grouped = bg4Split(data);
    const planes = [0, 1, 2, 3].flatMap((plane) => [...data].filter((_, i) => i % 4 === plane));
    expect([...grouped]).toEqual(planes);
    expect(bg4Regroup(grouped)).toEqual(data);
  });

  it("tolerates a trailing XETBLOB footer and stores the chunks without it", () => {
    const xorb = serializeXorb(chunkBuffer(randomBytesFrom(1, 300_000)).map((c) => c.data));
    const footer = new TextEncoder().encode("XETBLOB\u0001 anything the client appended");
    const body = new Uint8Array(xorb.stored.length + footer.length);
    body.set(xorb.stored);
    body.set(footer, xorb.stored.length);
    const parsed = parseXorb(body, xorb.hash);
    expect(parsed.stored.length).toBe(xorb.stored.length);
  });
});

describe("xorbs written by @huggingface/hub", async () => {
  const content = new Uint8Array([...compressibleBytesFrom(11, 900_000), ...randomBytesFrom(12, 900_000)]);
  const upload = await captureHubUpload([{ path: "model.bin", content }]);
  const shard = parseShard(upload.shards[0] as Uint8Array);

  it("parse under the hash the client posted them to, with the client's chunk hashes", () => {
    expect(upload.xorbs.size).toBe(1);
    for (const [hash, body] of upload.xorbs) {
      const parsed = parseXorb(body, hexToHash(hash));
      const listed = shard.xorbs.find((xorb) => xorb.hash === hash);
      expect(listed?.chunks.map((c) => hashToHex(c.hash))).toEqual(
        Array.from({ length: parsed.index.chunkCount }, (_, i) => hashToHex(chunkHashAt(parsed.index, i))),
      );
      expect(listed?.chunks.map((c) => c.unpackedOffset)).toEqual([...parsed.index.unpackedOffsets.slice(0, -1)]);
      const data = Buffer.concat([...decodeChunks(parsed.stored, parsed.index.chunkCount)]);
      expect(data.equals(content)).toBe(true);
      // The client compressed the text part and stored the random part: more than one scheme is exercised.
      const used = new Set(
        Array.from({ length: parsed.index.chunkCount }, (_, i) => body[(parsed.index.byteOffsets[i] as number) + 4]),
      );
      expect(used.size).toBeGreaterThan(1);
    }
  });
});

describe("hostile xorbs", () => {
  const good = serializeXorb(
    chunkBuffer(compressibleBytesFrom(3, 400_000)).map((c) => c.data),
    SCHEME_LZ4,
  );

  it("refuses a body whose chunks hash to another xorb hash", () => {
    const other = hexToHash("ab".repeat(32));
    expectInvalid(good.stored, /do not|not to the xorb hash/, other);
  });

  it("refuses a truncated chunk", () => {
    expectInvalid(good.stored.subarray(0, good.stored.length - 1), /truncated payload/);
    expectInvalid(good.stored.subarray(0, (good.index.byteOffsets[1] as number) + 3), /truncated header/);
  });

  it("refuses an unknown compression scheme or chunk version", () => {
    expectInvalid(handMade(3, 4, 4, new Uint8Array(4)), /unknown compression scheme 3/);
    expectInvalid(handMade(0, 4, 4, new Uint8Array(4), 1), /unknown chunk version 1/);
  });

  it("refuses more than 128 KiB uncompressed or 256 KiB compressed", () => {
    expectInvalid(handMade(0, 131073, 131073, new Uint8Array(131073)), /131073 bytes uncompressed/);
    expectInvalid(handMade(1, 262145, 1000, new Uint8Array(262145)), /262145 bytes compressed/);
  });

  it("refuses a stored chunk whose lengths differ, a frame that does not decode, and a wrong decoded length", () => {
    expectInvalid(handMade(0, 4, 5, new Uint8Array(4)), /differing lengths/);
    expectInvalid(handMade(1, 16, 100, new Uint8Array(16).fill(7)), /does not decode/);
    const lz4 = serializeXorb([new Uint8Array(1000)], SCHEME_LZ4).stored;
    lz4[5] = 0xe7; // the header now announces 999 bytes
    expectInvalid(lz4, /decodes to 1000 bytes, the header says 999/);
  });

  it("refuses more than 64 MiB of chunks and more than 8192 chunks", () => {
    const big = new Uint8Array(128 * 1024);
    const oversize = serializeXorb(
      Array.from({ length: 513 }, () => big),
      SCHEME_NONE,
    );
    expectInvalid(oversize.stored, /more than the 64 MiB limit/);
    const many = serializeXorb(
      Array.from({ length: MAX_XORB_CHUNKS + 1 }, () => new Uint8Array(0)),
      SCHEME_NONE,
    );
    expectInvalid(many.stored, /more than 8192 chunks/);
    expect(parseXorb(many.stored.subarray(0, MAX_XORB_CHUNKS * CHUNK_HEADER_SIZE)).index.chunkCount).toBe(8192);
  });

  it("refuses an empty body and trailing bytes that are not a footer", () => {
    expectInvalid(new Uint8Array(0), /no chunks/);
    const trailing = new Uint8Array(good.stored.length + 9);
    trailing.set(good.stored);
    trailing.fill(0x41, good.stored.length);
    expectInvalid(trailing, /unknown chunk version 65/);
  });
});
