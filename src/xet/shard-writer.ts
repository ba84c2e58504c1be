/**
 * Writes shards (layout in shard-format.ts). Two kinds:
 *
 * - upload shards, as the clients send them (`footer: true` like @huggingface/hub, `false` like hf_xet):
 *   for tests and for converting plain LFS objects server-side later;
 * - dedup answers (§7.6): an empty file section, the xorbs that hold a queried chunk with every chunk hash
 *   replaced by its HMAC under a fresh random key (the caller learns which of *its* chunks are stored,
 *   never the hashes of chunks it does not hold), sorted lookup tables as xet-core's `serialize_from`
 *   writes them (xet-core looks chunks up through the chunk table only), and a footer whose
 *   `file_lookup_offset` (footer[24]) points just past the xorb bookend, where @huggingface/hub's parser
 *   stops reading xorbs. The key lives only in the answer; its expiry tells clients when to drop it.
 */
import { randomBytes } from "node:crypto";
import { hexToHash } from "./hash-hex.ts";
import {
  FILE_FLAG_WITH_METADATA_EXT,
  FILE_FLAG_WITH_VERIFICATION,
  SHARD_ENTRY_SIZE,
  SHARD_FOOTER_SIZE,
  SHARD_FOOTER_VERSION,
  SHARD_HEADER_SIZE,
  SHARD_HEADER_VERSION,
  SHARD_TAG,
} from "./shard-format.ts";
import { createHmac } from "./xet-hash.ts";
import { chunkHashAt, unpackedLengthOf, type XorbIndex } from "./xorb-index.ts";

export interface ShardFileInput {
  readonly fileHash: string;
  readonly terms: readonly {
    readonly xorbHash: string;
    readonly unpackedBytes: number;
    readonly chunkStart: number;
    readonly chunkEnd: number;
    readonly rangeHash?: Uint8Array;
  }[];
  readonly sha256?: string;
}

export interface ShardXorbInput {
  readonly hash: string;
  readonly index: XorbIndex;
  /** Serialized size, reported as bytes_on_disk. */
  readonly storedSize: number;
}

/** An upload shard; files carry verification entries when every term has a range hash. */
export function serializeShard(
  input: { readonly files: readonly ShardFileInput[]; readonly xorbs: readonly ShardXorbInput[] },
  options: { readonly footer: boolean; readonly createdAt?: Date },
): Uint8Array {
  const out = new ShardBuilder(options.footer);
  for (const file of input.files) {
    const verified = file.terms.length > 0 && file.terms.every((term) => term.rangeHash !== undefined);
    const flags =
      (verified ? FILE_FLAG_WITH_VERIFICATION : 0) + (file.sha256 !== undefined ? FILE_FLAG_WITH_METADATA_EXT : 0);
    out.entry(hexToHash(file.fileHash), flags, file.terms.length, 0, 0);
    for (const term of file.terms) {
      out.entry(hexToHash(term.xorbHash), 0, term.unpackedBytes, term.chunkStart, term.chunkEnd);
    }
    if (verified) for (const term of file.terms) out.entry(term.rangeHash as Uint8Array, 0, 0, 0, 0);
    if (file.sha256 !== undefined) out.entry(hexToHash(file.sha256), 0, 0, 0, 0);
  }
  out.bookend();
  const xorbsAt = out.length;
  for (const xorb of input.xorbs) writeXorbInfo(out, xorb, (hash) => hash);
  out.bookend();
  if (!options.footer) return out.finish();
  return out.finish({
    fileInfoAt: SHARD_HEADER_SIZE,
    xorbInfoAt: xorbsAt,
    tables: [],
    hmacKey: new Uint8Array(32),
    createdAt: options.createdAt ?? new Date(),
    expiresAt: undefined,
  });
}

/** A dedup answer listing `xorbs`, chunk hashes keyed with a fresh random key. */
export async function writeDedupShard(
  xorbs: readonly ShardXorbInput[],
  options: { readonly createdAt: Date; readonly expiresAt: Date; readonly hmacKey?: Uint8Array },
): Promise<Uint8Array> {
  const hmacKey = options.hmacKey ?? new Uint8Array(randomBytes(32));
  const hmac = await createHmac(hmacKey);
  const out = new ShardBuilder(true);
  out.bookend();
  const xorbsAt = out.length;
  const xorbLookup: LookupRow[] = [];
  const chunkLookup: LookupRow[] = [];
  let entryIndex = 0;
  for (const xorb of xorbs) {
    xorbLookup.push({ key: truncated(hexToHash(xorb.hash)), values: [entryIndex] });
    const keyed = writeXorbInfo(out, xorb, hmac);
    for (const [chunk, hash] of keyed.entries())
      chunkLookup.push({ key: truncated(hash), values: [entryIndex, chunk] });
    entryIndex += 1 + xorb.index.chunkCount;
  }
  out.bookend();
  return out.finish({
    fileInfoAt: SHARD_HEADER_SIZE,
    xorbInfoAt: xorbsAt,
    tables: [[], sortLookup(xorbLookup), sortLookup(chunkLookup)],
    hmacKey,
    createdAt: options.createdAt,
    expiresAt: options.expiresAt,
  });
}

function writeXorbInfo(out: ShardBuilder, xorb: ShardXorbInput, keyed: (hash: Uint8Array) => Uint8Array): Uint8Array[] {
  const { index } = xorb;
  const unpacked = unpackedLengthOf(index, 0, index.chunkCount);
  out.entry(hexToHash(xorb.hash), 0, index.chunkCount, unpacked, xorb.storedSize);
  const hashes: Uint8Array[] = [];
  for (let chunk = 0; chunk < index.chunkCount; chunk++) {
    const hash = keyed(chunkHashAt(index, chunk));
    hashes.push(hash);
    out.entry(hash, index.unpackedOffsets[chunk] as number, unpackedLengthOf(index, chunk, chunk + 1), 0, 0);
  }
  return hashes;
}

interface LookupRow {
  readonly key: bigint;
  /** u32 values after the u64 key: one for file and xorb tables, two for the chunk table. */
  readonly values: readonly number[];
}

function sortLookup(rows: LookupRow[]): LookupRow[] {
  return rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The first u64 of a hash, little-endian: xet-core's `truncate_hash`, the key of every lookup table. */
function truncated(hash: Uint8Array): bigint {
  return new DataView(hash.buffer, hash.byteOffset, 8).getBigUint64(0, true);
}

interface FooterInput {
  readonly fileInfoAt: number;
  readonly xorbInfoAt: number;
  /** File, xorb and chunk lookup tables (missing ones are empty). */
  readonly tables: readonly (readonly LookupRow[])[];
  readonly hmacKey: Uint8Array;
  readonly createdAt: Date;
  readonly expiresAt: Date | undefined;
}

class ShardBuilder {
  readonly #parts: Uint8Array[] = [];
  length = 0;

  constructor(footer: boolean) {
    const header = new Uint8Array(SHARD_HEADER_SIZE);
    const view = new DataView(header.buffer);
    header.set(SHARD_TAG);
    view.setBigUint64(32, BigInt(SHARD_HEADER_VERSION), true);
    view.setBigUint64(40, BigInt(footer ? SHARD_FOOTER_SIZE : 0), true);
    this.#push(header);
  }

  /** One 48-byte entry: a hash and four u32 fields. */
  entry(hash: Uint8Array, a: number, b: number, c: number, d: number): void {
    const entry = new Uint8Array(SHARD_ENTRY_SIZE);
    const view = new DataView(entry.buffer);
    entry.set(hash.subarray(0, 32));
    for (const [i, value] of [a, b, c, d].entries()) view.setUint32(32 + 4 * i, value, true);
    this.#push(entry);
  }

  bookend(): void {
    this.entry(new Uint8Array(32).fill(0xff), 0, 0, 0, 0);
  }

  finish(footer?: FooterInput): Uint8Array {
    if (footer) this.#footer(footer);
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  #footer(input: FooterInput): void {
    const offsets: number[] = [];
    for (let t = 0; t < 3; t++) {
      const rows = input.tables[t] ?? [];
      offsets.push(this.length, rows.length);
      const width = 8 + 4 * (rows[0]?.values.length ?? 0);
      const table = new Uint8Array(rows.length * width);
      const view = new DataView(table.buffer);
      rows.forEach((row, i) => {
        view.setBigUint64(i * width, row.key, true);
        for (const [v, value] of row.values.entries()) view.setUint32(i * width + 8 + 4 * v, value, true);
      });
      this.#push(table);
    }
    const footerAt = this.length;
    const footer = new Uint8Array(SHARD_FOOTER_SIZE);
    const view = new DataView(footer.buffer);
    const u64s = [SHARD_FOOTER_VERSION, input.fileInfoAt, input.xorbInfoAt, ...offsets];
    for (const [i, value] of u64s.entries()) view.setBigUint64(8 * i, BigInt(value), true);
    footer.set(input.hmacKey, 72);
    view.setBigUint64(104, BigInt(Math.floor(input.createdAt.getTime() / 1000)), true);
    const expiry = input.expiresAt ? BigInt(Math.floor(input.expiresAt.getTime() / 1000)) : 2n ** 64n - 1n;
    view.setBigUint64(112, expiry, true);
    view.setBigUint64(192, BigInt(footerAt), true);
    this.#push(footer);
  }

  #push(part: Uint8Array): void {
    this.#parts.push(part);
    this.length += part.length;
  }
}
