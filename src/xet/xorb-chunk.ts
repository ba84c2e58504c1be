/**
 * One chunk of a serialized xorb (spec/xet.md §4.4): an 8-byte header `u8 version (0), u24le compressed
 * length, u8 scheme, u24le uncompressed length`, then the payload. Schemes: 0 stored, 1 LZ4 *frame* (lz4_flex
 * `FrameEncoder` in xet-core, lz4js in @huggingface/hub, lz4-napi here: all the same frame format), 2 byte
 * grouping (BG4) then LZ4 frame. Limits as xet-core's `validate`: 128 KiB uncompressed, 256 KiB compressed.
 */
import { compressFrameSync, decompressFrameSync } from "lz4-napi";
import { HubError } from "../errors.ts";

export const CHUNK_HEADER_SIZE = 8;
export const MAX_CHUNK_UNCOMPRESSED = 128 * 1024;
export const MAX_CHUNK_COMPRESSED = 256 * 1024;

export const SCHEME_NONE = 0;
export const SCHEME_LZ4 = 1;
export const SCHEME_BG4_LZ4 = 2;
export type CompressionScheme = typeof SCHEME_NONE | typeof SCHEME_LZ4 | typeof SCHEME_BG4_LZ4;

export interface ChunkHeader {
  readonly compressedLength: number;
  readonly scheme: CompressionScheme;
  readonly uncompressedLength: number;
}

/** The header at `offset`, validated; `at` names the chunk in error messages. */
export function readChunkHeader(bytes: Uint8Array, offset: number, at: number): ChunkHeader {
  if (offset + CHUNK_HEADER_SIZE > bytes.length) throw invalidXorb(`chunk ${at}: truncated header`);
  const version = bytes[offset] as number;
  if (version !== 0) throw invalidXorb(`chunk ${at}: unknown chunk version ${version}`);
  const compressedLength = u24(bytes, offset + 1);
  const scheme = bytes[offset + 4] as number;
  const uncompressedLength = u24(bytes, offset + 5);
  if (scheme !== SCHEME_NONE && scheme !== SCHEME_LZ4 && scheme !== SCHEME_BG4_LZ4) {
    throw invalidXorb(`chunk ${at}: unknown compression scheme ${scheme}`);
  }
  if (uncompressedLength > MAX_CHUNK_UNCOMPRESSED) {
    throw invalidXorb(`chunk ${at}: ${uncompressedLength} bytes uncompressed, more than ${MAX_CHUNK_UNCOMPRESSED}`);
  }
  if (compressedLength > MAX_CHUNK_COMPRESSED) {
    throw invalidXorb(`chunk ${at}: ${compressedLength} bytes compressed, more than ${MAX_CHUNK_COMPRESSED}`);
  }
  if (scheme === SCHEME_NONE && compressedLength !== uncompressedLength) {
    throw invalidXorb(`chunk ${at}: stored chunk with differing lengths`);
  }
  return { compressedLength, scheme, uncompressedLength };
}

export function writeChunkHeader(out: Uint8Array, offset: number, header: ChunkHeader): void {
  out[offset] = 0;
  setU24(out, offset + 1, header.compressedLength);
  out[offset + 4] = header.scheme;
  setU24(out, offset + 5, header.uncompressedLength);
}

/** The chunk's bytes; throws BadRequest when the payload does not decode to exactly the announced length. */
export function decodeChunk(header: ChunkHeader, payload: Uint8Array, at: number): Uint8Array {
  if (header.scheme === SCHEME_NONE) return payload;
  let decoded: Uint8Array;
  try {
    decoded = decompressFrameSync(asBuffer(payload));
  } catch (error) {
    throw invalidXorb(`chunk ${at}: the LZ4 frame does not decode`, error);
  }
  if (decoded.length !== header.uncompressedLength) {
    throw invalidXorb(`chunk ${at}: decodes to ${decoded.length} bytes, the header says ${header.uncompressedLength}`);
  }
  return header.scheme === SCHEME_BG4_LZ4 ? bg4Regroup(decoded) : decoded;
}

/** Encodes a chunk with `scheme`, or with the smallest of the three when `scheme` is "smallest" (as the clients do). */
export function encodeChunk(
  data: Uint8Array,
  scheme: CompressionScheme | "smallest",
): { header: ChunkHeader; payload: Uint8Array } {
  let chosen: CompressionScheme;
  let payload: Uint8Array;
  if (scheme === "smallest") {
    const lz4 = compressFrameSync(asBuffer(data));
    const bg4 = compressFrameSync(asBuffer(bg4Split(data)));
    const best = bg4.length < lz4.length ? bg4 : lz4;
    [chosen, payload] =
      best.length < data.length ? [best === bg4 ? SCHEME_BG4_LZ4 : SCHEME_LZ4, best] : [SCHEME_NONE, data];
  } else {
    chosen = scheme;
    payload =
      scheme === SCHEME_NONE ? data : compressFrameSync(asBuffer(scheme === SCHEME_BG4_LZ4 ? bg4Split(data) : data));
  }
  return { header: { compressedLength: payload.length, scheme: chosen, uncompressedLength: data.length }, payload };
}

/** BG4: byte i goes to plane i % 4; planes are concatenated, the first `length % 4` planes one byte longer. */
export function bg4Split(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  const starts = planeStarts(data.length);
  for (let plane = 0; plane < 4; plane++) {
    let j = starts[plane] as number;
    for (let i = plane; i < data.length; i += 4) out[j++] = data[i] as number;
  }
  return out;
}

export function bg4Regroup(grouped: Uint8Array): Uint8Array {
  const out = new Uint8Array(grouped.length);
  const [p0, p1, p2, p3] = planeStarts(grouped.length) as [number, number, number, number];
  const whole = grouped.length >>> 2;
  if (LITTLE_ENDIAN) {
    // Four bytes per store: this runs on every byte-grouped chunk of every download.
    const words = new Uint32Array(out.buffer, 0, whole);
    for (let j = 0; j < whole; j++) {
      words[j] =
        (grouped[p0 + j] as number) |
        ((grouped[p1 + j] as number) << 8) |
        ((grouped[p2 + j] as number) << 16) |
        ((grouped[p3 + j] as number) << 24);
    }
  } else {
    for (let j = 0; j < whole; j++) {
      out[4 * j] = grouped[p0 + j] as number;
      out[4 * j + 1] = grouped[p1 + j] as number;
      out[4 * j + 2] = grouped[p2 + j] as number;
      out[4 * j + 3] = grouped[p3 + j] as number;
    }
  }
  const starts = [p0, p1, p2];
  for (let plane = 0; plane < grouped.length % 4; plane++)
    out[4 * whole + plane] = grouped[(starts[plane] as number) + whole] as number;
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function planeStarts(length: number): number[] {
  const base = Math.floor(length / 4);
  const extra = length % 4;
  const starts = [0];
  for (let plane = 1; plane < 4; plane++) {
    starts.push((starts[plane - 1] as number) + base + (plane - 1 < extra ? 1 : 0));
  }
  return starts;
}

function u24(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8) | ((bytes[offset + 2] as number) << 16);
}

function setU24(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function invalidXorb(message: string, cause?: unknown): HubError {
  return new HubError("BadRequest", `Invalid xorb: ${message}`, cause === undefined ? {} : { cause });
}
