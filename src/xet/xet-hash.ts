/**
 * The Xet hashes (spec/xet.md §4.3), all BLAKE3 in keyed mode with a 32-byte output:
 * chunk hash (DATA_KEY over the chunk's bytes), node hash (INTERNAL_NODE_KEY over the text
 * `"{hash} : {length}\n"` of the children), xorb hash (the aggregated merkle hash of a xorb's chunks),
 * file hash (the aggregated hash of a file's chunks, keyed again with 32 zero bytes; an empty file hashes
 * to 32 zero bytes), term verification hash (VERIFICATION_KEY over the concatenated raw chunk hashes of a
 * term) and the HMAC of dedup answers (BLAKE3 keyed with a random key over a chunk hash).
 *
 * hash-wasm builds one hasher per key, asynchronously; the fixed keys get theirs when this module loads,
 * so every function here is synchronous. A hasher is used from init to digest without awaiting in between,
 * so sharing one per key is safe on Node's single thread.
 */
import { createBLAKE3, type IHasher } from "hash-wasm";
import { hashToHex } from "./hash-hex.ts";

export const DATA_KEY = new Uint8Array([
  102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28, 157, 228, 33, 16, 155, 235, 43, 88, 180,
  208, 176, 75, 147, 173, 242, 41,
]);
export const INTERNAL_NODE_KEY = new Uint8Array([
  1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230, 93, 221, 83, 111, 55, 199, 109, 210, 248,
  99, 82, 230, 74, 83, 113, 63,
]);
export const VERIFICATION_KEY = new Uint8Array([
  127, 24, 87, 214, 206, 86, 237, 102, 18, 127, 249, 19, 231, 165, 195, 243, 164, 205, 38, 213, 181, 219, 73, 230, 65,
  36, 152, 127, 40, 251, 148, 195,
]);

const dataHasher = await createBLAKE3(256, DATA_KEY);
const nodeHasher = await createBLAKE3(256, INTERNAL_NODE_KEY);
const verificationHasher = await createBLAKE3(256, VERIFICATION_KEY);
const zeroKeyHasher = await createBLAKE3(256, new Uint8Array(32));

export const ZERO_HASH: Uint8Array = new Uint8Array(32);

export interface HashedLength {
  readonly hash: Uint8Array;
  readonly length: number;
}

/** The chunk hash of the concatenation of `parts` (a chunk may arrive in two pieces). */
export function chunkHash(...parts: Uint8Array[]): Uint8Array {
  dataHasher.init();
  for (const part of parts) dataHasher.update(part);
  return dataHasher.digest("binary");
}

/** The verification hash of a term: `hashes` holds the term's raw 32-byte chunk hashes back to back. */
export function verificationHash(hashes: Uint8Array): Uint8Array {
  verificationHasher.init();
  verificationHasher.update(hashes);
  return verificationHasher.digest("binary");
}

/** The aggregated hash of a xorb's chunks; no chunks hash to 32 zero bytes. */
export function xorbHash(chunks: readonly HashedLength[]): Uint8Array {
  return chunks.length === 0 ? ZERO_HASH : aggregatedHash(chunks);
}

/** The file hash of a file's chunks (every term's chunks in order); an empty file hashes to 32 zero bytes. */
export function fileHash(chunks: readonly HashedLength[]): Uint8Array {
  if (chunks.length === 0) return ZERO_HASH;
  zeroKeyHasher.init();
  zeroKeyHasher.update(aggregatedHash(chunks));
  return zeroKeyHasher.digest("binary");
}

/**
 * A keyed BLAKE3 of chunk hashes under a fresh key, for dedup answers (§7.6): the caller learns which
 * stored chunks match chunks it holds, never the raw hashes of chunks it does not.
 */
export async function createHmac(key: Uint8Array): Promise<(hash: Uint8Array) => Uint8Array> {
  const hasher: IHasher = await createBLAKE3(256, key);
  return (hash) => {
    hasher.init();
    hasher.update(hash);
    return hasher.digest("binary");
  };
}

/** First chunk of a file, or a chunk whose last u64 word is 0 mod 1024: the chunks the global dedup index keeps. */
export function isGlobalDedupEligible(hash: Uint8Array, firstOfFile: boolean): boolean {
  return firstOfFile || ((hash[24] as number) | (((hash[25] as number) & 3) << 8)) === 0;
}

/**
 * Collapses the list level by level until one node is left. A group ends after the first node (from the
 * third on) whose last u64 word is 0 mod 4, or after 9 nodes; 2 or fewer remaining nodes form one group.
 */
function aggregatedHash(chunks: readonly HashedLength[]): Uint8Array {
  let level: HashedLength[] = chunks.slice();
  while (level.length > 1) {
    const next: HashedLength[] = [];
    let start = 0;
    while (start < level.length) {
      const end = start + mergeCut(level, start);
      next.push(nodeHash(level, start, end));
      start = end;
    }
    level = next;
  }
  return (level[0] as HashedLength).hash;
}

function mergeCut(level: readonly HashedLength[], start: number): number {
  const remaining = level.length - start;
  if (remaining <= 2) return remaining;
  const end = Math.min(9, remaining);
  for (let i = 2; i < end; i++) {
    if ((((level[start + i] as HashedLength).hash[24] as number) & 3) === 0) return i + 1;
  }
  return end;
}

function nodeHash(level: readonly HashedLength[], start: number, end: number): HashedLength {
  let text = "";
  let length = 0;
  for (let i = start; i < end; i++) {
    const child = level[i] as HashedLength;
    text += `${hashToHex(child.hash)} : ${child.length}\n`;
    length += child.length;
  }
  nodeHasher.init();
  nodeHasher.update(text);
  return { hash: nodeHasher.digest("binary"), length };
}
