/**
 * What Berth knows about a stored xorb, computed from its bytes when it was verified and never taken from a
 * client: each chunk's hash, where its header starts in the stored bytes, and where its data starts in the
 * unpacked stream. Offsets have one entry more than chunks (the ends), so ranges are differences.
 *
 * Stored in the database as one blob per xorb: `u32 n`, `n × 32` hash bytes, `(n+1) × u32` byte offsets,
 * `(n+1) × u32` unpacked offsets, little-endian. A xorb holds at most 8192 chunks, so a blob is ≤ 360 KiB.
 */
import { HubError } from "../errors.ts";

export interface XorbIndex {
  readonly chunkCount: number;
  /** Raw chunk hashes back to back (32 bytes each). */
  readonly hashes: Uint8Array;
  /** Start of each chunk's header in the stored bytes; the last entry is the stored size. */
  readonly byteOffsets: Uint32Array;
  /** Start of each chunk's data in the unpacked stream; the last entry is the unpacked size. */
  readonly unpackedOffsets: Uint32Array;
}

export function chunkHashAt(index: XorbIndex, chunk: number): Uint8Array {
  return index.hashes.subarray(chunk * 32, chunk * 32 + 32);
}

/** Unpacked bytes of chunks [start, end). */
export function unpackedLengthOf(index: XorbIndex, start: number, end: number): number {
  return (index.unpackedOffsets[end] as number) - (index.unpackedOffsets[start] as number);
}

/** Stored bytes of chunks [start, end) as an inclusive byte range, as HTTP and the CAS wire format use. */
export function byteRangeOf(index: XorbIndex, start: number, end: number): { start: number; end: number } {
  return { start: index.byteOffsets[start] as number, end: (index.byteOffsets[end] as number) - 1 };
}

export function encodeXorbIndex(index: XorbIndex): Uint8Array {
  const n = index.chunkCount;
  const out = new Uint8Array(4 + n * 32 + 8 * (n + 1));
  const view = new DataView(out.buffer);
  view.setUint32(0, n, true);
  out.set(index.hashes.subarray(0, n * 32), 4);
  let at = 4 + n * 32;
  for (const offsets of [index.byteOffsets, index.unpackedOffsets]) {
    for (let i = 0; i <= n; i++, at += 4) view.setUint32(at, offsets[i] as number, true);
  }
  return out;
}

export function decodeXorbIndex(blob: Uint8Array): XorbIndex {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const n = blob.length >= 4 ? view.getUint32(0, true) : -1;
  if (n < 0 || blob.length !== 4 + n * 32 + 8 * (n + 1)) {
    throw new HubError("Internal", "A stored xorb index is damaged");
  }
  const hashes = blob.slice(4, 4 + n * 32);
  const byteOffsets = new Uint32Array(n + 1);
  const unpackedOffsets = new Uint32Array(n + 1);
  let at = 4 + n * 32;
  for (const offsets of [byteOffsets, unpackedOffsets]) {
    for (let i = 0; i <= n; i++, at += 4) offsets[i] = view.getUint32(at, true);
  }
  return { chunkCount: n, hashes, byteOffsets, unpackedOffsets };
}
