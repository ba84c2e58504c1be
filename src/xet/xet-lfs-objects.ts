/**
 * Xet files as LFS objects (spec/xet.md §7.4): an LFS oid is a SHA-256, and a Xet file can stand for an
 * oid only once Berth computed that SHA-256 from the file's content itself. Which repo may read an oid
 * stays the business of `lfs_object` (the callers check it first); this only finds bytes for an oid.
 * FileLfsStorage falls back to these when it holds no plain copy, so resolve, LFS downloads and
 * `git lfs pull` serve Xet uploads unchanged.
 */
import { Readable } from "node:stream";
import { HubError } from "../errors.ts";
import { findVerifiedXetFileBySha256, findXetFile, setXetFileSha256 } from "../store/xet-files.ts";
import { decodeFileTerms } from "./file-terms.ts";
import type { ByteRange } from "./object-store.ts";
import { readXetFile, sha256OfXetFile } from "./reconstruction-reader.ts";
import type { XetStorage } from "./xet-storage.ts";

/** Verified Xet files as a source of LFS objects (FileLfsStorage's fallback). */
export class XetLfsObjects {
  readonly #storage: XetStorage;

  constructor(storage: XetStorage) {
    this.#storage = storage;
  }

  sizeOf(oid: string): Promise<number | undefined> {
    return xetObjectSize(this.#storage, oid);
  }

  read(oid: string, range?: ByteRange): Readable {
    return openXetObject(this.#storage, oid, range);
  }
}

/** The size of the verified Xet file with this SHA-256, or undefined when there is none. */
export async function xetObjectSize(storage: XetStorage, oid: string): Promise<number | undefined> {
  return (await findVerifiedXetFileBySha256(storage.db, oid))?.size;
}

/** Bytes `range` (inclusive; all when omitted) of the verified Xet file with this SHA-256; errors NotFound if none. */
export function openXetObject(storage: XetStorage, oid: string, range?: ByteRange): Readable {
  return Readable.from(
    (async function* () {
      const file = await findVerifiedXetFileBySha256(storage.db, oid);
      if (!file) throw new HubError("NotFound", "Object not found");
      if (file.size === 0) return;
      yield* readXetFile(storage, { size: file.size, terms: decodeFileTerms(file.terms) }, range);
    })(),
    { objectMode: false },
  );
}

/**
 * Streams a registered file through SHA-256 and records the result if none was recorded yet (§6.6).
 * Registration does this for every new file; this is for files registered without it and for audits.
 * Returns the computed digest, and whether it equals what was recorded (true when nothing was).
 */
export async function verifyXetFileSha256(
  storage: XetStorage,
  fileHash: string,
): Promise<{ sha256: string; consistent: boolean }> {
  const file = await findXetFile(storage.db, fileHash);
  if (!file) throw new HubError("NotFound", `Xet file ${fileHash} is not registered`);
  const sha256 = await sha256OfXetFile(storage, { size: file.size, terms: decodeFileTerms(file.terms) });
  if (file.sha256 === undefined) await setXetFileSha256(storage.db, fileHash, sha256);
  return { sha256, consistent: file.sha256 === undefined || file.sha256 === sha256 };
}
