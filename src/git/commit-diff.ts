/**
 * What one commit changed, for the commit page: the files against its first parent (or the empty tree),
 * each with its old and new blob, size, LFS pointer and, for text, the line diff. Three processes
 * whatever the number of files: `git diff-tree` for the list, `git cat-file --batch-check` for sizes,
 * and one `git cat-file --batch` for the blobs small enough to diff or to be LFS pointers.
 *
 * Bounded so a page stays fast: at most `MAX_FILES` files are listed, blobs above `MAX_DIFF_BYTES` and
 * changes of more than `MAX_EDITS` lines are reported but not diffed, and at most `MAX_TOTAL_BYTES` of
 * blob text is read for one commit.
 */
import { diffHunks, type Hunk, splitLines } from "../domain/line-diff.ts";
import { runGit } from "./git-command.ts";
import { parseLfsPointer } from "./tree-reader.ts";

const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
const ZERO = /^0{40}$/;
export const MAX_FILES = 300;
const MAX_DIFF_BYTES = 512 * 1024;
const MAX_TOTAL_BYTES = 8 * 1024 * 1024;
const MAX_EDITS = 5000;
const MAX_POINTER_SIZE = 1024;

export interface BlobSide {
  readonly blob: string;
  /** Bytes of the git blob (the pointer's, for an LFS file). */
  readonly size: number;
  readonly lfs?: { readonly oid: string; readonly size: number };
}

export type DiffBody =
  | { readonly type: "text"; readonly hunks: readonly Hunk[] }
  /** Binary content, or an LFS file: shown as sizes and ids. */
  | { readonly type: "binary" }
  | { readonly type: "lfs" }
  | { readonly type: "too-large" }
  /** Only the mode changed, or a submodule. */
  | { readonly type: "none" };

export interface FileChange {
  readonly path: string;
  readonly status: "added" | "deleted" | "modified" | "type-changed";
  readonly old: BlobSide | undefined;
  readonly new: BlobSide | undefined;
  readonly body: DiffBody;
}

export interface CommitChanges {
  readonly files: readonly FileChange[];
  /** More files changed than are listed. */
  readonly truncated: boolean;
  readonly totalFiles: number;
}

interface RawChange {
  readonly oldMode: string;
  readonly newMode: string;
  readonly oldBlob: string;
  readonly newBlob: string;
  readonly status: string;
  readonly path: string;
}

/** `git diff-tree -z --raw` records: `:old new oldsha newsha S\0path\0`. */
function parseRaw(out: string): RawChange[] {
  const changes: RawChange[] = [];
  const tokens = out.split("\0");
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const header = (tokens[i] as string).replace(/^\n/, "");
    const path = tokens[i + 1] as string;
    const [oldMode, newMode, oldBlob, newBlob, status] = header.replace(/^:/, "").split(" ");
    if (!oldMode || !newMode || !oldBlob || !newBlob || !status) continue;
    changes.push({ oldMode, newMode, oldBlob, newBlob, status: status.slice(0, 1), path });
  }
  return changes;
}

const isBlobMode = (mode: string) => mode.startsWith("100") || mode === "120000";

async function blobSizes(repoDir: string, blobs: readonly string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (blobs.length === 0) return sizes;
  const result = await runGit(["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"], {
    cwd: repoDir,
    input: `${blobs.join("\n")}\n`,
  });
  if (result.code !== 0) throw new Error(`git cat-file --batch-check failed: ${result.stderr.trim()}`);
  for (const line of result.stdout.toString("utf8").split("\n")) {
    const [oid, type, size] = line.split(" ");
    if (oid && type === "blob" && size !== undefined) sizes.set(oid, Number(size));
  }
  return sizes;
}

async function blobContents(repoDir: string, blobs: readonly string[]): Promise<Map<string, Buffer>> {
  const contents = new Map<string, Buffer>();
  if (blobs.length === 0) return contents;
  const result = await runGit(["cat-file", "--batch"], { cwd: repoDir, input: `${blobs.join("\n")}\n` });
  if (result.code !== 0) throw new Error(`git cat-file --batch failed: ${result.stderr.trim()}`);
  const out = result.stdout;
  let at = 0;
  while (at < out.length) {
    const newline = out.indexOf(10, at);
    if (newline < 0) break;
    const [oid, type, size] = out.subarray(at, newline).toString("utf8").split(" ");
    at = newline + 1;
    if (!oid || type === undefined || size === undefined) continue;
    const length = Number(size);
    contents.set(oid, out.subarray(at, at + length));
    at += length + 1;
  }
  return contents;
}

/** Text for a diff: UTF-8 without NUL (git's test looks for NUL in the first 8000 bytes). */
export function asText(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8000).includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export async function readCommitChanges(
  repoDir: string,
  commit: string,
  parent: string | undefined,
): Promise<CommitChanges> {
  const raw = await runGit(
    ["diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-commit-id", parent ?? EMPTY_TREE, commit],
    {
      cwd: repoDir,
    },
  );
  if (raw.code !== 0) throw new Error(`git diff-tree failed: ${raw.stderr.trim()}`);
  const all = parseRaw(raw.stdout.toString("utf8"));
  const listed = all.slice(0, MAX_FILES);
  const blobs = new Set<string>();
  for (const change of listed) {
    if (isBlobMode(change.oldMode) && !ZERO.test(change.oldBlob)) blobs.add(change.oldBlob);
    if (isBlobMode(change.newMode) && !ZERO.test(change.newBlob)) blobs.add(change.newBlob);
  }
  const sizes = await blobSizes(repoDir, [...blobs]);
  let budget = MAX_TOTAL_BYTES;
  const wanted: string[] = [];
  for (const blob of blobs) {
    const size = sizes.get(blob) ?? Number.POSITIVE_INFINITY;
    if (size < MAX_POINTER_SIZE || (size <= MAX_DIFF_BYTES && size <= budget)) {
      wanted.push(blob);
      budget -= size;
    }
  }
  const contents = await blobContents(repoDir, wanted);

  const side = (mode: string, blob: string): BlobSide | undefined => {
    if (!isBlobMode(mode) || ZERO.test(blob)) return undefined;
    const content = contents.get(blob);
    const lfs = content ? parseLfsPointer(content) : undefined;
    return { blob, size: sizes.get(blob) ?? 0, ...(lfs ? { lfs } : {}) };
  };

  const files = listed.map((change): FileChange => {
    const old = side(change.oldMode, change.oldBlob);
    const now = side(change.newMode, change.newBlob);
    const status =
      change.status === "A"
        ? "added"
        : change.status === "D"
          ? "deleted"
          : change.status === "T"
            ? "type-changed"
            : "modified";
    return { path: change.path, status, old, new: now, body: diffBody(old, now, contents) };
  });
  return { files, truncated: all.length > listed.length, totalFiles: all.length };
}

function diffBody(
  old: BlobSide | undefined,
  now: BlobSide | undefined,
  contents: ReadonlyMap<string, Buffer>,
): DiffBody {
  if (!old && !now) return { type: "none" };
  if (old?.lfs || now?.lfs) return { type: "lfs" };
  if (old && now && old.blob === now.blob) return { type: "none" };
  const oldBytes = old ? contents.get(old.blob) : Buffer.alloc(0);
  const newBytes = now ? contents.get(now.blob) : Buffer.alloc(0);
  if (!oldBytes || !newBytes) return { type: "too-large" };
  const oldText = asText(oldBytes);
  const newText = asText(newBytes);
  if (oldText === undefined || newText === undefined) return { type: "binary" };
  const hunks = diffHunks(splitLines(oldText), splitLines(newText), { maxEdits: MAX_EDITS });
  return hunks ? { type: "text", hunks } : { type: "too-large" };
}
