/**
 * Shards (spec/xet.md §4.5), read as the clients send them: @huggingface/hub appends a 200-byte footer
 * without lookup tables (footer_size 200), hf_xet cuts the shard after the xorb section and sets
 * footer_size 0. The footer and lookup tables are never trusted: both sections are read sequentially up to
 * their bookends, and every count is checked against the body before it is used.
 *
 * Layout: 48-byte header (tag, u64 version 2, u64 footer_size); file section of 48-byte entries, per file
 * a header {file_hash, u32 flags, u32 n, 8 reserved}, n terms {xorb_hash, u32 flags, u32 unpacked_bytes,
 * u32 chunk_start, u32 chunk_end}, with flag bit 31 n verification entries {range_hash, 16 reserved}, with
 * bit 30 one metadata extension {sha256, 16 reserved}; a bookend (32 × 0xFF); the xorb section, per xorb
 * {xorb_hash, u32 flags, u32 n, u32 unpacked, u32 bytes_on_disk} then n chunks {chunk_hash, u32
 * unpacked_offset, u32 unpacked_length, u32 flags, u32 reserved}; a bookend; lookup tables; footer.
 */
import { HubError } from "../errors.ts";
import { hashToHex } from "./hash-hex.ts";

export const SHARD_TAG = new Uint8Array([
  72, 70, 82, 101, 112, 111, 77, 101, 116, 97, 68, 97, 116, 97, 0, 85, 105, 103, 69, 106, 123, 129, 87, 131, 165, 189,
  217, 92, 205, 209, 74, 169,
]);
export const SHARD_HEADER_SIZE = 48;
export const SHARD_HEADER_VERSION = 2;
export const SHARD_FOOTER_SIZE = 200;
export const SHARD_FOOTER_VERSION = 1;
export const SHARD_ENTRY_SIZE = 48;
export const MAX_SHARD_BYTES = 64 * 1024 * 1024;
export const FILE_FLAG_WITH_VERIFICATION = 0x80000000;
export const FILE_FLAG_WITH_METADATA_EXT = 0x40000000;

export interface ShardTerm {
  readonly xorbHash: string;
  readonly unpackedBytes: number;
  readonly chunkStart: number;
  readonly chunkEnd: number;
  /** Undefined when the file carries no verification entries (refused on upload). */
  readonly rangeHash: Uint8Array | undefined;
}

export interface ShardFile {
  readonly fileHash: string;
  readonly terms: readonly ShardTerm[];
  /** The SHA-256 the uploader claims, as the usual hex digest (§2.3); undefined without a metadata extension. */
  readonly sha256: string | undefined;
}

export interface ShardXorbChunk {
  readonly hash: Uint8Array;
  readonly unpackedOffset: number;
  readonly unpackedLength: number;
}

export interface ShardXorb {
  readonly hash: string;
  readonly chunks: readonly ShardXorbChunk[];
}

export interface ParsedShard {
  readonly files: readonly ShardFile[];
  readonly xorbs: readonly ShardXorb[];
  readonly footerSize: number;
}

export function parseShard(body: Uint8Array): ParsedShard {
  if (body.length > MAX_SHARD_BYTES) throw invalidShard(`${body.length} bytes, more than the 64 MiB limit`);
  if (body.length < SHARD_HEADER_SIZE) throw invalidShard("truncated header");
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (!SHARD_TAG.every((byte, i) => body[i] === byte)) throw invalidShard("not a shard (wrong tag)");
  const version = u64(view, 32);
  if (version !== SHARD_HEADER_VERSION) throw invalidShard(`unknown shard version ${version}`);
  const footerSize = u64(view, 40);
  if (footerSize !== 0 && footerSize !== SHARD_FOOTER_SIZE) throw invalidShard(`unexpected footer size ${footerSize}`);
  const reader = { view, body, offset: SHARD_HEADER_SIZE };
  const files = readFiles(reader);
  const xorbs = readXorbs(reader);
  const trailing = body.length - reader.offset;
  if (footerSize === 0 && trailing !== 0) throw invalidShard(`${trailing} unexpected bytes after the xorb section`);
  if (footerSize !== 0 && (trailing < footerSize || u64(view, body.length - footerSize) !== SHARD_FOOTER_VERSION)) {
    throw invalidShard("missing or unknown footer");
  }
  return { files, xorbs, footerSize };
}

interface Reader {
  readonly view: DataView;
  readonly body: Uint8Array;
  offset: number;
}

function readFiles(reader: Reader): ShardFile[] {
  const files: ShardFile[] = [];
  for (;;) {
    need(reader, 1, "file section without its bookend");
    if (isBookend(reader.body, reader.offset)) {
      reader.offset += SHARD_ENTRY_SIZE;
      return files;
    }
    const { view, body } = reader;
    const at = reader.offset;
    const fileHash = hashToHex(body, at);
    const flags = view.getUint32(at + 32, true);
    const count = view.getUint32(at + 36, true);
    if ((flags & ~(FILE_FLAG_WITH_VERIFICATION | FILE_FLAG_WITH_METADATA_EXT)) !== 0) {
      throw invalidShard(`file ${fileHash}: unknown flags ${flags.toString(16)}`);
    }
    const verified = (flags & FILE_FLAG_WITH_VERIFICATION) !== 0;
    const hasExt = (flags & FILE_FLAG_WITH_METADATA_EXT) !== 0;
    need(reader, 1 + count * (verified ? 2 : 1) + (hasExt ? 1 : 0), `file ${fileHash}: truncated`);
    const termsAt = at + SHARD_ENTRY_SIZE;
    const checksAt = termsAt + count * SHARD_ENTRY_SIZE;
    const terms: ShardTerm[] = [];
    for (let i = 0; i < count; i++) {
      const t = termsAt + i * SHARD_ENTRY_SIZE;
      terms.push({
        xorbHash: hashToHex(body, t),
        unpackedBytes: view.getUint32(t + 36, true),
        chunkStart: view.getUint32(t + 40, true),
        chunkEnd: view.getUint32(t + 44, true),
        rangeHash: verified
          ? body.slice(checksAt + i * SHARD_ENTRY_SIZE, checksAt + i * SHARD_ENTRY_SIZE + 32)
          : undefined,
      });
    }
    const extAt = verified ? checksAt + count * SHARD_ENTRY_SIZE : checksAt;
    files.push({ fileHash, terms, sha256: hasExt ? hashToHex(body, extAt) : undefined });
    reader.offset = extAt + (hasExt ? SHARD_ENTRY_SIZE : 0);
  }
}

function readXorbs(reader: Reader): ShardXorb[] {
  const xorbs: ShardXorb[] = [];
  for (;;) {
    need(reader, 1, "xorb section without its bookend");
    if (isBookend(reader.body, reader.offset)) {
      reader.offset += SHARD_ENTRY_SIZE;
      return xorbs;
    }
    const { view, body } = reader;
    const at = reader.offset;
    const hash = hashToHex(body, at);
    const count = view.getUint32(at + 36, true);
    need(reader, 1 + count, `xorb ${hash}: truncated`);
    const chunks: ShardXorbChunk[] = [];
    for (let i = 0; i < count; i++) {
      const c = at + (i + 1) * SHARD_ENTRY_SIZE;
      chunks.push({
        hash: body.slice(c, c + 32),
        unpackedOffset: view.getUint32(c + 32, true),
        unpackedLength: view.getUint32(c + 36, true),
      });
    }
    xorbs.push({ hash, chunks });
    reader.offset = at + (count + 1) * SHARD_ENTRY_SIZE;
  }
}

/** Fails unless `entries` more 48-byte entries fit in the body. */
function need(reader: Reader, entries: number, message: string): void {
  if (reader.offset + entries * SHARD_ENTRY_SIZE > reader.body.length) throw invalidShard(message);
}

export function isBookend(body: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 32; i++) if (body[offset + i] !== 0xff) return false;
  return true;
}

function u64(view: DataView, offset: number): number {
  const value = view.getBigUint64(offset, true);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

export function invalidShard(message: string): HubError {
  return new HubError("BadRequest", `Invalid shard: ${message}`);
}
