/**
 * Content-defined chunking as xet-core does it (spec/xet.md §4.2; xet-core `xet_data/src/deduplication/chunking.rs`):
 * target 64 KiB, chunks of 8 KiB to 128 KiB. The gear hash restarts at 0 for every chunk and is fed from
 * chunk offset `min - 65` (earlier bytes cannot reach a hash at or after `min` anyway); a chunk ends after
 * the first byte at which the chunk is at least `min` long and the hash matches, or at `max` bytes.
 *
 * A match before `min` does not cut: xet-core skips it (the hash there still depends on the state before
 * the chunk), while @huggingface/xetchunk-wasm 0.2.0 cuts at 8128 bytes when the byte at chunk offset 8127
 * is 0x11 or 0x17 — the client then sends chunks Berth would not make, which Berth accepts; Berth's own
 * chunks follow Rust.
 *
 * Streaming: `push` takes buffers of any size and returns the chunks they complete; `finish` returns the
 * last, possibly short, chunk. A chunk's `data` is a view into the pushed buffer when it lies inside one
 * buffer (copy it before reusing that buffer) and a fresh copy when it spans buffers.
 */
import { type GearState, gearScan, INPUT_CAPACITY } from "./gear-scan.ts";
import { chunkHash } from "./xet-hash.ts";

export const TARGET_CHUNK_SIZE = 64 * 1024;
export const MIN_CHUNK_SIZE = TARGET_CHUNK_SIZE / 8;
export const MAX_CHUNK_SIZE = TARGET_CHUNK_SIZE * 2;
/** The gear window is 64 bytes: hashing from here makes the hash at `min` depend on the chunk's bytes only. */
const HASH_FROM = MIN_CHUNK_SIZE - 64 - 1;
/** Bytes handed to the scanner at a time: a cut is usually found well before `max`. */
const SCAN_WINDOW = Math.min(32 * 1024, INPUT_CAPACITY);

export interface Chunk {
  readonly hash: Uint8Array;
  readonly length: number;
  readonly data: Uint8Array;
}

export class XetChunker {
  /** Bytes of the current chunk that arrived in earlier buffers. */
  readonly #carry = new Uint8Array(MAX_CHUNK_SIZE);
  #carried = 0;
  readonly #state: GearState = { lo: 0, hi: 0 };

  push(data: Uint8Array): Chunk[] {
    const chunks: Chunk[] = [];
    let pos = 0;
    while (pos < data.length) {
      const cut = this.#findCut(data, pos);
      if (cut === -1) {
        this.#carry.set(data.subarray(pos), this.#carried);
        this.#carried += data.length - pos;
        break;
      }
      chunks.push(this.#emit(data, pos, cut));
      pos = cut;
    }
    return chunks;
  }

  finish(): Chunk | undefined {
    if (this.#carried === 0) return undefined;
    const data = this.#carry.slice(0, this.#carried);
    this.#reset();
    return { hash: chunkHash(data), length: data.length, data };
  }

  /** Where in `data` the current chunk ends, or -1 when it goes on past `data`. */
  #findCut(data: Uint8Array, pos: number): number {
    const chunkStart = pos - this.#carried;
    const limit = chunkStart + MAX_CHUNK_SIZE;
    const end = Math.min(data.length, limit);
    let from = Math.max(pos, chunkStart + HASH_FROM);
    while (from < end) {
      const to = Math.min(end, from + SCAN_WINDOW);
      const match = gearScan(this.#state, data.subarray(from, to));
      if (match === -1) {
        from = to;
      } else if (from + match - chunkStart >= MIN_CHUNK_SIZE) {
        return from + match;
      } else {
        from += match;
      }
    }
    return end === limit ? limit : -1;
  }

  #emit(data: Uint8Array, pos: number, cut: number): Chunk {
    const tail = data.subarray(pos, cut);
    let chunk: Chunk;
    if (this.#carried === 0) {
      chunk = { hash: chunkHash(tail), length: tail.length, data: tail };
    } else {
      const joined = new Uint8Array(this.#carried + tail.length);
      joined.set(this.#carry.subarray(0, this.#carried));
      joined.set(tail, this.#carried);
      chunk = { hash: chunkHash(joined), length: joined.length, data: joined };
    }
    this.#reset();
    return chunk;
  }

  #reset(): void {
    this.#carried = 0;
    this.#state.lo = 0;
    this.#state.hi = 0;
  }
}

/** All chunks of one buffer. */
export function chunkBuffer(data: Uint8Array): Chunk[] {
  const chunker = new XetChunker();
  const chunks = chunker.push(data);
  const last = chunker.finish();
  if (last) chunks.push(last);
  return chunks;
}
