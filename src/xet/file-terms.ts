/**
 * A registered file's reconstruction: its terms in order, each a chunk range [start, end) of one xorb and
 * the unpacked bytes of that range. Stored as one blob per file, 44 bytes per term: the raw 32-byte xorb
 * hash, then u32 start, end and unpacked bytes, little-endian.
 */
import { HubError } from "../errors.ts";
import { hashToHex, hexToHash } from "./hash-hex.ts";

export interface FileTerm {
  readonly xorbHash: string;
  readonly chunkStart: number;
  readonly chunkEnd: number;
  readonly unpackedBytes: number;
}

const TERM_SIZE = 44;

export function encodeFileTerms(terms: readonly FileTerm[]): Uint8Array {
  const out = new Uint8Array(terms.length * TERM_SIZE);
  const view = new DataView(out.buffer);
  terms.forEach((term, i) => {
    const at = i * TERM_SIZE;
    out.set(hexToHash(term.xorbHash), at);
    view.setUint32(at + 32, term.chunkStart, true);
    view.setUint32(at + 36, term.chunkEnd, true);
    view.setUint32(at + 40, term.unpackedBytes, true);
  });
  return out;
}

export function decodeFileTerms(blob: Uint8Array): FileTerm[] {
  if (blob.length % TERM_SIZE !== 0) throw new HubError("Internal", "A stored Xet file is damaged");
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const terms: FileTerm[] = [];
  for (let at = 0; at < blob.length; at += TERM_SIZE) {
    terms.push({
      xorbHash: hashToHex(blob, at),
      chunkStart: view.getUint32(at + 32, true),
      chunkEnd: view.getUint32(at + 36, true),
      unpackedBytes: view.getUint32(at + 40, true),
    });
  }
  return terms;
}
