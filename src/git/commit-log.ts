/**
 * Commit history read from git: a page of `git log` newest first (optionally of one path), the total
 * count for `X-Total-Count`, one commit with its parents, and the last commit that touched each of a set
 * of paths (the tree's `expand`, the Files page). Paths reach git as literal pathspecs, never patterns.
 */
import { spawn } from "node:child_process";
import { gitOrThrow, runGit } from "./git-command.ts";

export interface CommitInfo {
  readonly id: string;
  readonly title: string;
  readonly message: string;
  readonly date: Date;
  readonly authorName: string;
  readonly authorEmail: string;
}

export interface CommitDetails extends CommitInfo {
  readonly parents: readonly string[];
  readonly committerName: string;
}

export interface LastCommit {
  readonly id: string;
  readonly title: string;
  readonly date: Date;
}

const FIELDS = 6;

const LITERAL = { GIT_LITERAL_PATHSPECS: "1" };

/** `-- path` for a history of one path (literal), or just `--`. */
function pathArgs(path: string | undefined): string[] {
  return path ? ["--", path] : ["--"];
}

export async function listCommits(
  repoDir: string,
  commit: string,
  page: { skip: number; limit: number },
  path?: string,
): Promise<CommitInfo[]> {
  const out = await gitOrThrow(
    [
      "log",
      "-z",
      "--format=%H%x00%s%x00%B%x00%ct%x00%an%x00%ae",
      `--skip=${page.skip}`,
      `--max-count=${page.limit}`,
      commit,
      ...pathArgs(path),
    ],
    { cwd: repoDir, env: LITERAL },
  );
  const fields = out.toString("utf8").split("\0");
  const commits: CommitInfo[] = [];
  for (let i = 0; i + FIELDS <= fields.length; i += FIELDS) {
    const [id, title, body, seconds, authorName, authorEmail] = fields.slice(i, i + FIELDS) as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    // -z puts a newline after the separator of all but the first record's id.
    const cleanId = id.replace(/^\n/, "");
    commits.push({
      id: cleanId,
      title,
      message: body.replace(/\n+$/, ""),
      date: new Date(Number(seconds) * 1000),
      authorName,
      authorEmail,
    });
  }
  return commits;
}

export async function countCommits(repoDir: string, commit: string, path?: string): Promise<number> {
  const out = await gitOrThrow(["rev-list", "--count", commit, ...pathArgs(path)], { cwd: repoDir, env: LITERAL });
  return Number(out.toString("utf8").trim());
}

/** One commit with its parents, or undefined when `commit` names no commit. */
export async function readCommit(repoDir: string, commit: string): Promise<CommitDetails | undefined> {
  if (!/^[0-9a-f]{40}$/.test(commit)) return undefined;
  const result = await runGit(
    ["log", "-1", "-z", "--format=%H%x00%s%x00%B%x00%ct%x00%an%x00%ae%x00%P%x00%cn", commit, "--"],
    { cwd: repoDir },
  );
  if (result.code !== 0) return undefined;
  const [id, title, body, seconds, authorName, authorEmail, parents, committerName] = result.stdout
    .toString("utf8")
    .split("\0");
  if (!id || seconds === undefined) return undefined;
  return {
    id,
    title: title ?? "",
    message: (body ?? "").replace(/\n+$/, ""),
    date: new Date(Number(seconds) * 1000),
    authorName: authorName ?? "",
    authorEmail: authorEmail ?? "",
    parents: (parents ?? "").split(" ").filter((p) => p.length > 0),
    committerName: committerName ?? "",
  };
}

/**
 * The newest commit at or before `commit` that changed each path (a file, or anything below a
 * directory). One `git log --name-only` walk, stopped as soon as every path has its answer.
 */
export function lastCommits(
  repoDir: string,
  commit: string,
  paths: readonly string[],
  /**
   * Walk at most this many commits (paths not reached are left out), so a page stays fast on long
   * histories. Bounded walks list every changed path and filter here: with a pathspec, git's
   * `--max-count` would count matching commits and could still walk the whole history to find them.
   */
  maxCommits?: number,
): Promise<Map<string, LastCommit>> {
  const found = new Map<string, LastCommit>();
  if (paths.length === 0) return Promise.resolve(found);
  const wanted = new Set(paths);
  return new Promise((resolve, reject) => {
    const child = spawn(
      "git",
      [
        "log",
        "-z",
        "--no-renames",
        "--name-only",
        "--format=%x01%H%x00%s%x00%ct",
        ...(maxCommits === undefined ? [] : [`--max-count=${maxCommits}`]),
        commit,
        "--",
        ...(maxCommits === undefined ? paths : []),
      ],
      { cwd: repoDir, stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, GIT_LITERAL_PATHSPECS: "1" } },
    );
    let buffered = "";
    // Tokens are NUL-separated: "\x01<id>", "<title>", "<seconds>", then the changed paths.
    let header: string[] = [];
    let current: LastCommit | undefined;
    let stopped = false;
    const consume = (token: string) => {
      if (token.startsWith("\x01")) header = [token.slice(1)];
      else if (header.length > 0 && header.length < 3) header.push(token);
      else {
        const name = token.replace(/^\n/, "");
        if (!current || name === "" || stopped) return;
        // The changed file answers for itself and for every wanted directory above it.
        let path = name;
        for (;;) {
          if (wanted.has(path) && !found.has(path)) found.set(path, current);
          const slash = path.lastIndexOf("/");
          if (slash < 0) break;
          path = path.slice(0, slash);
        }
        if (found.size === wanted.size) {
          stopped = true;
          child.kill();
        }
        return;
      }
      if (header.length === 3) {
        const [id, title, seconds] = header as [string, string, string];
        current = { id, title, date: new Date(Number(seconds) * 1000) };
        header = [];
      }
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffered += chunk;
      const tokens = buffered.split("\0");
      buffered = tokens.pop() ?? "";
      for (const token of tokens) consume(token);
    });
    child.on("error", reject);
    child.on("close", () => resolve(found));
  });
}
