/**
 * Writes an API commit (hub-api.md §8.4) as a real git commit, all or nothing.
 *
 * - The commit's objects are written by one `git fast-import` run on top of the parent; the stream ends
 *   with `reset` of its scratch branch, so fast-import writes objects only and never a ref.
 * - The branch then moves with `git update-ref <ref> <new> <old>`: a compare-and-swap under git's ref
 *   lock. That, not the in-process mutex, is what keeps two writers (threads, processes, machines on one
 *   data dir) from losing a commit: the loser re-reads the head and re-applies its operations on top,
 *   unless the caller pinned `parentCommit`, in which case it gets 412.
 * - A crash before the swap leaves only unreferenced objects (harmless, collected by `git gc`); a crash
 *   after it leaves the new commit. A reader never sees anything in between.
 * - An LFS pointer is committed only for an object this repo holds (uploaded and verified through LFS):
 *   a commit never points at bytes nobody uploaded, nor at another repo's object by guessing its oid.
 *   And only by someone who may read the object through the repo's gate, or who uploaded its bytes
 *   themselves (issue 8): tree listings show every oid, and a pointer is a door to the bytes it names,
 *   so a pull request by a stranger must not turn a known oid into a readable file.
 */
import { rm, stat } from "node:fs/promises";
import type { Context } from "../context.ts";
import type { Repo } from "../domain/entities.ts";
import { HubError } from "../errors.ts";
import { findRepoLfsObject, hasUploadedLfs } from "../store/lfs-objects.ts";
import { touchRepo } from "../store/repos.ts";
import { runGit } from "./git-command.ts";
import { lookupPaths } from "./path-lookup.ts";
import { LfsAttributes, lfsAttributeLine, pathProblem } from "./path-rules.ts";
import type { CommitAuthor } from "./repo-storage.ts";

export type CommitOperation =
  | { readonly type: "file"; readonly path: string; readonly content: Buffer }
  /** `size` may be left out (Python's copy of an LFS file): it is looked up by oid. */
  | { readonly type: "lfsFile"; readonly path: string; readonly oid: string; readonly size?: number | undefined }
  /** A file, or a folder and everything below it. */
  | { readonly type: "delete"; readonly path: string };

export type CommitTarget =
  /** An existing ref: `refs/heads/<branch>` or `refs/pr/<n>`. */
  | { readonly type: "ref"; readonly ref: string }
  /** A new `refs/pr/<n>` (next free n) starting from the head of `from` (or from `parentCommit`). */
  | { readonly type: "pull-request"; readonly from: string };

export interface CommitRequest {
  readonly target: CommitTarget;
  readonly operations: readonly CommitOperation[];
  readonly summary: string;
  readonly description: string;
  readonly author: CommitAuthor;
  /** The head the caller based its work on; a different head is a 412. */
  readonly parentCommit?: string | undefined;
  /**
   * Which LFS objects the committer may point at: `readable`, any the repo holds (they may read its
   * content); `uploaded`, only those whose bytes this user uploaded to the repo themselves.
   */
  readonly lfsReferences: "readable" | { readonly uploadedBy: string };
}

export interface CommitResult {
  readonly commit: string;
  readonly ref: string;
  readonly pullRequest?: number;
}

const ZERO = "0000000000000000000000000000000000000000";
const COMMIT_ID = /^[0-9a-f]{40}$/;
const MAX_ATTEMPTS = 12;
/** Git holds a ref lock for milliseconds; one this old belongs to a process that died holding it. */
const STALE_LOCK_MS = 60_000;
const SCRATCH_BRANCH = "refs/berth/pending";

export const STALE_PARENT = "A commit has happened since. Please refresh and try again.";

/**
 * Per-repo queues, one set per storage instance (a process has one): commits through one instance run
 * one at a time, so they rarely race the CAS; other instances and processes are kept honest by the CAS.
 */
const queuesByStorage = new WeakMap<object, Map<string, Promise<unknown>>>();

function serialize<T>(owner: object, key: string, task: () => Promise<T>): Promise<T> {
  const queues = queuesByStorage.get(owner) ?? new Map<string, Promise<unknown>>();
  queuesByStorage.set(owner, queues);
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

type RepoRef = Pick<Repo, "id" | "type">;

export async function writeCommit(ctx: Context, repo: RepoRef, request: CommitRequest): Promise<CommitResult> {
  for (const op of request.operations) {
    const problem = pathProblem(op.path);
    if (problem) throw new HubError("Unprocessable", `Invalid path "${op.path.slice(0, 200)}": ${problem}`);
  }
  if (request.operations.length === 0) {
    throw new HubError("BadRequest", "Add a line with the key `lfsFile`, `file` or `deletedFile`");
  }
  const operations = await resolveLfsSizes(ctx, repo.id, request.operations, request.lfsReferences);
  const dir = ctx.storage.pathOf(repo.type, repo.id);
  const result = await serialize(ctx.storage, dir, () => commitWithRetries(ctx, repo, dir, { ...request, operations }));
  await touchRepo(ctx.db, repo.id, ctx.now());
  return result;
}

async function resolveLfsSizes(
  ctx: Context,
  repoId: string,
  operations: readonly CommitOperation[],
  references: CommitRequest["lfsReferences"],
): Promise<CommitOperation[]> {
  return Promise.all(
    operations.map(async (op) => {
      if (op.type !== "lfsFile") return op;
      const held = await findRepoLfsObject(ctx.db, repoId, op.oid);
      const proven = references === "readable" || (await hasUploadedLfs(ctx.db, repoId, op.oid, references.uploadedBy));
      if (held === undefined || !proven) {
        // One message whether or not the repo holds it: someone who cannot read the repo learns nothing.
        throw new HubError(
          "Unprocessable",
          `LFS object ${op.oid} for "${op.path.slice(0, 200)}" was not uploaded to this repo${references === "readable" ? "" : " by you"}: upload it through the LFS batch API first`,
        );
      }
      if (op.size !== undefined && op.size !== held) {
        throw new HubError("Unprocessable", `LFS object for "${op.path}" has ${held} bytes, not ${op.size}`);
      }
      return { ...op, size: held };
    }),
  );
}

async function commitWithRetries(
  ctx: Context,
  repo: RepoRef,
  dir: string,
  request: CommitRequest,
): Promise<CommitResult> {
  const parentCommit = request.parentCommit?.toLowerCase();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (attempt > 1) await sleep(Math.random() * 20 * attempt);
    const target = request.target;
    if (target.type === "ref") {
      const head = await readRef(dir, target.ref);
      if (!head) throw new HubError("RevisionNotFound", `Invalid rev id: ${shortRef(target.ref)}`);
      if (parentCommit !== undefined && parentCommit !== head)
        throw new HubError("Conflict", STALE_PARENT, { status: 412 });
      const commit = await buildCommit(ctx, repo, dir, head, request);
      if (await swapRef(dir, target.ref, commit, head)) return { commit, ref: target.ref };
      // Lost the race: a pinned parent is now stale; otherwise re-apply on the new head.
      continue;
    }
    const head = await readRef(dir, target.from);
    if (!head) throw new HubError("RevisionNotFound", `Invalid rev id: ${shortRef(target.from)}`);
    let base = head;
    if (parentCommit !== undefined && parentCommit !== head) {
      if (!COMMIT_ID.test(parentCommit) || !(await isCommit(dir, parentCommit))) {
        throw new HubError("Conflict", `parentCommit ${parentCommit.slice(0, 40)} is not a commit of this repo`, {
          status: 412,
        });
      }
      base = parentCommit;
    }
    const commit = await buildCommit(ctx, repo, dir, base, request);
    // A new ref cannot be raced into losing a commit: on a taken number, take the next one.
    for (let tries = 0; tries < MAX_ATTEMPTS; tries++) {
      const number = (await highestPullRequest(dir)) + 1;
      const ref = `refs/pr/${number}`;
      if (await swapRef(dir, ref, commit, undefined)) return { commit, ref, pullRequest: number };
      await sleep(Math.random() * 20);
    }
    break;
  }
  throw new HubError("Conflict", "Too many concurrent commits to this branch: please try again");
}

/** Writes the commit's objects on top of `parent` and returns the commit id; no ref moves. */
async function buildCommit(
  ctx: Context,
  repo: RepoRef,
  dir: string,
  parent: string,
  request: CommitRequest,
): Promise<string> {
  const files = new Set(await ctx.storage.listFiles(repo.type, repo.id, parent));
  const operations = [...request.operations];
  let attributes: { content: Buffer | undefined; touched: boolean } = { content: undefined, touched: false };
  for (const op of operations) {
    if (op.type === "delete") {
      if (files.delete(op.path)) continue;
      const prefix = `${op.path}/`;
      let removed = 0;
      for (const file of files) {
        if (file.startsWith(prefix)) {
          files.delete(file);
          removed++;
        }
      }
      if (removed === 0) throw new HubError("EntryNotFound", `Entry not found: ${op.path}`);
    } else files.add(op.path);
    if (op.path === ".gitattributes") {
      attributes = { content: op.type === "file" ? op.content : undefined, touched: true };
    }
  }
  checkFileFolderConflicts(files, operations);

  // `git clone` smudges only paths `.gitattributes` sends to LFS: cover every new pointer (as the Hub does).
  const lfsPaths = lastLfsPaths(operations, files);
  if (lfsPaths.length > 0) {
    let current = attributes.content;
    if (!attributes.touched && files.has(".gitattributes")) {
      current = (await lookupPaths(dir, parent, [".gitattributes"], new Set([".gitattributes"]))).get(
        ".gitattributes",
      )?.content;
    }
    const text = current?.toString("utf8") ?? "";
    const rules = new LfsAttributes(text);
    const missing = lfsPaths.filter((p) => !rules.isLfs(p)).map(lfsAttributeLine);
    if (missing.length > 0) {
      const prefix = text === "" || text.endsWith("\n") ? text : `${text}\n`;
      operations.push({
        type: "file",
        path: ".gitattributes",
        content: Buffer.from(`${prefix}${missing.join("\n")}\n`),
      });
    }
  }

  const result = await runGit(["fast-import", "--quiet", "--date-format=raw"], {
    cwd: dir,
    input: fastImportStream(parent, request, operations, ctx.now()),
  });
  const commit = result.stdout.toString("utf8").trim();
  if (result.code !== 0 || !COMMIT_ID.test(commit)) {
    throw new Error(`git fast-import failed (${result.code}): ${result.stderr.trim()}`);
  }
  return commit;
}

/** Paths whose final operation is an LFS pointer and which survive the commit. */
function lastLfsPaths(operations: readonly CommitOperation[], files: ReadonlySet<string>): string[] {
  const last = new Map<string, CommitOperation>();
  for (const op of operations) last.set(op.path, op);
  return [...last.values()].filter((op) => op.type === "lfsFile" && files.has(op.path)).map((op) => op.path);
}

/** A path cannot be both a file and a folder once the commit is applied. */
function checkFileFolderConflicts(files: ReadonlySet<string>, operations: readonly CommitOperation[]): void {
  const folders = new Set<string>();
  for (const file of files) {
    for (let slash = file.indexOf("/"); slash >= 0; slash = file.indexOf("/", slash + 1)) {
      folders.add(file.slice(0, slash));
    }
  }
  for (const op of operations) {
    if (op.type === "delete" || !files.has(op.path)) continue;
    if (folders.has(op.path)) {
      throw new HubError("Unprocessable", `Cannot write file "${op.path}": a folder of that name exists`);
    }
    for (let slash = op.path.indexOf("/"); slash >= 0; slash = op.path.indexOf("/", slash + 1)) {
      const folder = op.path.slice(0, slash);
      if (files.has(folder)) {
        throw new HubError("Unprocessable", `Cannot write file "${op.path}": "${folder}" is a file`);
      }
    }
  }
}

function fastImportStream(
  parent: string,
  request: CommitRequest,
  operations: readonly CommitOperation[],
  now: Date,
): Buffer[] {
  const clean = (s: string) => s.replace(/[<>\n]/g, "").trim();
  const who = `${clean(request.author.name)} <${clean(request.author.email)}> ${Math.floor(now.getTime() / 1000)} +0000`;
  const description = request.description.trim();
  const message = Buffer.from(`${request.summary.trim()}${description ? `\n\n${description}` : ""}\n`);
  const parts: Buffer[] = [
    Buffer.from(
      `feature done\ncommit ${SCRATCH_BRANCH}\nmark :1\nauthor ${who}\ncommitter ${who}\ndata ${message.length}\n`,
    ),
    message,
    Buffer.from(`from ${parent}\n`),
  ];
  for (const op of operations) {
    const path = quotePath(op.path);
    if (op.type === "delete") {
      parts.push(Buffer.from(`D ${path}\n`));
      continue;
    }
    const content = op.type === "file" ? op.content : Buffer.from(lfsPointer(op.oid, op.size ?? 0));
    parts.push(Buffer.from(`M 100644 inline ${path}\ndata ${content.length}\n`), content, Buffer.from("\n"));
  }
  // `reset` without `from` leaves the scratch branch unset, so fast-import writes no ref at all.
  parts.push(Buffer.from(`\nget-mark :1\nreset ${SCRATCH_BRANCH}\n\ndone\n`));
  // Handed to git part by part: file contents are not copied into one more buffer of the commit's size.
  return parts;
}

export function lfsPointer(oid: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
}

/** fast-import reads a path to the end of the line; only a leading quote needs C-style quoting. */
function quotePath(path: string): string {
  return path.startsWith('"') ? `"${path.replace(/[\\"]/g, "\\$&")}"` : path;
}

/** Moves `ref` from `expected` (undefined: must not exist) to `target`; false when someone else moved it. */
async function swapRef(dir: string, ref: string, target: string, expected: string | undefined): Promise<boolean> {
  const args = ["-c", "core.filesRefLockTimeout=2000", "update-ref", "--no-deref", ref, target, expected ?? ZERO];
  const result = await runGit(args, { cwd: dir });
  if (result.code === 0) return true;
  await removeStaleLock(result.stderr);
  return false;
}

/** A lock left by a killed process would block the branch for good: remove it once it is clearly dead. */
async function removeStaleLock(stderr: string): Promise<void> {
  const lock = /Unable to create '([^']+\.lock)': File exists/.exec(stderr)?.[1];
  if (!lock) return;
  try {
    if (Date.now() - (await stat(lock)).mtimeMs > STALE_LOCK_MS) await rm(lock, { force: true });
  } catch {
    // Gone already: the next attempt will take it.
  }
}

async function readRef(dir: string, ref: string): Promise<string | undefined> {
  const result = await runGit(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], {
    cwd: dir,
  });
  const sha = result.stdout.toString("utf8").trim();
  return result.code === 0 && COMMIT_ID.test(sha) ? sha : undefined;
}

async function isCommit(dir: string, id: string): Promise<boolean> {
  const result = await runGit(["cat-file", "-t", id], { cwd: dir });
  return result.code === 0 && result.stdout.toString("utf8").trim() === "commit";
}

async function highestPullRequest(dir: string): Promise<number> {
  const result = await runGit(["for-each-ref", "--format=%(refname)", "refs/pr/"], { cwd: dir });
  let highest = 0;
  for (const line of result.stdout.toString("utf8").split("\n")) {
    const n = Number(/^refs\/pr\/([0-9]+)$/.exec(line)?.[1] ?? 0);
    if (n > highest) highest = n;
  }
  return highest;
}

function shortRef(ref: string): string {
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
