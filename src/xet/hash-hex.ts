/**
 * Xet's text form of a 32-byte hash (spec/xet.md §4.1): four little-endian u64 words, each printed as 16 hex
 * digits, i.e. the bytes of every 8-byte group reversed. Used in URLs, JSON and inside node hashes. A SHA-256
 * stored in a shard's metadata extension reads back as the usual hex digest through the same procedure.
 */
import { HubError } from "../errors.ts";

export const HASH_HEX = /^[0-9a-f]{64}$/;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function hashToHex(hash: Uint8Array, offset = 0): string {
  let out = "";
  for (let word = 0; word < 32; word += 8) {
    for (let i = 7; i >= 0; i--) out += HEX[hash[offset + word + i] as number];
  }
  return out;
}

/** The 32 bytes of a hash in the §4.1 text form; throws BadRequest on anything else. */
export function hexToHash(hex: string): Uint8Array {
  if (!HASH_HEX.test(hex)) throw new HubError("BadRequest", "Invalid hash: expected 64 lowercase hex characters");
  const out = new Uint8Array(32);
  for (let word = 0; word < 32; word += 8) {
    for (let i = 0; i < 8; i++) {
      out[word + 7 - i] = Number.parseInt(hex.slice(2 * (word + i), 2 * (word + i) + 2), 16);
    }
  }
  return out;
}

export function isHashHex(value: string): boolean {
  return HASH_HEX.test(value);
}

export function hashesEqual(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset = 0): boolean {
  for (let i = 0; i < 32; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}
