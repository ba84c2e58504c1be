/**
 * Bodies of git smart-HTTP requests, prepared before a git process starts (issue 8, item 7).
 *
 * - upload-pack (clone, fetch; anonymous on public repos): the negotiation is small, so it is read
 *   whole, decompressed here and bounded (UPLOAD_PACK_REQUEST_LIMIT) within the body timeout, and only
 *   then does git start. A slow or endless client never holds a git process, and a gzip bomb of `want`
 *   lines never reaches git.
 * - receive-pack (push; an authorized writer): the pack streams into git, decompressed here when the
 *   client gzipped it, and cut at `maxPushBytes`.
 * git itself is never handed a compressed body, so it has no decompression of its own to be abused.
 */
import type { IncomingMessage } from "node:http";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { HubError } from "../errors.ts";
import { type BodyBudget, BodyLease } from "./body-budget.ts";

/**
 * Largest decompressed upload-pack request. A fetch sends one `want` line per ref it asks for and
 * `have` lines in rounds of at most a few hundred: a repo with 100,000 refs needs under 10 MiB.
 */
export const UPLOAD_PACK_REQUEST_LIMIT = 32 * 1024 * 1024;

function decoderFor(encoding: string | undefined): Transform | undefined {
  const value = encoding?.trim().toLowerCase();
  if (value === undefined || value === "" || value === "identity") return undefined;
  if (value === "gzip" || value === "x-gzip") return createGunzip();
  throw new HubError("UnsupportedMediaType", `Unsupported Content-Encoding "${value.slice(0, 40)}": use gzip or none`);
}

/** Passes bytes through until more than `limit` have gone by. */
function capped(limit: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(new HubError("PayloadTooLarge", `${what} is larger than ${limit} bytes`));
      else done(null, chunk);
    },
  });
}

export interface UploadPackBody {
  readonly bytes: Buffer;
  /** Gives the body's share of the budget back; call once the request is over. */
  release(): void;
}

export async function readUploadPackBody(
  raw: IncomingMessage,
  budget: BodyBudget,
  timeoutMs: number,
): Promise<UploadPackBody> {
  const decoder = decoderFor(raw.headers["content-encoding"]);
  const lease = new BodyLease(budget, 1);
  const chunks: Buffer[] = [];
  let length = 0;
  const collect = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      length += chunk.length;
      if (!lease.cover(length)) {
        done(new HubError("Busy", "The server is handling too many large requests; try again shortly"));
        return;
      }
      chunks.push(chunk);
      done();
    },
  });
  const stages = [
    capped(UPLOAD_PACK_REQUEST_LIMIT, "The fetch request"),
    ...(decoder ? [decoder, capped(UPLOAD_PACK_REQUEST_LIMIT, "The decompressed fetch request")] : []),
    collect,
  ];
  try {
    await pipeline([raw, ...stages], { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    lease.release();
    if (error instanceof HubError) throw error;
    if ((error as { name?: string }).name === "AbortError") {
      throw new HubError("RequestTimeout", `The fetch request did not arrive within ${timeoutMs / 1000} s`);
    }
    throw new HubError("BadRequest", "The fetch request body could not be read (bad gzip data?)");
  }
  return { bytes: Buffer.concat(chunks, length), release: () => lease.release() };
}

/** The push's pack as git should read it: decompressed if needed, and cut past `maxBytes`. */
export function receivePackBody(raw: IncomingMessage, maxBytes: number): { body: Readable; decoded: boolean } {
  const decoder = decoderFor(raw.headers["content-encoding"]);
  const limit = capped(maxBytes, "The push");
  const stages: Transform[] = decoder ? [decoder, limit] : [limit];
  let stream: Readable = raw;
  for (const stage of stages) {
    stream.once("error", (error: Error) => stage.destroy(error));
    stream = stream.pipe(stage);
  }
  return { body: stream, decoded: decoder !== undefined };
}
