/**
 * Branches, tags and other refs of a bare repo. Reading the names for URL parsing touches only the ref
 * files (no process); listing with targets and every change go through git. Changes use
 * `git update-ref` with the expected old value, so two concurrent changes of one ref never both win:
 * the loser sees `false` and the caller answers 409.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { gitOrThrow, runGit } from "./git-command.ts";
import type { CommitAuthor } from "./repo-storage.ts";

const ZERO = "0000000000000000000000000000000000000000";
const COMMIT_ID = /^[0-9a-f]{40}$/;

export interface RefTarget {
  /** Full name, e.g. `refs/heads/main`. */
  readonly ref: string;
  /** The commit it names (annotated tags peeled). */
  readonly commit: string;
}

/**
 * Names a revision in a URL may use: full ref names, plus short names of branches and tags. Read from
 * loose ref files and `packed-refs`.
 */
export async function listRefNames(repoDir: string): Promise<string[]> {
  const names = new Set<string>();
  const walk = async (relative: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(path.join(repoDir, relative), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile() && !entry.name.endsWith(".lock")) names.add(child);
    }
  };
  await walk("refs");
  try {
    for (const line of (await readFile(path.join(repoDir, "packed-refs"), "utf8")).split("\n")) {
      const name = line.split(" ")[1];
      if (name?.startsWith("refs/") && COMMIT_ID.test(line.slice(0, 40))) names.add(name);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  for (const name of [...names]) {
    if (name.startsWith("refs/heads/")) names.add(name.slice("refs/heads/".length));
    else if (name.startsWith("refs/tags/")) names.add(name.slice("refs/tags/".length));
  }
  return [...names];
}

/** Every ref with the commit it points at, sorted by name. */
export async function listRefs(repoDir: string): Promise<RefTarget[]> {
  const out = await gitOrThrow(["for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)", "refs/"], {
    cwd: repoDir,
  });
  const refs: RefTarget[] = [];
  for (const line of out.toString("utf8").split("\n")) {
    const [ref, object, peeled] = line.split("\0");
    if (!ref || !object) continue;
    refs.push({ ref, commit: peeled && COMMIT_ID.test(peeled) ? peeled : object });
  }
  return refs;
}

/** The object a full ref points at (unpeeled), or undefined. */
export async function readRef(repoDir: string, ref: string): Promise<string | undefined> {
  const result = await runGit(["rev-parse", "--verify", "--quiet", "--end-of-options", ref], { cwd: repoDir });
  const sha = result.stdout.toString("utf8").trim();
  return result.code === 0 && COMMIT_ID.test(sha) ? sha : undefined;
}

/**
 * Points `ref` at `target` if it currently holds `expected` (undefined: the ref must not exist).
 * False when someone else changed it first.
 */
export async function updateRef(
  repoDir: string,
  ref: string,
  target: string,
  expected: string | undefined,
): Promise<boolean> {
  const result = await runGit(["update-ref", "--no-deref", ref, target, expected ?? ZERO], { cwd: repoDir });
  return result.code === 0;
}

/** Deletes `ref` if it still holds `expected`. */
export async function deleteRef(repoDir: string, ref: string, expected: string): Promise<boolean> {
  const result = await runGit(["update-ref", "--no-deref", "-d", ref, expected], { cwd: repoDir });
  return result.code === 0;
}

function identity(who: CommitAuthor, now: Date): string {
  const clean = (s: string) => s.replace(/[<>\n]/g, "");
  return `${clean(who.name)} <${clean(who.email)}> ${Math.floor(now.getTime() / 1000)} +0000`;
}

/** A root commit with an empty tree (`emptyBranch`). */
export async function createEmptyCommit(repoDir: string, author: CommitAuthor, now: Date): Promise<string> {
  const tree = (await gitOrThrow(["mktree"], { cwd: repoDir, input: "" })).toString("utf8").trim();
  const name = author.name.replace(/[<>\n]/g, "");
  const email = author.email.replace(/[<>\n]/g, "");
  const date = `${Math.floor(now.getTime() / 1000)} +0000`;
  const out = await gitOrThrow(["commit-tree", tree, "-m", "Create empty branch"], {
    cwd: repoDir,
    env: {
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
      GIT_COMMITTER_DATE: date,
    },
  });
  return out.toString("utf8").trim();
}

/** An annotated tag object for `commit`; returns its id (the ref is the caller's). */
export async function createTagObject(
  repoDir: string,
  commit: string,
  tag: string,
  message: string,
  tagger: CommitAuthor,
  now: Date,
): Promise<string> {
  const body = `object ${commit}\ntype commit\ntag ${tag}\ntagger ${identity(tagger, now)}\n\n${message.replace(/\n*$/, "\n")}`;
  return (await gitOrThrow(["mktag"], { cwd: repoDir, input: body })).toString("utf8").trim();
}
