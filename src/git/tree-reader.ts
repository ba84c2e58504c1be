/**
 * A commit's whole tree with sizes and LFS pointers, parsed once and kept in a bounded in-memory cache.
 * A commit's tree never changes, so a cached entry never goes stale; the key includes the repository
 * directory, so a commit id that exists in another repo never opens this one's cache entry.
 *
 * Listing costs two processes per commit: `git ls-tree -r -t -l -z --full-tree` for entries and sizes,
 * and one `git cat-file --batch` that reads every blob small enough to be an LFS pointer. The cache is
 * bounded by the total number of entries (least recently used trees go first); a single tree larger
 * than the whole budget is returned but not kept.
 */
import { spawn } from "node:child_process";
import { gitOrThrow } from "./git-command.ts";

export interface LfsInfo {
  readonly oid: string;
  readonly size: number;
  readonly pointerSize: number;
}

export interface TreeEntry {
  readonly type: "file" | "directory";
  /** Full path from the repo root. */
  readonly path: string;
  /** Git object id: the blob (the pointer's blob for LFS files) or the tree. */
  readonly oid: string;
  /** The real file size: the LFS size for LFS files, 0 for directories. */
  readonly size: number;
  readonly lfs?: LfsInfo;
}

export interface CommitTree {
  /** Every file and directory, in git's tree order. */
  readonly entries: readonly TreeEntry[];
  readonly byPath: ReadonlyMap<string, TreeEntry>;
  /** Direct children by directory path ("" is the root). */
  readonly children: ReadonlyMap<string, readonly TreeEntry[]>;
}

const LFS_HEADER = "version https://git-lfs.github.com/spec/v1\n";
/** Pointers are small text files; the spec caps them below 1024 bytes. */
const MAX_POINTER_SIZE = 1024;
const MIN_POINTER_SIZE = LFS_HEADER.length + "oid sha256:\nsize 0\n".length + 64;

/** Parses an LFS pointer, or undefined when the blob is not one. */
export function parseLfsPointer(blob: Buffer): { oid: string; size: number } | undefined {
  if (blob.length >= MAX_POINTER_SIZE || blob.length < MIN_POINTER_SIZE) return undefined;
  const text = blob.toString("utf8");
  if (!text.startsWith(LFS_HEADER) || !text.endsWith("\n")) return undefined;
  const oid = /\noid sha256:([0-9a-f]{64})\n/.exec(text)?.[1];
  const size = /\nsize ([0-9]{1,16})\n/.exec(text)?.[1];
  if (!oid || size === undefined) return undefined;
  const n = Number(size);
  return Number.isSafeInteger(n) ? { oid, size: n } : undefined;
}

export class TreeReader {
  readonly #cache = new Map<string, Promise<CommitTree>>();
  readonly #sizes = new Map<string, number>();
  readonly #maxEntries: number;
  #cachedEntries = 0;
  /** How many trees were parsed rather than served from the cache (observable in tests). */
  parses = 0;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 300_000;
  }

  /** True when the commit's tree is cached for this repo, so the commit is known to exist in it. */
  has(repoDir: string, commit: string): boolean {
    return this.#sizes.has(`${repoDir}\0${commit}`);
  }

  read(repoDir: string, commit: string): Promise<CommitTree> {
    const key = `${repoDir}\0${commit}`;
    const hit = this.#cache.get(key);
    if (hit) {
      // Least recently used goes first: re-insert on every hit.
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return hit;
    }
    this.parses++;
    const pending = readTree(repoDir, commit);
    this.#cache.set(key, pending);
    pending.then(
      (tree) => {
        if (this.#cache.get(key) !== pending) return;
        if (tree.entries.length > this.#maxEntries) {
          this.#cache.delete(key);
          return;
        }
        this.#sizes.set(key, tree.entries.length);
        this.#cachedEntries += tree.entries.length;
        this.#evict();
      },
      () => this.#cache.delete(key),
    );
    return pending;
  }

  #evict(): void {
    for (const key of this.#cache.keys()) {
      if (this.#cachedEntries <= this.#maxEntries) return;
      const size = this.#sizes.get(key);
      if (size === undefined) continue; // still being read
      this.#cache.delete(key);
      this.#sizes.delete(key);
      this.#cachedEntries -= size;
    }
  }
}

async function readTree(repoDir: string, commit: string): Promise<CommitTree> {
  const out = await gitOrThrow(["ls-tree", "-r", "-t", "-l", "-z", "--full-tree", commit], { cwd: repoDir });
  const raw: { type: "file" | "directory"; path: string; oid: string; size: number }[] = [];
  for (const record of out.toString("utf8").split("\0")) {
    if (record.length === 0) continue;
    const tab = record.indexOf("\t");
    const [, kind, oid, size] = record.slice(0, tab).split(/ +/);
    const path = record.slice(tab + 1);
    // Submodules (kind "commit") name content outside the repo: not listed.
    if (kind === "blob" && oid) raw.push({ type: "file", path, oid, size: Number(size) });
    else if (kind === "tree" && oid) raw.push({ type: "directory", path, oid, size: 0 });
  }
  const candidates = [
    ...new Set(
      raw.filter((e) => e.type === "file" && e.size >= MIN_POINTER_SIZE && e.size < MAX_POINTER_SIZE).map((e) => e.oid),
    ),
  ];
  const pointers = candidates.length > 0 ? await readPointers(repoDir, candidates) : new Map();

  const entries: TreeEntry[] = [];
  const byPath = new Map<string, TreeEntry>();
  const children = new Map<string, TreeEntry[]>([["", []]]);
  for (const e of raw) {
    const pointer = e.type === "file" ? pointers.get(e.oid) : undefined;
    const entry: TreeEntry = pointer
      ? { ...e, size: pointer.size, lfs: { oid: pointer.oid, size: pointer.size, pointerSize: e.size } }
      : e;
    entries.push(entry);
    byPath.set(entry.path, entry);
    const slash = entry.path.lastIndexOf("/");
    const parent = slash < 0 ? "" : entry.path.slice(0, slash);
    const siblings = children.get(parent) ?? [];
    if (siblings.length === 0) children.set(parent, siblings);
    siblings.push(entry);
    if (entry.type === "directory" && !children.has(entry.path)) children.set(entry.path, []);
  }
  return { entries, byPath, children };
}

/** Reads every candidate blob through one `git cat-file --batch` and keeps those that are LFS pointers. */
function readPointers(repoDir: string, oids: readonly string[]): Promise<Map<string, { oid: string; size: number }>> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["cat-file", "--batch"], { cwd: repoDir, stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`git cat-file --batch failed (${code}): ${stderr.trim()}`));
      const out = Buffer.concat(chunks);
      const found = new Map<string, { oid: string; size: number }>();
      let at = 0;
      while (at < out.length) {
        const newline = out.indexOf(10, at);
        if (newline < 0) break;
        const [oid, type, size] = out.subarray(at, newline).toString("utf8").split(" ");
        at = newline + 1;
        if (type === undefined || size === undefined || !oid) continue; // "<oid> missing"
        const length = Number(size);
        const pointer = type === "blob" ? parseLfsPointer(out.subarray(at, at + length)) : undefined;
        if (pointer) found.set(oid, pointer);
        at += length + 1;
      }
      resolve(found);
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(`${oids.join("\n")}\n`);
  });
}
