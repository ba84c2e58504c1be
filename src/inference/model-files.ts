/**
 * Materializes the files the embedded runner needs from one commit of a repo into
 * `<dataDir>/inference-cache/<commit>/`, from Berth's own storage (git blobs, and the LFS store for LFS
 * files): the runner never reaches the network. A commit never changes, so a directory once complete is
 * reused by every later call and every process; it is built under a temporary name and renamed into
 * place, so a reader never sees half a model.
 *
 * An LFS object is copied only if this repo holds it (store/lfs-objects.ts), and that check is made
 * for every (repo, commit) pair before its directory is used, even when another repo with the same
 * commit built it: knowing a commit or an oid never opens another repo's content.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Context } from "../context.ts";
import type { Repo } from "../domain/entities.ts";
import { fullName } from "../domain/repo-id.ts";
import { HubError } from "../errors.ts";
import { readBlob } from "../git/blob-reader.ts";
import { readPathProblem } from "../git/revision.ts";
import type { TreeEntry } from "../git/tree-reader.ts";
import { findRepoLfsObject } from "../store/lfs-objects.ts";

export interface ModelSnapshot {
  readonly commit: string;
  /** Absolute directory holding the files. */
  readonly dir: string;
  /** Relative paths present in the snapshot. */
  readonly files: ReadonlySet<string>;
  /** Bytes of ONNX weights, the basis of the memory estimate. */
  readonly onnxBytes: number;
}

/** Files a transformers.js pipeline or a raw ONNX session may read. */
function isRunnerFile(entryPath: string): boolean {
  // Never write outside the snapshot, whatever a crafted tree holds.
  if (readPathProblem(entryPath) !== undefined) return false;
  if (entryPath.startsWith("onnx/")) return /\.(onnx|onnx_data|onnx\.data|json)$/.test(entryPath);
  if (!entryPath.includes("/")) return /\.(json|txt|model|onnx|onnx_data|md)$/.test(entryPath);
  return /^\d+_Pooling\/config\.json$/.test(entryPath);
}

export const DEFAULT_MAX_MODEL_BYTES = 2 * 1024 ** 3;

export class ModelFiles {
  readonly #root: string;
  readonly #maxBytes: number;
  readonly #building = new Map<string, Promise<void>>();
  readonly #verified = new Set<string>();
  /** Snapshots by repo and commit: a commit never changes, so a hot model costs no tree walk or stat. */
  readonly #snapshots = new Map<string, Promise<ModelSnapshot>>();

  constructor(dataDir: string, maxBytes = DEFAULT_MAX_MODEL_BYTES) {
    this.#root = path.join(dataDir, "inference-cache");
    this.#maxBytes = maxBytes;
  }

  get root(): string {
    return this.#root;
  }

  snapshot(ctx: Context, repo: Repo, commit: string): Promise<ModelSnapshot> {
    const key = `${repo.id}:${commit}`;
    const cached = this.#snapshots.get(key);
    if (cached) return cached;
    const snapshot = this.#snapshot(ctx, repo, commit);
    if (this.#snapshots.size >= 1000) this.#snapshots.delete(this.#snapshots.keys().next().value as string);
    this.#snapshots.set(key, snapshot);
    snapshot.catch(() => this.#snapshots.delete(key));
    return snapshot;
  }

  async #snapshot(ctx: Context, repo: Repo, commit: string): Promise<ModelSnapshot> {
    const repoDir = ctx.storage.pathOf(repo.type, repo.id);
    const tree = await ctx.trees.read(repoDir, commit);
    const entries = tree.entries.filter((entry) => entry.type === "file" && isRunnerFile(entry.path));
    const onnx = entries.filter((entry) => /\.onnx$/.test(entry.path));
    if (onnx.length === 0) {
      throw new HubError(
        "BadRequest",
        `Model ${fullName(repo)} has no ONNX weights at revision ${commit.slice(0, 12)} and no inference upstream is configured for it`,
      );
    }
    const total = entries.reduce((sum, entry) => sum + entry.size, 0);
    if (total > this.#maxBytes) {
      throw new HubError(
        "Unprocessable",
        `Model ${fullName(repo)} is too large for the embedded runner (${total} bytes, limit ${this.#maxBytes}); configure an upstream for it`,
      );
    }
    const verifiedKey = `${repo.id}:${commit}`;
    if (!this.#verified.has(verifiedKey)) {
      await this.#checkLfs(ctx, repo, entries);
      this.#verified.add(verifiedKey);
    }
    const dir = path.join(this.#root, commit);
    if (!(await exists(dir))) {
      let building = this.#building.get(commit);
      if (!building) {
        building = this.#build(ctx, repoDir, dir, entries).finally(() => this.#building.delete(commit));
        this.#building.set(commit, building);
      }
      await building;
    }
    return {
      commit,
      dir,
      files: new Set(entries.map((entry) => entry.path)),
      onnxBytes: onnx.reduce((sum, entry) => sum + entry.size, 0),
    };
  }

  async readText(snapshot: ModelSnapshot, file: string): Promise<string | undefined> {
    if (!snapshot.files.has(file)) return undefined;
    return readFile(path.join(snapshot.dir, file), "utf8");
  }

  async #checkLfs(ctx: Context, repo: Repo, entries: readonly TreeEntry[]): Promise<void> {
    for (const entry of entries) {
      if (!entry.lfs) continue;
      const held = await findRepoLfsObject(ctx.db, repo.id, entry.lfs.oid);
      const stored = held === undefined ? undefined : await ctx.lfs.sizeOf(entry.lfs.oid);
      if (stored !== entry.lfs.size) {
        throw new HubError(
          "Unprocessable",
          `The LFS object of ${entry.path} is not in this repository's storage: it was never uploaded`,
        );
      }
    }
  }

  async #build(ctx: Context, repoDir: string, dir: string, entries: readonly TreeEntry[]): Promise<void> {
    const temp = `${dir}.tmp-${randomBytes(6).toString("hex")}`;
    try {
      for (const entry of entries) {
        const target = path.join(temp, entry.path);
        await mkdir(path.dirname(target), { recursive: true });
        const source = entry.lfs ? ctx.lfs.read(entry.lfs.oid) : readBlob(repoDir, entry.oid);
        await pipeline(source, createWriteStream(target, { flags: "wx" }));
      }
      await mkdir(temp, { recursive: true });
      try {
        await rename(temp, dir);
      } catch (error) {
        // Another process finished the same commit first: theirs is identical.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "EEXIST" && code !== "ENOTEMPTY") throw error;
      }
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }
}

async function exists(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
