/**
 * Xet uploads built with Berth's own primitives, as a client would make them: the Rust-faithful chunker,
 * xorbs of at most `chunksPerXorb` chunks (small values give multi-xorb files without 64 MiB of data),
 * a shard with verification entries and the SHA-256 claim. Tests only.
 */
import { createHash } from "node:crypto";
import { type Chunk, XetChunker } from "../../src/xet/chunker.ts";
import { hashToHex } from "../../src/xet/hash-hex.ts";
import { DiskObjectStore, type ObjectStore } from "../../src/xet/object-store.ts";
import { registerShard } from "../../src/xet/shard-registration.ts";
import { type ShardFileInput, serializeShard } from "../../src/xet/shard-writer.ts";
import { fileHash, verificationHash } from "../../src/xet/xet-hash.ts";
import type { XetStorage } from "../../src/xet/xet-storage.ts";
import { CHUNK_HEADER_SIZE, type CompressionScheme } from "../../src/xet/xorb-chunk.ts";
import { MAX_XORB_BYTES, MAX_XORB_CHUNKS, type SerializedXorb, serializeXorb } from "../../src/xet/xorb-codec.ts";
import { storeXorb } from "../../src/xet/xorb-upload.ts";
import type { TestContext } from "./test-context.ts";

export function xetStorageOf(
  ctx: TestContext,
  objects: ObjectStore = new DiskObjectStore(ctx.config.dataDir),
): XetStorage {
  return { db: ctx.db, objects, now: () => ctx.now() };
}

export interface BuiltUpload {
  readonly xorbs: readonly SerializedXorb[];
  readonly file: ShardFileInput & { readonly sha256: string };
  readonly size: number;
}

export function chunksOf(content: Uint8Array, piece = 1 << 20): Chunk[] {
  const chunker = new XetChunker();
  const chunks: Chunk[] = [];
  for (let at = 0; at < content.length; at += piece) chunks.push(...chunker.push(content.subarray(at, at + piece)));
  const last = chunker.finish();
  if (last) chunks.push(last);
  return chunks;
}

/** Xorbs and a shard file entry for `content`, every `chunksPerXorb` chunks a new xorb. */
export function buildUpload(
  content: Uint8Array,
  options: { chunksPerXorb?: number; scheme?: CompressionScheme | "smallest"; sha256?: string } = {},
): BuiltUpload {
  const chunks = chunksOf(content);
  const per = options.chunksPerXorb ?? MAX_XORB_CHUNKS;
  const xorbs: SerializedXorb[] = [];
  const terms: ShardFileInput["terms"][number][] = [];
  let group: Chunk[] = [];
  let bytes = 0;
  const flush = () => {
    if (group.length === 0) return;
    const xorb = serializeXorb(
      group.map((chunk) => chunk.data),
      options.scheme ?? "smallest",
    );
    xorbs.push(xorb);
    terms.push({
      xorbHash: xorb.hashHex,
      unpackedBytes: group.reduce((sum, chunk) => sum + chunk.length, 0),
      chunkStart: 0,
      chunkEnd: group.length,
      rangeHash: verificationHash(concatHashes(group.map((chunk) => chunk.hash))),
    });
    group = [];
    bytes = 0;
  };
  for (const chunk of chunks) {
    // A new xorb before the count or the 64 MiB limit would be passed (counting chunks as stored).
    if (group.length === per || bytes + CHUNK_HEADER_SIZE + chunk.length > MAX_XORB_BYTES) flush();
    group.push(chunk);
    bytes += CHUNK_HEADER_SIZE + chunk.length;
  }
  flush();
  const sha256 = options.sha256 ?? createHash("sha256").update(content).digest("hex");
  return { xorbs, file: { fileHash: hashToHex(fileHash(chunks)), terms, sha256 }, size: content.length };
}

export function shardOf(files: readonly ShardFileInput[], footer = true): Uint8Array {
  return serializeShard({ files, xorbs: [] }, { footer });
}

export function concatHashes(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * 32);
  for (const [i, hash] of hashes.entries()) out.set(hash, i * 32);
  return out;
}

/** Uploads `content` as a client would (xorbs, then the shard) and registers it for `repoId`. */
export async function registerContent(
  storage: XetStorage,
  repoId: string,
  content: Uint8Array,
  options: Parameters<typeof buildUpload>[1] = {},
): Promise<BuiltUpload> {
  const upload = buildUpload(content, options);
  for (const xorb of upload.xorbs) await storeXorb(storage, repoId, xorb.hashHex, xorb.stored);
  await registerShard(storage, repoId, shardOf([upload.file]));
  return upload;
}
