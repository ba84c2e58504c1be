/**
 * What the Xet library needs from its surroundings: the database, the object store for xorb bytes and the
 * clock. Phase 2 builds one from the Context; tests build one by hand.
 */
import type { Db } from "../store/db.ts";
import { findXorbs } from "../store/xet-xorbs.ts";
import type { ObjectStore } from "./object-store.ts";
import { decodeXorbIndex, type XorbIndex } from "./xorb-index.ts";

export interface XetStorage {
  readonly db: Db;
  readonly objects: ObjectStore;
  now(): Date;
}

export interface StoredXorb {
  readonly hash: string;
  readonly objectKey: string;
  readonly storedSize: number;
  readonly index: XorbIndex;
}

/** The stored xorbs among `hashes`, by hash; absent ones are simply missing from the map. */
export async function loadXorbs(storage: XetStorage, hashes: Iterable<string>): Promise<Map<string, StoredXorb>> {
  const rows = await findXorbs(storage.db, [...new Set(hashes)]);
  return new Map(
    rows.map((row) => [
      row.hash,
      { hash: row.hash, objectKey: row.objectKey, storedSize: row.storedSize, index: decodeXorbIndex(row.chunkIndex) },
    ]),
  );
}
