/**
 * Where xorb bytes live. The interface is the common ground of a local disk and an S3-compatible bucket
 * (issue 14): whole-object writes, ranged streaming reads, existence, deletion. Keys are written once:
 * every upload gets a fresh key (the database says which key holds a xorb), so no write ever replaces bytes
 * a reader or a concurrent garbage collection may be looking at.
 *
 * The disk implementation keeps `<dataDir>/xet/objects/<key>`, written like FileLfsStorage: to
 * `<dataDir>/tmp` first, flushed, then renamed into place, so an object is whole or absent.
 */
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { newObjectId } from "../domain/object-id.ts";
import { HubError } from "../errors.ts";

export interface ByteRange {
  /** Inclusive, as HTTP ranges. */
  readonly start: number;
  readonly end: number;
}

export interface ObjectStore {
  /** Stores `body` under a new key; durable once the promise resolves. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** The bytes of `range` (all of them when omitted); the stream errors when the object is absent. */
  get(key: string, range?: ByteRange): Readable;
  exists(key: string): Promise<boolean>;
  /** Removes the object; absent objects are not an error. */
  delete(key: string): Promise<void>;
}

const KEY = /^[a-z0-9]+(?:[/._-][a-z0-9]+)*$/;

export class DiskObjectStore implements ObjectStore {
  readonly #root: string;
  readonly #tmp: string;

  constructor(dataDir: string) {
    this.#root = path.join(dataDir, "xet", "objects");
    this.#tmp = path.join(dataDir, "tmp");
  }

  #pathOf(key: string): string {
    if (!KEY.test(key)) throw new HubError("Internal", "Invalid object key");
    return path.join(this.#root, key);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const target = this.#pathOf(key);
    await mkdir(this.#tmp, { recursive: true });
    const temp = path.join(this.#tmp, `xet-${newObjectId()}`);
    try {
      const file = await open(temp, "wx");
      try {
        await file.writeFile(body);
        // The bytes reach the disk before the name does: after a power cut an object is whole or absent.
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

  get(key: string, range?: ByteRange): ReadStream {
    return createReadStream(this.#pathOf(key), {
      highWaterMark: 1024 * 1024,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.#pathOf(key));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#pathOf(key), { force: true });
  }
}

/** A fresh key for a xorb's bytes: named after the hash for humans, unique for safety. */
export function newXorbObjectKey(hashHex: string): string {
  return `xorbs/${hashHex.slice(0, 2)}/${hashHex.slice(2, 4)}/${hashHex}.${newObjectId()}`;
}
