/**
 * Which chunks of which xorbs make up a byte range of a file (spec/xet.md §7.5), and the two wire forms of
 * the answer: v1 `fetch_info` and v2 `xorbs` (X:oapi). The first and last terms are trimmed to the chunks
 * holding the range's ends, `offset_into_first_range` says how many bytes of the first term to drop, and
 * per xorb the needed chunk ranges are merged so every term lies inside one fetch entry (XetBlob's
 * `locate` requires it). One byte range per entry: no client then needs a multipart answer.
 *
 * Data URLs come from `signRange`, which phase 2 binds to the caller's credential and the file's repo.
 */
import type { FileTerm } from "./file-terms.ts";
import type { ByteRange } from "./object-store.ts";
import { byteRangeOf, unpackedLengthOf, type XorbIndex } from "./xorb-index.ts";

export interface PlannedTerm {
  readonly xorbHash: string;
  readonly chunkStart: number;
  readonly chunkEnd: number;
  readonly unpackedLength: number;
}

export interface PlannedFetch {
  /** Chunk range [start, end). */
  readonly chunks: { readonly start: number; readonly end: number };
  /** Stored bytes of those chunks, inclusive. */
  readonly bytes: ByteRange;
}

export interface ReconstructionPlan {
  readonly offsetIntoFirstRange: number;
  /** Bytes the range holds: what to keep after dropping `offsetIntoFirstRange`. */
  readonly length: number;
  readonly terms: readonly PlannedTerm[];
  readonly fetches: ReadonlyMap<string, readonly PlannedFetch[]>;
}

/**
 * Plans `range` (inclusive, already validated against `size` by the caller: 0 ≤ start ≤ end < size), or
 * the whole file. A file of size 0 plans to nothing.
 */
export function planReconstruction(
  terms: readonly FileTerm[],
  size: number,
  indexes: ReadonlyMap<string, XorbIndex>,
  range?: ByteRange,
): ReconstructionPlan {
  if (size === 0) return { offsetIntoFirstRange: 0, length: 0, terms: [], fetches: new Map() };
  const first = range?.start ?? 0;
  const last = range?.end ?? size - 1;
  if (!(first >= 0 && first <= last && last < size)) throw new RangeError("range outside the file");
  const planned: PlannedTerm[] = [];
  let offsetIntoFirstRange = 0;
  let termStart = 0;
  for (const term of terms) {
    const termEnd = termStart + term.unpackedBytes;
    if (termEnd > first && termStart <= last) {
      const index = indexOf(indexes, term.xorbHash);
      const base = index.unpackedOffsets[term.chunkStart] as number;
      let start = term.chunkStart;
      let end = term.chunkEnd;
      if (first > termStart) {
        start = chunkAt(index, term.chunkStart, term.chunkEnd, base + (first - termStart));
        offsetIntoFirstRange = first - termStart - ((index.unpackedOffsets[start] as number) - base);
      }
      if (last < termEnd - 1) end = chunkAt(index, term.chunkStart, term.chunkEnd, base + (last - termStart)) + 1;
      planned.push({
        xorbHash: term.xorbHash,
        chunkStart: start,
        chunkEnd: end,
        unpackedLength: unpackedLengthOf(index, start, end),
      });
    }
    termStart = termEnd;
    if (termStart > last) break;
  }
  return { offsetIntoFirstRange, length: last - first + 1, terms: planned, fetches: mergeFetches(planned, indexes) };
}

/** The chunk in [from, to) whose unpacked bytes hold unpacked offset `target` of the xorb. */
function chunkAt(index: XorbIndex, from: number, to: number, target: number): number {
  let low = from;
  let high = to - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((index.unpackedOffsets[mid] as number) <= target) low = mid;
    else high = mid - 1;
  }
  return low;
}

function mergeFetches(
  terms: readonly PlannedTerm[],
  indexes: ReadonlyMap<string, XorbIndex>,
): Map<string, PlannedFetch[]> {
  const byXorb = new Map<string, { start: number; end: number }[]>();
  for (const term of terms) {
    const list = byXorb.get(term.xorbHash) ?? [];
    list.push({ start: term.chunkStart, end: term.chunkEnd });
    byXorb.set(term.xorbHash, list);
  }
  const fetches = new Map<string, PlannedFetch[]>();
  for (const [xorbHash, ranges] of byXorb) {
    ranges.sort((a, b) => a.start - b.start);
    const merged: { start: number; end: number }[] = [];
    for (const range of ranges) {
      const previous = merged[merged.length - 1];
      if (previous && range.start <= previous.end) previous.end = Math.max(previous.end, range.end);
      else merged.push({ ...range });
    }
    const index = indexOf(indexes, xorbHash);
    fetches.set(
      xorbHash,
      merged.map((chunks) => ({ chunks, bytes: byteRangeOf(index, chunks.start, chunks.end) })),
    );
  }
  return fetches;
}

function indexOf(indexes: ReadonlyMap<string, XorbIndex>, xorbHash: string): XorbIndex {
  const index = indexes.get(xorbHash);
  if (!index) throw new Error(`xorb ${xorbHash} of a registered file is not stored`);
  return index;
}

export type SignRange = (xorbHash: string, bytes: ByteRange) => string;

interface WireTerm {
  hash: string;
  unpacked_length: number;
  range: { start: number; end: number };
}

export interface ReconstructionV1 {
  offset_into_first_range: number;
  terms: WireTerm[];
  fetch_info: Record<string, { range: { start: number; end: number }; url: string; url_range: ByteRange }[]>;
}

export interface ReconstructionV2 {
  offset_into_first_range: number;
  terms: WireTerm[];
  xorbs: Record<string, { url: string; ranges: { chunks: { start: number; end: number }; bytes: ByteRange }[] }[]>;
}

function wireTerms(plan: ReconstructionPlan): WireTerm[] {
  return plan.terms.map((term) => ({
    hash: term.xorbHash,
    unpacked_length: term.unpackedLength,
    range: { start: term.chunkStart, end: term.chunkEnd },
  }));
}

export function toReconstructionV1(plan: ReconstructionPlan, signRange: SignRange): ReconstructionV1 {
  const fetchInfo: ReconstructionV1["fetch_info"] = {};
  for (const [xorbHash, fetches] of plan.fetches) {
    fetchInfo[xorbHash] = fetches.map(({ chunks, bytes }) => ({
      range: { ...chunks },
      url: signRange(xorbHash, bytes),
      url_range: { ...bytes },
    }));
  }
  return { offset_into_first_range: plan.offsetIntoFirstRange, terms: wireTerms(plan), fetch_info: fetchInfo };
}

export function toReconstructionV2(plan: ReconstructionPlan, signRange: SignRange): ReconstructionV2 {
  const xorbs: ReconstructionV2["xorbs"] = {};
  for (const [xorbHash, fetches] of plan.fetches) {
    xorbs[xorbHash] = fetches.map(({ chunks, bytes }) => ({
      url: signRange(xorbHash, bytes),
      ranges: [{ chunks: { ...chunks }, bytes: { ...bytes } }],
    }));
  }
  return { offset_into_first_range: plan.offsetIntoFirstRange, terms: wireTerms(plan), xorbs };
}
