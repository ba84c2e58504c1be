/**
 * The global dedup query (spec/xet.md §3 "Global dedup", §6.8, §7.6): for a chunk hash a client holds,
 * a shard naming stored xorbs that contain it, with every chunk hash HMAC'd under a fresh key, or
 * undefined (404). Only dedup-eligible chunks are indexed (first chunks of files, 1 in 1024 others), and
 * a xorb is named only if the caller can read a repo that uses it (`canReadAny`, bound by phase 2 to the
 * caller's credential), so an answer reveals nothing about repos the caller cannot see.
 *
 * The HMAC key: 32 random bytes per answer, sent in the answer's footer and stored nowhere; the footer's
 * expiry (`ttlMs`, a day by default) tells clients when to drop the answer. Raw chunk hashes never leave
 * Berth: with them and the range-hash proof (shard-verify.ts) anyone could register files over others' data.
 */
import { listDedupXorbs, listXorbRepoIds } from "../store/xet-xorbs.ts";
import { hexToHash } from "./hash-hex.ts";
import { writeDedupShard } from "./shard-writer.ts";
import { loadXorbs, type XetStorage } from "./xet-storage.ts";

export interface DedupQueryOptions {
  /** Xorbs named in one answer. */
  readonly maxXorbs?: number;
  /** How long the client may use the answer's HMAC key. */
  readonly ttlMs?: number;
}

export async function findDedupShard(
  storage: XetStorage,
  chunkHashHex: string,
  canReadAny: (repoIds: readonly string[]) => Promise<boolean>,
  options: DedupQueryOptions = {},
): Promise<Uint8Array | undefined> {
  hexToHash(chunkHashHex);
  const maxXorbs = options.maxXorbs ?? 2;
  const visible: string[] = [];
  for (const xorbHash of await listDedupXorbs(storage.db, chunkHashHex, 20)) {
    const repoIds = await listXorbRepoIds(storage.db, xorbHash);
    if (repoIds.length > 0 && (await canReadAny(repoIds))) visible.push(xorbHash);
    if (visible.length === maxXorbs) break;
  }
  if (visible.length === 0) return undefined;
  const xorbs = await loadXorbs(storage, visible);
  const now = storage.now();
  return writeDedupShard(
    visible.flatMap((hash) => {
      const xorb = xorbs.get(hash);
      return xorb ? [{ hash, index: xorb.index, storedSize: xorb.storedSize }] : [];
    }),
    { createdAt: now, expiresAt: new Date(now.getTime() + (options.ttlMs ?? 24 * 3600 * 1000)) },
  );
}
