/**
 * The paths a push introduces, checked against the path rules before receive-pack moves any ref. Runs
 * inside the pre-receive hook (src/git/pre-receive.ts): the current directory is the repository, and
 * git's environment points at the quarantine that holds the pushed objects until the hook agrees.
 *
 * Every new commit is diffed against its first parent (the root against the empty tree) in ONE
 * `git log` over `<new commits> --not --all`, streamed. That suffices: a path in a commit's tree either
 * appears in that diff or is unchanged from the first parent, which is itself new (and so diffed) or
 * reachable from a ref that existed before the push (checked when it came in, or older than these
 * rules). `--all` names the refs as they are before this push, deleted ones included; a deletion
 * (`new` all zeros) introduces nothing. `-t` lists the trees as well, so an empty directory named `..`
 * is seen too; deletions are skipped, so a push may remove a bad path an older commit holds. Refs may
 * also point at trees or blobs, directly or through tags: `log` skips those silently, so the pushed ids
 * are peeled first and trees are listed in full by one `git diff-tree --stdin`.
 */
import { spawn } from "node:child_process";
import { runGit } from "./git-command.ts";
import { pathProblem } from "./path-rules.ts";

export interface RefUpdate {
  readonly oldOid: string;
  readonly newOid: string;
  readonly ref: string;
}

export interface RefusedPath {
  readonly path: string;
  /** The commit (or tree) whose diff introduced it. */
  readonly where: string;
  readonly problem: string;
}

export interface PushCheck {
  readonly refused: readonly RefusedPath[];
  /** True when the check stopped at `limit` refusals: there may be more. */
  readonly truncated: boolean;
}

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const EMPTY_TREE: Record<number, string> = {
  40: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
  64: "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
};

/** The `old new ref` lines receive-pack writes to the hook's stdin. */
export function parseRefUpdates(text: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const [oldOid = "", newOid = "", ref = ""] = line.split(" ");
    if (!OID.test(oldOid) || !OID.test(newOid) || ref === "") throw new Error(`unexpected ref update line: ${line}`);
    updates.push({ oldOid, newOid, ref });
  }
  return updates;
}

/** Checks every path the updates introduce; git runs in `cwd` with the hook's environment. */
export async function checkPushedPaths(
  updates: readonly RefUpdate[],
  options: { cwd?: string; limit?: number } = {},
): Promise<PushCheck> {
  const limit = options.limit ?? 20;
  const created = [...new Set(updates.map((u) => u.newOid).filter((oid) => !/^0+$/.test(oid)))];
  if (created.length === 0) return { refused: [], truncated: false };
  const targets = await peel(created, options.cwd);
  const refused: RefusedPath[] = [];
  const seen = new Set<string>();
  const report = (path: string, where: string, problem: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    refused.push({ path, where, problem });
  };
  // No replace refs: a `refs/replace/…` must not change what an id names or which parent a commit is
  // diffed against. The flags after `--no-color` overrule config that could hide an entry or add output.
  const log = [
    "--no-replace-objects",
    "log",
    "--stdin",
    "--not",
    "--all",
    "--format=%H",
    "--raw",
    "-z",
    "-t",
    "--root",
    "--diff-merges=first-parent",
    "--no-renames",
    "--no-color",
    "--no-show-signature",
    "--ignore-submodules=none",
  ];
  let truncated = false;
  if (targets.commits.length > 0) {
    truncated = await streamDiff(log, targets.commits.join("\n"), options.cwd, limit, refused, report);
  }
  if (!truncated && targets.trees.length > 0) {
    const pairs = targets.trees.map((tree) => `${EMPTY_TREE[tree.length]} ${tree}`).join("\n");
    const diffTree = ["--no-replace-objects", "diff-tree", "--stdin", "-r", "-t", "-z", "--no-renames"];
    diffTree.push("--no-color", "--ignore-submodules=none");
    truncated = await streamDiff(diffTree, pairs, options.cwd, limit, refused, report);
  }
  return { refused, truncated };
}

/** Sorts the pushed ids by what they name once tags are peeled; blobs introduce no path. */
async function peel(oids: readonly string[], cwd: string | undefined): Promise<{ commits: string[]; trees: string[] }> {
  const result = await runGit(["--no-replace-objects", "cat-file", "--batch-check=%(objectname) %(objecttype)"], {
    ...(cwd ? { cwd } : {}),
    input: oids.map((oid) => `${oid}^{}\n`).join(""),
  });
  if (result.code !== 0) throw new Error(`git cat-file failed (${result.code}): ${result.stderr.trim()}`);
  const commits: string[] = [];
  const trees: string[] = [];
  for (const line of result.stdout.toString("utf8").split("\n")) {
    if (line === "") continue;
    const [oid = "", type] = line.split(" ");
    // receive-pack checked that every pushed object is there; anything else means the check is broken.
    if (!OID.test(oid)) throw new Error(`cannot peel a pushed object: ${line.slice(0, 100)}`);
    if (type === "commit") commits.push(oid);
    else if (type === "tree") trees.push(oid);
  }
  return { commits, trees };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Runs one git diff command with `input` on stdin and checks the paths of its `--raw -z` output as it
 * streams: records are NUL-separated, an entry is a `:modes ids status` record followed by its path, and
 * a header (the commit id, or the tree pair of diff-tree) may precede an entry after a newline. Stops
 * git once `limit` paths are refused; resolves true when it did.
 */
function streamDiff(
  args: readonly string[],
  input: string,
  cwd: string | undefined,
  limit: number,
  refused: readonly RefusedPath[],
  report: (path: string, where: string, problem: string) => void,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
    let pending: Buffer = Buffer.alloc(0);
    let where = "";
    /** The entry whose path is the next record: its new mode and status. */
    let entry: { mode: string; status: string } | undefined;
    let stopped = false;
    let stderr = "";

    const onRecord = (record: Buffer) => {
      if (entry) {
        const { mode, status } = entry;
        entry = undefined;
        if (status === "D") return;
        let path: string;
        try {
          path = utf8.decode(record);
        } catch {
          report(record.toString("latin1"), where, "Path is not valid UTF-8");
          return;
        }
        const problem = pathProblem(path, { symlink: mode === "120000" });
        if (problem) report(path, where, problem);
        return;
      }
      const text = record.toString("latin1");
      const newline = text.lastIndexOf("\n");
      const head = newline < 0 ? (text.startsWith(":") ? "" : text) : text.slice(0, newline);
      const raw = newline < 0 ? (text.startsWith(":") ? text : "") : text.slice(newline + 1);
      if (head.trim() !== "") where = head.trim().split(/\s+/).pop() ?? "";
      if (raw.startsWith(":")) {
        const fields = raw.slice(1).split(" ");
        entry = { mode: fields[1] ?? "", status: (fields[4] ?? "").slice(0, 1) };
      }
    };

    child.stdout.on("data", (chunk: Buffer) => {
      if (stopped) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let start = 0;
      for (let nul = pending.indexOf(0, start); nul >= 0; nul = pending.indexOf(0, start)) {
        onRecord(pending.subarray(start, nul));
        start = nul + 1;
        if (refused.length >= limit) {
          stopped = true;
          child.kill("SIGTERM");
          return;
        }
      }
      pending = pending.subarray(start);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (stopped) return resolve(true);
      // Fail closed: a path list that git could not finish proves nothing.
      if (code !== 0) return reject(new Error(`git ${args[1]} failed (${code}): ${stderr.trim()}`));
      resolve(false);
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(`${input}\n`);
  });
}

/** One line per refused path for the pusher's terminal: quoted, control and invisible characters escaped. */
export function describeRefusal(refusal: RefusedPath): string {
  const shown = refusal.path.length > 200 ? `${refusal.path.slice(0, 200)}…` : refusal.path;
  const quoted = JSON.stringify(shown).replace(
    /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u007f-\u009f]/gu,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`,
  );
  const where = refusal.where === "" ? "" : ` in ${refusal.where.slice(0, 12)}`;
  return `${quoted}${where}: ${refusal.problem}`;
}
