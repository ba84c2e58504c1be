/**
 * Reads a registered file, or a byte range of it, as a stream: the plan's chunk ranges are read from the
 * object store (consecutive terms of one xorb in one ranged read), decoded chunk by chunk as the bytes
 * arrive, trimmed at both ends. Memory stays at one read buffer plus one chunk, whatever the file size.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { HubError } from "../errors.ts";
import type { FileTerm } from "./file-terms.ts";
import type { ByteRange, ObjectStore } from "./object-store.ts";
import { type PlannedTerm, planReconstruction, type ReconstructionPlan } from "./reconstruction-plan.ts";
import { loadXorbs, type StoredXorb, type XetStorage } from "./xet-storage.ts";
import { CHUNK_HEADER_SIZE, decodeChunk, readChunkHeader } from "./xorb-chunk.ts";
import { byteRangeOf, type XorbIndex } from "./xorb-index.ts";

export interface XetFileContent {
  readonly size: number;
  readonly terms: readonly FileTerm[];
}

/** The plan for `range` of `file` (inclusive, validated by the caller), with the xorbs it reads. */
export async function planXetFile(
  storage: XetStorage,
  file: XetFileContent,
  range?: ByteRange,
): Promise<{ plan: ReconstructionPlan; xorbs: Map<string, StoredXorb> }> {
  // Only the xorbs of terms the range touches: a term's size is known without its xorb.
  const needed: string[] = [];
  let termStart = 0;
  for (const term of file.terms) {
    const termEnd = termStart + term.unpackedBytes;
    if (termEnd > (range?.start ?? 0) && termStart <= (range?.end ?? file.size - 1)) needed.push(term.xorbHash);
    termStart = termEnd;
  }
  const xorbs = await loadXorbs(storage, needed);
  const indexes = new Map<string, XorbIndex>([...xorbs].map(([hash, xorb]) => [hash, xorb.index]));
  return { plan: planReconstruction(file.terms, file.size, indexes, range), xorbs };
}

/** The bytes of `range` of `file` (the whole file when omitted). */
export function readXetFile(storage: XetStorage, file: XetFileContent, range?: ByteRange): Readable {
  return Readable.from(
    (async function* () {
      const { plan, xorbs } = await planXetFile(storage, file, range);
      yield* readPlan(storage.objects, plan, xorbs);
    })(),
    { objectMode: false },
  );
}

/** SHA-256 (hex) of a file's content, streamed from the stored xorbs (§6.6). */
export async function sha256OfXetFile(storage: XetStorage, file: XetFileContent): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of readXetFile(storage, file)) hash.update(piece as Buffer);
  return hash.digest("hex");
}

/** The bytes a plan describes. */
export async function* readPlan(
  objects: ObjectStore,
  plan: ReconstructionPlan,
  xorbs: ReadonlyMap<string, StoredXorb>,
): AsyncGenerator<Uint8Array> {
  let skip = plan.offsetIntoFirstRange;
  let remaining = plan.length;
  for (const run of runs(plan.terms)) {
    const xorb = xorbs.get(run.xorbHash);
    if (!xorb) throw new HubError("Internal", `Xorb ${run.xorbHash} of a registered file is not stored`);
    const source = objects.get(xorb.objectKey, byteRangeOf(xorb.index, run.chunkStart, run.chunkEnd));
    for await (let piece of decodeChunkStream(source, run.chunkEnd - run.chunkStart)) {
      if (skip >= piece.length) {
        skip -= piece.length;
        continue;
      }
      piece = piece.subarray(skip, skip + remaining);
      skip = 0;
      remaining -= piece.length;
      yield piece;
      if (remaining === 0) return;
    }
  }
  if (remaining !== 0) throw new HubError("Internal", "A stored Xet file is shorter than its terms");
}

/** Consecutive terms reading adjacent chunks of one xorb, as one read. */
function runs(terms: readonly PlannedTerm[]): PlannedTerm[] {
  const out: PlannedTerm[] = [];
  for (const term of terms) {
    const previous = out[out.length - 1];
    if (previous && previous.xorbHash === term.xorbHash && previous.chunkEnd === term.chunkStart) {
      out[out.length - 1] = {
        ...previous,
        chunkEnd: term.chunkEnd,
        unpackedLength: previous.unpackedLength + term.unpackedLength,
      };
    } else {
      out.push(term);
    }
  }
  return out;
}

/** Decodes `count` chunks from a stream of stored xorb bytes that starts at a chunk header. */
export async function* decodeChunkStream(source: AsyncIterable<Uint8Array>, count: number): AsyncGenerator<Uint8Array> {
  let decoded = 0;
  /** A chunk split across pieces: its bytes so far. */
  let partial: Buffer | undefined;
  try {
    for await (const received of source) {
      let piece = Buffer.isBuffer(received) ? received : Buffer.from(received);
      if (partial) {
        // The header first, then the rest of the chunk.
        if (partial.length < CHUNK_HEADER_SIZE) {
          const take = Math.min(CHUNK_HEADER_SIZE - partial.length, piece.length);
          partial = Buffer.concat([partial, piece.subarray(0, take)]);
          piece = piece.subarray(take);
          if (partial.length < CHUNK_HEADER_SIZE) continue;
        }
        const header = readChunkHeader(partial, 0, decoded);
        const total = CHUNK_HEADER_SIZE + header.compressedLength;
        const take = Math.min(total - partial.length, piece.length);
        partial = Buffer.concat([partial, piece.subarray(0, take)]);
        piece = piece.subarray(take);
        if (partial.length < total) continue;
        yield decodeChunk(header, partial.subarray(CHUNK_HEADER_SIZE), decoded);
        decoded++;
        partial = undefined;
      }
      let offset = 0;
      while (decoded < count && piece.length - offset >= CHUNK_HEADER_SIZE) {
        const header = readChunkHeader(piece, offset, decoded);
        const end = offset + CHUNK_HEADER_SIZE + header.compressedLength;
        if (end > piece.length) break;
        yield decodeChunk(header, piece.subarray(offset + CHUNK_HEADER_SIZE, end), decoded);
        decoded++;
        offset = end;
      }
      if (offset < piece.length && decoded < count) partial = Buffer.from(piece.subarray(offset));
      if (decoded === count) return;
    }
  } catch (error) {
    // Stored bytes were verified on upload: a fault here is the store's, not the caller's.
    if (error instanceof HubError && error.code === "BadRequest") {
      throw new HubError("Internal", "A stored xorb is damaged", { cause: error });
    }
    throw error;
  }
  if (decoded !== count) throw new HubError("Internal", "A stored xorb is shorter than its index");
}
