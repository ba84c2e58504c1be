/**
 * What a commit holds at a few paths, without listing its whole tree: one `git cat-file --batch-check`
 * for the entries, then one `git cat-file --batch` for the blobs small enough to be LFS pointers (and
 * for any whose content the caller wants). Paths reach git on stdin, one per line, never as arguments;
 * callers refuse paths with a newline before they get here.
 */
import { runGit } from "./git-command.ts";
import { parseLfsPointer } from "./tree-reader.ts";

export interface PathEntry {
  /** The git blob id. */
  readonly blob: string;
  readonly size: number;
  /** Set when the blob is an LFS pointer. */
  readonly lfs?: { readonly oid: string; readonly size: number };
  /** The blob's bytes, when asked for with `withContent`. */
  readonly content?: Buffer;
}

const MAX_POINTER_SIZE = 1024;

/**
 * The file at each path of `commit` (directories and missing paths are left out). `withContent` names
 * paths whose bytes are wanted as well (small files such as `.gitattributes`).
 */
export async function lookupPaths(
  repoDir: string,
  commit: string,
  paths: readonly string[],
  withContent: ReadonlySet<string> = new Set(),
): Promise<Map<string, PathEntry>> {
  const found = new Map<string, PathEntry>();
  const unique = [...new Set(paths)].filter((p) => !p.includes("\n"));
  if (unique.length === 0) return found;
  const check = await runGit(["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"], {
    cwd: repoDir,
    input: unique.map((p) => `${commit}:${p}\n`).join(""),
  });
  if (check.code !== 0) throw new Error(`git cat-file --batch-check failed: ${check.stderr.trim()}`);
  const lines = check.stdout.toString("utf8").split("\n");
  const wanted: { path: string; blob: string; size: number }[] = [];
  unique.forEach((path, i) => {
    const [blob, type, size] = (lines[i] ?? "").split(" ");
    if (type !== "blob" || !blob || size === undefined) return;
    const entry = { path, blob, size: Number(size) };
    found.set(path, { blob, size: entry.size });
    if (entry.size < MAX_POINTER_SIZE || withContent.has(path)) wanted.push(entry);
  });
  if (wanted.length === 0) return found;

  const batch = await runGit(["cat-file", "--batch"], {
    cwd: repoDir,
    input: wanted.map((w) => `${w.blob}\n`).join(""),
  });
  if (batch.code !== 0) throw new Error(`git cat-file --batch failed: ${batch.stderr.trim()}`);
  const out = batch.stdout;
  let at = 0;
  for (const w of wanted) {
    const newline = out.indexOf(10, at);
    if (newline < 0) break;
    const length = Number(out.subarray(at, newline).toString("utf8").split(" ")[2]);
    at = newline + 1;
    const content = out.subarray(at, at + length);
    at += length + 1;
    const lfs = parseLfsPointer(content);
    found.set(w.path, {
      blob: w.blob,
      size: w.size,
      ...(lfs ? { lfs } : {}),
      ...(withContent.has(w.path) ? { content: Buffer.from(content) } : {}),
    });
  }
  return found;
}
