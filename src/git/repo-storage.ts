/**
 * One bare git repository per Hub repo, the single source of truth for files and history. Repos live
 * at `<dataDir>/repos/<type>s/<repo _id>.git`, keyed by the immutable id so a move or rename never
 * touches the disk. A repository is built in `<dataDir>/tmp` and renamed into place, so a crash never
 * leaves a half-initialised repo where a reader could find it.
 */
import { readFileSync, type Stats, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { newObjectId } from "../domain/object-id.ts";
import type { RepoType } from "../domain/repo-id.ts";
import { gitOrThrow, runGit } from "./git-command.ts";
import type { GitObjects } from "./object-service.ts";

export interface InitialFile {
  readonly path: string;
  readonly content: Buffer;
}

export interface CommitAuthor {
  readonly name: string;
  readonly email: string;
}

const COMMIT_ID = /^[0-9a-f]{40}$/;
/** Revisions we hand to git: ref-like names and hex ids, never an option or a revision expression. */
const SAFE_REVISION = /^(?!-)(?!.*\.\.)(?!.*[~^:?*[\\\s@{])[A-Za-z0-9._/-]{1,255}$/;

export class RepoStorage {
  readonly #root: string;
  readonly #tmp: string;
  /** Sibling lists by commit id: a commit's tree never changes, so entries never go stale. */
  readonly #filesByCommit = new Map<string, readonly string[]>();
  /** Ref files last read, with the inode, mtime and size they had then. */
  readonly #refFiles = new Map<string, { ino: number; mtimeMs: number; size: number; text: string }>();
  static readonly #MAX_CACHED = 5000;
  /** About 200 bytes each: 100,000 repos' main refs in ~20 MB. */
  static readonly #MAX_REF_FILES = 100_000;

  readonly #objects: GitObjects | undefined;

  /** `objects` resolves revisions without a process; without it (the admin CLI) git is asked. */
  constructor(dataDir: string, objects?: GitObjects) {
    this.#objects = objects;
    this.#root = path.join(dataDir, "repos");
    this.#tmp = path.join(dataDir, "tmp");
  }

  pathOf(type: RepoType, id: string): string {
    if (!/^[0-9a-f]{24}$/.test(id)) throw new Error(`invalid repo id ${id}`);
    return path.join(this.#root, `${type}s`, `${id}.git`);
  }

  /** Creates the bare repo with one commit on `main` holding `files`; returns the commit id. */
  async create(
    type: RepoType,
    id: string,
    files: readonly InitialFile[],
    author: CommitAuthor,
    now: Date,
  ): Promise<string> {
    const target = this.pathOf(type, id);
    const work = path.join(this.#tmp, `init-${newObjectId()}.git`);
    await mkdir(this.#tmp, { recursive: true });
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await gitOrThrow(["init", "--quiet", "--bare", "--initial-branch=main", work]);
      await gitOrThrow(["config", "http.receivepack", "true"], { cwd: work });
      await gitOrThrow(["fast-import", "--quiet", "--date-format=raw"], {
        cwd: work,
        input: fastImportStream(files, author, now),
      });
      await rename(work, target);
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      throw error;
    }
    const head = await this.readBranch(type, id, "main");
    if (!head) throw new Error("initial commit missing after fast-import");
    return head;
  }

  async remove(type: RepoType, id: string): Promise<void> {
    // Rename first so the repo disappears at once, then delete at leisure.
    const trash = path.join(this.#tmp, `trash-${newObjectId()}`);
    await mkdir(this.#tmp, { recursive: true });
    try {
      await rename(this.pathOf(type, id), trash);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    await rm(trash, { recursive: true, force: true });
  }

  /**
   * A branch's commit read straight from the ref files, without spawning git. Ref files are small and
   * replaced by rename when they change, so a file's inode and mtime identify its content: a `stat`
   * that matches what was read before answers from memory, and one changed by any process (a push, the
   * CLI, another server) is read again. Synchronous on purpose: on the hottest path of the hub one
   * blocking syscall on a page-cached file costs less than the thread-pool round trips of async ones.
   */
  async readBranch(type: RepoType, id: string, branch: string): Promise<string | undefined> {
    if (!SAFE_REVISION.test(branch)) return undefined;
    const dir = this.pathOf(type, id);
    const ref = `refs/heads/${branch}`;
    const loose = this.#readRefFile(path.join(dir, ref))?.trim();
    if (loose !== undefined && COMMIT_ID.test(loose)) return loose;
    for (const line of this.#readRefFile(path.join(dir, "packed-refs"))?.split("\n") ?? []) {
      const [sha, name] = line.split(" ");
      if (name === ref && sha && COMMIT_ID.test(sha)) return sha;
    }
    return undefined;
  }

  #readRefFile(file: string): string | undefined {
    let stats: Stats | undefined;
    try {
      stats = statSync(file, { throwIfNoEntry: false });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw error;
    }
    if (!stats?.isFile()) return undefined;
    const cached = this.#refFiles.get(file);
    if (cached && cached.ino === stats.ino && cached.mtimeMs === stats.mtimeMs && cached.size === stats.size) {
      return cached.text;
    }
    const text = readIfExists(file);
    if (text === undefined) return undefined;
    if (this.#refFiles.size >= RepoStorage.#MAX_REF_FILES) {
      const oldest = this.#refFiles.keys().next().value;
      if (oldest !== undefined) this.#refFiles.delete(oldest);
    }
    this.#refFiles.set(file, { ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size, text });
    return text;
  }

  /**
   * The commit a revision names: `HEAD`, a branch (fast path), or anything git resolves (tag, full or
   * short commit id, `refs/pr/1`). Undefined when it names no commit.
   */
  async resolveRevision(type: RepoType, id: string, revision: string): Promise<string | undefined> {
    const rev = revision === "HEAD" ? "main" : revision;
    const branch = await this.readBranch(type, id, rev);
    if (branch) return branch;
    if (!SAFE_REVISION.test(rev)) return undefined;
    if (this.#objects) {
      const info = await this.#objects.info(this.pathOf(type, id), `${rev}^{commit}`);
      return info?.type === "commit" && COMMIT_ID.test(info.oid) ? info.oid : undefined;
    }
    const result = await runGit(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`], {
      cwd: this.pathOf(type, id),
    });
    const sha = result.stdout.toString("utf8").trim();
    return result.code === 0 && COMMIT_ID.test(sha) ? sha : undefined;
  }

  /** Every file path in a commit, sorted as git sorts them. */
  async listFiles(type: RepoType, id: string, commit: string): Promise<readonly string[]> {
    const cached = this.#filesByCommit.get(commit);
    if (cached) return cached;
    const out = await gitOrThrow(["ls-tree", "-r", "-z", "--name-only", commit], { cwd: this.pathOf(type, id) });
    const files = out
      .toString("utf8")
      .split("\0")
      .filter((name) => name.length > 0);
    if (this.#filesByCommit.size >= RepoStorage.#MAX_CACHED) {
      const oldest = this.#filesByCommit.keys().next().value;
      if (oldest !== undefined) this.#filesByCommit.delete(oldest);
    }
    this.#filesByCommit.set(commit, files);
    return files;
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return undefined;
    throw error;
  }
}

function fastImportStream(files: readonly InitialFile[], author: CommitAuthor, now: Date): Buffer {
  const seconds = Math.floor(now.getTime() / 1000);
  const who = `${author.name.replace(/[<>\n]/g, "")} <${author.email.replace(/[<>\n]/g, "")}> ${seconds} +0000`;
  const message = Buffer.from("initial commit\n");
  const parts: Buffer[] = [
    Buffer.from(`commit refs/heads/main\nauthor ${who}\ncommitter ${who}\ndata ${message.length}\n`),
    message,
  ];
  for (const file of files) {
    parts.push(
      Buffer.from(`M 100644 inline ${quotePath(file.path)}\ndata ${file.content.length}\n`),
      file.content,
      Buffer.from("\n"),
    );
  }
  parts.push(Buffer.from("\n"));
  return Buffer.concat(parts);
}

/** fast-import takes a C-style quoted path when it has special characters. */
function quotePath(p: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(p) ? p : JSON.stringify(p);
}
