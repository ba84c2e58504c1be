/**
 * A commit's whole tree with sizes and LFS pointers, parsed once and kept in a bounded in-memory cache.
 * A commit's tree never changes, so a cached entry never goes stale; the key includes the repository
 * directory, so a commit id that exists in another repo never opens this one's cache entry.
 *
 * Listing starts no process: the tree objects, the blobs' sizes and the blobs small enough to be LFS
 * pointers are read through the repository's long-lived `git cat-file --batch-command`
 * (object-service.ts), pipelined. The cache is bounded by the total number of entries (least recently
 * used trees go first); a single tree larger than the whole budget is returned but not kept.
 */
import type { GitObjects } from "./object-service.ts";

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

  readonly #objects: GitObjects;

  constructor(objects: GitObjects, options: { maxEntries?: number } = {}) {
    this.#objects = objects;
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
    const pending = readTree(this.#objects, repoDir, commit);
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

interface RawEntry {
  readonly type: "file" | "directory";
  readonly path: string;
  readonly oid: string;
  size: number;
}

async function readTree(objects: GitObjects, repoDir: string, commit: string): Promise<CommitTree> {
  const root = await objects.info(repoDir, `${commit}^{tree}`);
  if (!root) throw new Error(`no tree for commit ${commit}`);
  const raw = await walkTree(objects, repoDir, root.oid, "");
  const files = raw.filter((entry) => entry.type === "file");
  const sizes = await Promise.all(files.map((entry) => objects.info(repoDir, entry.oid)));
  files.forEach((entry, i) => {
    entry.size = sizes[i]?.size ?? 0;
  });
  const candidates = [
    ...new Set(files.filter((e) => e.size >= MIN_POINTER_SIZE && e.size < MAX_POINTER_SIZE).map((e) => e.oid)),
  ];
  const blobs = await Promise.all(candidates.map((oid) => objects.contents(repoDir, oid)));
  const pointers = new Map<string, { oid: string; size: number }>();
  candidates.forEach((oid, i) => {
    const blob = blobs[i];
    const pointer = blob?.type === "blob" ? parseLfsPointer(blob.data) : undefined;
    if (pointer) pointers.set(oid, pointer);
  });

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

/**
 * A tree's entries in git's order (what `git ls-tree -r -t` prints): each directory before its content.
 * Subtrees are read concurrently (the requests are pipelined) and put back in order.
 */
async function walkTree(objects: GitObjects, repoDir: string, oid: string, prefix: string): Promise<RawEntry[]> {
  const tree = await objects.contents(repoDir, oid);
  if (tree?.type !== "tree") throw new Error(`tree ${oid} is missing`);
  const own: RawEntry[] = [];
  const data = tree.data;
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(32, at);
    const nul = data.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > data.length) throw new Error(`tree ${oid} is malformed`);
    const mode = data.subarray(at, space).toString("latin1");
    const name = data.subarray(space + 1, nul).toString("utf8");
    const child = data.subarray(nul + 1, nul + 21).toString("hex");
    at = nul + 21;
    // Submodules (mode 160000) name content outside the repo: not listed.
    if (mode === "40000") own.push({ type: "directory", path: prefix + name, oid: child, size: 0 });
    else if (mode !== "160000") own.push({ type: "file", path: prefix + name, oid: child, size: 0 });
  }
  const below = await Promise.all(
    own.map((entry) => (entry.type === "directory" ? walkTree(objects, repoDir, entry.oid, `${entry.path}/`) : [])),
  );
  return own.flatMap((entry, i) => [entry, ...(below[i] ?? [])]);
}
