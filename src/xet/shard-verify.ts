/**
 * The checks an uploaded shard's files must pass against Berth's own index of stored xorbs (spec/xet.md
 * §6 "Shard upload", checks 2-4), before anything is registered:
 *
 * - every term names a stored xorb and a chunk range inside it, and its unpacked bytes are what Berth
 *   computed for that range;
 * - every term carries a verification entry whose range hash equals the hash of Berth's stored chunk
 *   hashes for the range. Chunk hashes come only from the data (Berth never sends raw ones: dedup answers
 *   are HMAC'd), so this is the uploader's proof that it held the bytes, and what stops a token holder
 *   from registering a file over someone else's xorb ranges;
 * - the file hash is the aggregated hash of all the term chunks, recomputed here.
 *
 * The xorb section of the shard and every size it states are ignored: Berth's index is the truth.
 * Hashes are compared byte for byte, not in constant time: none of them is a secret (a range hash proves
 * knowledge of chunk hashes, which an attacker cannot derive from the timing of a mismatch).
 */

import type { FileTerm } from "./file-terms.ts";
import { hashesEqual, hashToHex } from "./hash-hex.ts";
import { invalidShard, type ShardFile } from "./shard-format.ts";
import { fileHash, type HashedLength, verificationHash } from "./xet-hash.ts";
import type { StoredXorb } from "./xet-storage.ts";
import { chunkHashAt, unpackedLengthOf } from "./xorb-index.ts";

export interface VerifiedFile {
  readonly fileHash: string;
  readonly size: number;
  readonly terms: readonly FileTerm[];
  readonly claimedSha256: string | undefined;
  /** The first chunk of the file, for the global dedup index. */
  readonly firstChunk: { readonly xorbHash: string; readonly chunkIndex: number; readonly hash: string } | undefined;
}

export function verifyShardFile(file: ShardFile, xorbs: ReadonlyMap<string, StoredXorb>): VerifiedFile {
  const name = `file ${file.fileHash}`;
  const chunks: HashedLength[] = [];
  const terms: FileTerm[] = [];
  let size = 0;
  file.terms.forEach((term, i) => {
    const at = `${name}, term ${i}`;
    const xorb = xorbs.get(term.xorbHash);
    if (!xorb) throw invalidShard(`${at}: unknown xorb ${term.xorbHash}`);
    const { index } = xorb;
    if (!(term.chunkStart < term.chunkEnd && term.chunkEnd <= index.chunkCount)) {
      throw invalidShard(
        `${at}: chunks [${term.chunkStart}, ${term.chunkEnd}) are not in a xorb of ${index.chunkCount}`,
      );
    }
    const unpacked = unpackedLengthOf(index, term.chunkStart, term.chunkEnd);
    if (term.unpackedBytes !== unpacked) {
      throw invalidShard(`${at}: ${term.unpackedBytes} unpacked bytes stated, the chunks hold ${unpacked}`);
    }
    if (!term.rangeHash) throw invalidShard(`${name}: missing verification entries`);
    const expected = verificationHash(index.hashes.subarray(term.chunkStart * 32, term.chunkEnd * 32));
    if (!hashesEqual(expected, 0, term.rangeHash)) throw invalidShard(`${at}: the range hash does not match`);
    for (let chunk = term.chunkStart; chunk < term.chunkEnd; chunk++) {
      chunks.push({ hash: chunkHashAt(index, chunk), length: unpackedLengthOf(index, chunk, chunk + 1) });
    }
    terms.push({
      xorbHash: term.xorbHash,
      chunkStart: term.chunkStart,
      chunkEnd: term.chunkEnd,
      unpackedBytes: unpacked,
    });
    size += unpacked;
  });
  const computed = hashToHex(fileHash(chunks));
  if (computed !== file.fileHash) throw invalidShard(`${name}: its chunks hash to ${computed}`);
  const first = terms[0];
  return {
    fileHash: file.fileHash,
    size,
    terms,
    claimedSha256: file.sha256,
    firstChunk: first && {
      xorbHash: first.xorbHash,
      chunkIndex: first.chunkStart,
      hash: hashToHex(chunkHashAt((xorbs.get(first.xorbHash) as StoredXorb).index, first.chunkStart)),
    },
  };
}
