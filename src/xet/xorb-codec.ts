/**
 * Serialized xorbs (spec/xet.md §4.4, §6 "Xorb upload"): a concatenation of chunks, at most 64 MiB and 8192
 * chunks, optionally followed by the `XETBLOB` footer of stored objects (tolerated and dropped: clients do
 * not send one, and Berth never trusts one). Parsing decodes every chunk, recomputes every chunk hash and
 * the xorb hash from them, so an accepted xorb is exactly what its hash names.
 */
import { hashToHex } from "./hash-hex.ts";
import { chunkHash, type HashedLength, xorbHash } from "./xet-hash.ts";
import {
  CHUNK_HEADER_SIZE,
  type CompressionScheme,
  decodeChunk,
  encodeChunk,
  invalidXorb,
  readChunkHeader,
  writeChunkHeader,
} from "./xorb-chunk.ts";
import type { XorbIndex } from "./xorb-index.ts";

export const MAX_XORB_BYTES = 64 * 1024 * 1024;
export const MAX_XORB_CHUNKS = 8192;
/** Room for a trailing `XETBLOB` footer (chunk hashes and boundaries: ~350 KiB for 8192 chunks). */
export const MAX_XORB_FOOTER_BYTES = 1024 * 1024;
/** Largest upload body to accept for a xorb. */
export const MAX_XORB_UPLOAD_BYTES = MAX_XORB_BYTES + MAX_XORB_FOOTER_BYTES;
const FOOTER_IDENT = new TextEncoder().encode("XETBLOB");

export interface ParsedXorb {
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly index: XorbIndex;
  /** The chunk bytes to store: the body without a footer. */
  readonly stored: Uint8Array;
}

/**
 * Parses and verifies an uploaded xorb. With `expected` (the hash in the upload path), a body whose chunks
 * hash to anything else is refused. Throws BadRequest ("Invalid xorb: …") on any fault.
 */
export function parseXorb(body: Uint8Array, expected?: Uint8Array): ParsedXorb {
  if (body.length > MAX_XORB_UPLOAD_BYTES) throw invalidXorb(`${body.length} bytes, more than the 64 MiB limit`);
  const hashes = new Uint8Array(MAX_XORB_CHUNKS * 32);
  const byteOffsets: number[] = [];
  const unpackedOffsets: number[] = [];
  const chunks: HashedLength[] = [];
  let offset = 0;
  let unpacked = 0;
  while (offset < body.length && !startsWithFooter(body, offset)) {
    const at = chunks.length;
    if (at === MAX_XORB_CHUNKS) throw invalidXorb(`more than ${MAX_XORB_CHUNKS} chunks`);
    const header = readChunkHeader(body, offset, at);
    const payloadStart = offset + CHUNK_HEADER_SIZE;
    const payloadEnd = payloadStart + header.compressedLength;
    if (payloadEnd > body.length) throw invalidXorb(`chunk ${at}: truncated payload`);
    const data = decodeChunk(header, body.subarray(payloadStart, payloadEnd), at);
    const hash = chunkHash(data);
    hashes.set(hash, at * 32);
    chunks.push({ hash, length: data.length });
    byteOffsets.push(offset);
    unpackedOffsets.push(unpacked);
    offset = payloadEnd;
    unpacked += data.length;
  }
  if (chunks.length === 0) throw invalidXorb("no chunks");
  if (offset > MAX_XORB_BYTES) throw invalidXorb(`${offset} bytes of chunks, more than the 64 MiB limit`);
  if (body.length - offset > MAX_XORB_FOOTER_BYTES) throw invalidXorb("footer too large");
  byteOffsets.push(offset);
  unpackedOffsets.push(unpacked);
  const hash = xorbHash(chunks);
  if (expected && !equal(hash, expected)) {
    throw invalidXorb(`the chunks hash to ${hashToHex(hash)}, not to the xorb hash ${hashToHex(expected)}`);
  }
  return {
    hash,
    hashHex: hashToHex(hash),
    index: {
      chunkCount: chunks.length,
      hashes: hashes.slice(0, chunks.length * 32),
      byteOffsets: Uint32Array.from(byteOffsets),
      unpackedOffsets: Uint32Array.from(unpackedOffsets),
    },
    stored: body.subarray(0, offset),
  };
}

export interface SerializedXorb extends ParsedXorb {
  readonly chunkHashes: readonly Uint8Array[];
}

/** Serializes chunks into a xorb (tests, and server-side conversion of plain LFS objects later). */
export function serializeXorb(
  chunks: readonly Uint8Array[],
  scheme: CompressionScheme | "smallest" = "smallest",
): SerializedXorb {
  const encoded = chunks.map((data) => encodeChunk(data, scheme));
  const size = encoded.reduce((sum, { payload }) => sum + CHUNK_HEADER_SIZE + payload.length, 0);
  const stored = new Uint8Array(size);
  const hashes = new Uint8Array(chunks.length * 32);
  const byteOffsets = new Uint32Array(chunks.length + 1);
  const unpackedOffsets = new Uint32Array(chunks.length + 1);
  const chunkHashes: Uint8Array[] = [];
  let offset = 0;
  encoded.forEach(({ header, payload }, i) => {
    const data = chunks[i] as Uint8Array;
    const hash = chunkHash(data);
    chunkHashes.push(hash);
    hashes.set(hash, i * 32);
    byteOffsets[i] = offset;
    writeChunkHeader(stored, offset, header);
    stored.set(payload, offset + CHUNK_HEADER_SIZE);
    offset += CHUNK_HEADER_SIZE + payload.length;
    unpackedOffsets[i + 1] = (unpackedOffsets[i] as number) + data.length;
  });
  byteOffsets[chunks.length] = offset;
  const hash = xorbHash(chunks.map((data, i) => ({ hash: chunkHashes[i] as Uint8Array, length: data.length })));
  return {
    hash,
    hashHex: hashToHex(hash),
    index: { chunkCount: chunks.length, hashes, byteOffsets, unpackedOffsets },
    stored,
    chunkHashes,
  };
}

function startsWithFooter(body: Uint8Array, offset: number): boolean {
  if (body.length - offset < FOOTER_IDENT.length) return false;
  for (let i = 0; i < FOOTER_IDENT.length; i++) if (body[offset + i] !== FOOTER_IDENT[i]) return false;
  return true;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * The data of `count` chunks read from `bytes` (stored xorb bytes starting at a chunk header). Throws
 * BadRequest on damage, which for stored, verified bytes means the store was corrupted.
 */
export function* decodeChunks(bytes: Uint8Array, count: number): Generator<Uint8Array> {
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const header = readChunkHeader(bytes, offset, i);
    const payloadStart = offset + CHUNK_HEADER_SIZE;
    offset = payloadStart + header.compressedLength;
    if (offset > bytes.length) throw invalidXorb(`chunk ${i}: truncated payload`);
    yield decodeChunk(header, bytes.subarray(payloadStart, offset), i);
  }
}
