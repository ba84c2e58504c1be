/**
 * Xorb upload (spec/xet.md §3, §6 "Xorb upload"): the body is parsed and every chunk hash and the xorb
 * hash recomputed before anything is kept; only a body that hashes to the hash in its path is stored,
 * once per site however many repos upload it. Authorization (a write token for some repo) is the caller's.
 *
 * Order of writes, for crash and GC safety: the new object key is recorded as unlinked, the bytes are
 * written under it, then one transaction inserts the xorb row and clears the unlinked record. A crash in
 * between leaves an unlinked key the GC deletes after its grace period; a concurrent upload of the same
 * xorb writes its own key, loses the insert and deletes its copy.
 */
import {
  clearUnlinkedObject,
  insertDedupChunks,
  insertXorb,
  recordUnlinkedObject,
  touchXorbs,
} from "../store/xet-xorbs.ts";
import { hashToHex, hexToHash } from "./hash-hex.ts";
import { newXorbObjectKey } from "./object-store.ts";
import { isGlobalDedupEligible } from "./xet-hash.ts";
import type { XetStorage } from "./xet-storage.ts";
import { parseXorb } from "./xorb-codec.ts";
import { encodeXorbIndex } from "./xorb-index.ts";

export interface XorbUploadResult {
  /** False when the xorb was already stored (not an error: `{"was_inserted": false}`). */
  readonly wasInserted: boolean;
}

/**
 * Verifies and stores an uploaded xorb. `hashHex` is the hash from the upload path; `repoId` the repo
 * whose write token sent it. Throws BadRequest ("Invalid hash…", "Invalid xorb: …") on a bad body.
 */
export async function storeXorb(
  storage: XetStorage,
  repoId: string | undefined,
  hashHex: string,
  body: Uint8Array,
): Promise<XorbUploadResult> {
  const expected = hexToHash(hashHex);
  // Found: the touch keeps it from the GC for a grace period, long enough for the shard that will use it.
  if ((await touchXorbs(storage.db, [hashHex], storage.now())) > 0) return { wasInserted: false };
  const xorb = parseXorb(body, expected);
  const key = newXorbObjectKey(xorb.hashHex);
  await recordUnlinkedObject(storage.db, key, storage.now());
  await storage.objects.put(key, xorb.stored);
  const { index } = xorb;
  const inserted = await storage.db.transaction().execute(async (trx) => {
    const now = storage.now();
    const fresh = await insertXorb(
      trx,
      {
        hash: xorb.hashHex,
        objectKey: key,
        chunkCount: index.chunkCount,
        unpackedSize: index.unpackedOffsets[index.chunkCount] as number,
        storedSize: xorb.stored.length,
        chunkIndex: encodeXorbIndex(index),
        repoId,
      },
      now,
    );
    if (!fresh) {
      await touchXorbs(trx, [xorb.hashHex], now);
      return false;
    }
    await clearUnlinkedObject(trx, key);
    const eligible = [];
    for (let chunk = 0; chunk < index.chunkCount; chunk++) {
      const hash = index.hashes.subarray(chunk * 32, chunk * 32 + 32);
      if (isGlobalDedupEligible(hash, false)) {
        eligible.push({ chunkHash: hashToHex(hash), xorbHash: xorb.hashHex, chunkIndex: chunk });
      }
    }
    await insertDedupChunks(trx, eligible);
    return true;
  });
  if (!inserted) {
    // Another upload stored the same xorb first: this copy is not needed.
    await storage.objects.delete(key);
    await clearUnlinkedObject(storage.db, key);
  }
  return { wasInserted: inserted };
}
