/**
 * Shard upload (spec/xet.md §3, §6 "Shard upload", §7.4): registers the files of a shard for the repo
 * whose write token sent it, after every check has passed; nothing is written for a refused shard.
 *
 * 1. Parse (shard-format.ts); a shard this repo already registered answers `result: 0`.
 * 2. Touch every referenced xorb: all must be stored (uploaded by any repo — clients reuse xorbs from
 *    their local cache), and the touch keeps the GC off them while the checks run.
 * 3. Verify every file against Berth's index (shard-verify.ts): ranges, sizes, range hashes, file hash.
 * 4. SHA-256: taken from the file's row when Berth verified it before, else computed by streaming the
 *    content from the stored xorbs. A claim that differs is refused: a false claim would let an uploader
 *    make an LFS oid serve other bytes (§6.6).
 * 5. One transaction: file rows and the xorbs they need, the first chunk of each file for global dedup,
 *    the repo's link with its claim, the repo's LFS object for the verified SHA-256 (so the ordinary
 *    commit of the `lfsFile` finds it held), and the shard's idempotency row.
 */
import { createHash } from "node:crypto";
import { linkLfsObject } from "../store/lfs-objects.ts";
import { findXetFile, hasRegisteredShard, linkXetFileToRepo, recordShard, upsertXetFile } from "../store/xet-files.ts";
import { insertDedupChunks, touchXorbs } from "../store/xet-xorbs.ts";
import { encodeFileTerms } from "./file-terms.ts";
import { sha256OfXetFile } from "./reconstruction-reader.ts";
import { invalidShard, parseShard } from "./shard-format.ts";
import { type VerifiedFile, verifyShardFile } from "./shard-verify.ts";
import { loadXorbs, type XetStorage } from "./xet-storage.ts";

export interface RegisteredFile {
  readonly fileHash: string;
  readonly size: number;
  /** Computed by Berth from the content. */
  readonly sha256: string;
}

export interface ShardRegistration {
  /** 1 registered now, 0 this repo had registered the same shard before (both are success). */
  readonly result: 0 | 1;
  readonly files: readonly RegisteredFile[];
}

/** Verifies and registers an uploaded shard for `repoId`. Throws BadRequest ("Invalid shard: …") on any fault. */
export async function registerShard(storage: XetStorage, repoId: string, body: Uint8Array): Promise<ShardRegistration> {
  const shardHash = createHash("sha256").update(body).digest("hex");
  if (await hasRegisteredShard(storage.db, shardHash, repoId)) return { result: 0, files: [] };
  const shard = parseShard(body);
  const xorbHashes = [...new Set(shard.files.flatMap((file) => file.terms.map((term) => term.xorbHash)))];
  if ((await touchXorbs(storage.db, xorbHashes, storage.now())) !== xorbHashes.length) {
    const stored = await loadXorbs(storage, xorbHashes);
    throw invalidShard(`unknown xorb ${xorbHashes.find((hash) => !stored.has(hash))}`);
  }
  const xorbs = await loadXorbs(storage, xorbHashes);
  const verified = new Map<string, VerifiedFile>();
  for (const file of shard.files) {
    const checked = verifyShardFile(file, xorbs);
    if (!verified.has(checked.fileHash)) verified.set(checked.fileHash, checked);
  }
  const files: RegisteredFile[] = [];
  for (const file of verified.values()) {
    const sha256 = (await findXetFile(storage.db, file.fileHash))?.sha256 ?? (await sha256OfXetFile(storage, file));
    if (file.claimedSha256 !== undefined && file.claimedSha256 !== sha256) {
      throw invalidShard(`file ${file.fileHash} claims SHA-256 ${file.claimedSha256}, its content hashes to ${sha256}`);
    }
    files.push({ fileHash: file.fileHash, size: file.size, sha256 });
  }
  await storage.db.transaction().execute(async (trx) => {
    const now = storage.now();
    if ((await touchXorbs(trx, xorbHashes, now)) !== xorbHashes.length) {
      throw invalidShard("a referenced xorb was removed during the upload; upload it again");
    }
    for (const [i, file] of [...verified.values()].entries()) {
      const { sha256 } = files[i] as RegisteredFile;
      await upsertXetFile(
        trx,
        {
          hash: file.fileHash,
          size: file.size,
          terms: encodeFileTerms(file.terms),
          sha256,
          xorbHashes: file.terms.map((term) => term.xorbHash),
        },
        now,
      );
      if (file.firstChunk) {
        const { hash, xorbHash, chunkIndex } = file.firstChunk;
        await insertDedupChunks(trx, [{ chunkHash: hash, xorbHash, chunkIndex }]);
      }
      await linkXetFileToRepo(trx, file.fileHash, repoId, file.claimedSha256, now);
      await linkLfsObject(trx, repoId, sha256, file.size, now);
    }
    await recordShard(trx, shardHash, repoId, now);
  });
  return { result: 1, files };
}
