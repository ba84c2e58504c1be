/**
 * Garbage collection of Xet storage: releases what no repo uses any more (a deleted repo's files and the
 * xorbs only they needed), never what something still references, and never what a concurrent upload is
 * about to use.
 *
 * Reachability is kept in the database, so the collection is a sweep over rows, not a scan of objects:
 * repo → `xet_file_repo` (and `lfs_object` by SHA-256) → `xet_file` → `xet_file_xorb` → `xet_xorb` →
 * object key. Deleting a repo cascades to its links; the GC then removes, in this order:
 *
 * 1. files no repo links and no LFS object names,
 * 2. xorbs no file needs (their dedup entries go with them),
 * 3. object bytes no xorb row points to.
 *
 * Why a grace period on "touched" rows rather than mark-and-sweep with generations: Xet uploads are
 * two-phase by nature (xorbs first, the shard that references them later, possibly from another process
 * and after a dropped connection), so an unreferenced xorb is normal for a while. Every upload that finds
 * or stores a xorb, and every shard that references one, sets its `touched_at`; the GC deletes only rows
 * untouched for `graceMs` (default a day) and re-checks "unreferenced and untouched" in the deleting
 * statement itself, so a row touched or referenced after it was listed survives. A shard touches its
 * xorbs before verifying and again inside its registering transaction, and refuses if one vanished, so a
 * file never points at a deleted xorb. No locks, no GC state, and any number of processes may upload
 * (and even collect) at once. Object keys are never reused (each upload writes a fresh key), so deleting
 * an old copy cannot race a new upload of the same hash; bytes written but not yet registered, or
 * unregistered but not yet deleted, are recorded as unlinked keys that step 3 deletes, which also
 * cleans up after a crash.
 */
import {
  deleteUnreferencedXetFile,
  deleteUnreferencedXorb,
  isObjectKeyLinked,
  listUnlinkedObjects,
  listUnreferencedXetFiles,
  listUnreferencedXorbs,
} from "../store/xet-gc.ts";
import { clearUnlinkedObject } from "../store/xet-xorbs.ts";
import type { XetStorage } from "./xet-storage.ts";

export const DEFAULT_GC_GRACE_MS = 24 * 3600 * 1000;

export interface XetGcOptions {
  /** Rows touched more recently than this are kept. Must exceed the longest upload (xorbs to shard). */
  readonly graceMs?: number;
  readonly batchSize?: number;
}

export interface XetGcReport {
  readonly files: number;
  readonly xorbs: number;
  readonly objects: number;
}

export async function collectXetGarbage(storage: XetStorage, options: XetGcOptions = {}): Promise<XetGcReport> {
  const before = new Date(storage.now().getTime() - (options.graceMs ?? DEFAULT_GC_GRACE_MS));
  const batchSize = options.batchSize ?? 500;
  const report = { files: 0, xorbs: 0, objects: 0 };

  await sweep(
    () => listUnreferencedXetFiles(storage.db, before, batchSize),
    async (hash) => {
      if (await deleteUnreferencedXetFile(storage.db, hash, before)) report.files++;
    },
  );
  await sweep(
    () => listUnreferencedXorbs(storage.db, before, batchSize),
    async (hash) => {
      const key = await deleteUnreferencedXorb(storage.db, hash, before);
      if (key === undefined) return;
      report.xorbs++;
      await storage.objects.delete(key);
      await clearUnlinkedObject(storage.db, key);
      report.objects++;
    },
  );
  await sweep(
    () => listUnlinkedObjects(storage.db, before, batchSize),
    async (key) => {
      if (!(await isObjectKeyLinked(storage.db, key))) {
        await storage.objects.delete(key);
        report.objects++;
      }
      await clearUnlinkedObject(storage.db, key);
    },
  );
  return report;
}

/** Runs `act` on every listed item, batch after batch, until a batch changes nothing. */
async function sweep(list: () => Promise<string[]>, act: (item: string) => Promise<void>): Promise<void> {
  const seen = new Set<string>();
  for (;;) {
    const batch = (await list()).filter((item) => !seen.has(item));
    if (batch.length === 0) return;
    for (const item of batch) {
      seen.add(item);
      await act(item);
    }
  }
}
