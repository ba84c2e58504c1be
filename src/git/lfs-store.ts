/**
 * Content-addressed store of Git LFS objects, keyed by SHA-256, under `<dataDir>/lfs/objects/ab/cd/<oid>`.
 * Storage keeps one copy per oid; which repo may see which oid is the database's business
 * (store/lfs-objects.ts): knowing an oid never opens another repo's content.
 *
 * An upload is streamed to `<dataDir>/tmp`, hashed and measured on the way, flushed to disk, and renamed
 * into place only when both match, so a half-written or forged object is never visible. Object storage can replace this
 * class later behind the same interface.
 *
 * Objects without a plain copy are looked up in `fallback`: files uploaded through Xet, which count as
 * the object of an oid only once Berth has computed their SHA-256 from their content (src/xet/xet-lfs-objects.ts).
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { newObjectId } from "../domain/object-id.ts";
import { HubError } from "../errors.ts";

export const OID = /^[0-9a-f]{64}$/;

/** Bytes an upload gathers before writing them: fewer, larger writes (a writev of the chunks). */
const WRITE_BATCH = 4 * 1024 * 1024;

export interface LfsStorage {
  /** The stored size, or undefined when the object is absent. */
  sizeOf(oid: string): Promise<number | undefined>;
  /** Bytes `start`..`end` inclusive (the whole object when omitted). */
  read(oid: string, range?: { start: number; end: number }): Readable;
  /** Stores the stream as `oid` if its SHA-256 and size match; otherwise throws Unprocessable and keeps nothing. */
  write(oid: string, size: number, body: Readable): Promise<void>;
}

/** Where objects without a plain copy may come from. */
export interface LfsObjectSource {
  sizeOf(oid: string): Promise<number | undefined>;
  read(oid: string, range?: { start: number; end: number }): Readable;
}

export class FileLfsStorage implements LfsStorage {
  readonly #root: string;
  readonly #tmp: string;
  readonly #fallback: LfsObjectSource | undefined;

  constructor(dataDir: string, fallback?: LfsObjectSource) {
    this.#root = path.join(dataDir, "lfs", "objects");
    this.#tmp = path.join(dataDir, "tmp");
    this.#fallback = fallback;
  }

  pathOf(oid: string): string {
    if (!OID.test(oid)) throw new HubError("Unprocessable", `Invalid LFS oid "${oid.slice(0, 80)}"`);
    return path.join(this.#root, oid.slice(0, 2), oid.slice(2, 4), oid);
  }

  async sizeOf(oid: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(oid))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return this.#fallback?.sizeOf(oid);
      throw error;
    }
  }

  read(oid: string, range?: { start: number; end: number }): Readable {
    const file = this.pathOf(oid);
    // A stat of a local file; the plain copy, where there is one, is the cheaper read.
    if (this.#fallback && !existsSync(file)) return this.#fallback.read(oid, range);
    return createReadStream(file, range ? { start: range.start, end: range.end } : {});
  }

  async write(oid: string, size: number, body: Readable): Promise<void> {
    const target = this.pathOf(oid);
    await mkdir(this.#tmp, { recursive: true });
    const temp = path.join(this.#tmp, `lfs-${newObjectId()}`);
    const hash = createHash("sha256");
    let received = 0;
    try {
      // One pass: measure, stop the moment the body outgrows its size (a chunked body must not fill the
      // disk first), hash, and hand the bytes on; the file takes them in large writes.
      const measure = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          received += chunk.length;
          if (received > size) {
            done(new HubError("Unprocessable", `Size mismatch: more than ${size} bytes received`));
            return;
          }
          hash.update(chunk);
          done(null, chunk);
        },
        highWaterMark: WRITE_BATCH,
      });
      await pipeline(body, measure, createWriteStream(temp, { flags: "wx", highWaterMark: WRITE_BATCH }));
      const digest = hash.digest("hex");
      if (received !== size || digest !== oid) {
        throw new HubError(
          "Unprocessable",
          received !== size
            ? `Size mismatch: expected ${size} bytes, received ${received}`
            : "SHA-256 mismatch: the content does not match the oid",
        );
      }
      // The bytes reach the disk before the name does: after a power cut an object is whole or absent.
      const file = await open(temp, "r");
      try {
        await file.sync();
      } finally {
        await file.close();
      }
      await mkdir(path.dirname(target), { recursive: true });
      await rename(temp, target);
    } finally {
      await rm(temp, { force: true });
    }
  }
}
