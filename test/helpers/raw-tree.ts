import { gitOrThrow } from "../../src/git/git-command.ts";

/** One entry of a tree object; `name` may hold anything, even `/`, which git's own commands refuse. */
export interface RawTreeEntry {
  /** As git writes it: `100644`, `100755`, `120000`, `40000`. */
  readonly mode: string;
  readonly name: string | Buffer;
  readonly oid: string;
}

/** The bytes of a tree object, entries in git's order (a directory sorts as if its name ended in `/`). */
export function rawTreeBytes(entries: readonly RawTreeEntry[]): Buffer {
  const key = (e: RawTreeEntry) => Buffer.concat([Buffer.from(e.name), Buffer.from(e.mode === "40000" ? "/" : "")]);
  const sorted = [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
  return Buffer.concat(
    sorted.flatMap((e) => [
      Buffer.from(`${e.mode} `),
      Buffer.from(e.name),
      Buffer.from([0]),
      Buffer.from(e.oid, "hex"),
    ]),
  );
}

/** Writes the tree into the repository at `cwd` as is (`--literally`: no check of the names); its id. */
export async function writeRawTree(cwd: string, entries: readonly RawTreeEntry[]): Promise<string> {
  const out = await gitOrThrow(["hash-object", "-t", "tree", "--literally", "-w", "--stdin"], {
    cwd,
    input: rawTreeBytes(entries),
  });
  return out.toString("utf8").trim();
}

/**
 * Puts a commit of `entries` on `main` of the repository at `repoDir`, bypassing every check: content as
 * it might sit in a repo from before the path rules. Returns the commit id.
 */
export async function writeLegacyCommit(repoDir: string, entries: readonly RawTreeEntry[]): Promise<string> {
  const tree = await writeRawTree(repoDir, entries);
  const env = { GIT_AUTHOR_NAME: "Old", GIT_AUTHOR_EMAIL: "old@example.test" };
  const commit = (
    await gitOrThrow(["commit-tree", tree, "-p", "main", "-m", "legacy"], {
      cwd: repoDir,
      env: { ...env, GIT_COMMITTER_NAME: env.GIT_AUTHOR_NAME, GIT_COMMITTER_EMAIL: env.GIT_AUTHOR_EMAIL },
    })
  )
    .toString("utf8")
    .trim();
  await gitOrThrow(["update-ref", "refs/heads/main", commit], { cwd: repoDir });
  return commit;
}

/** A tree with the names the path rules refuse, each holding `blob`: `..`, `../../../tmp/x`, `.git~1`, `a\b`. */
export async function legacyEntries(repoDir: string, blob: string): Promise<RawTreeEntry[]> {
  const inner = await writeRawTree(repoDir, [{ mode: "100644", name: "x", oid: blob }]);
  return [
    { mode: "100644", name: "README.md", oid: blob },
    { mode: "40000", name: "..", oid: inner },
    { mode: "100644", name: "../../../tmp/x", oid: blob },
    { mode: "40000", name: ".git~1", oid: inner },
    { mode: "100644", name: "a\\b", oid: blob },
  ];
}
