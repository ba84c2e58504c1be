import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gitOrThrow } from "./git-command.ts";
import { receiveHooksDir } from "./receive-hooks.ts";

const ZERO = "0".repeat(40);

describe("receiveHooksDir", () => {
  let dataDir: string;
  let repo: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "berth-hooks-"));
    repo = path.join(dataDir, "repos", "r.git");
    await gitOrThrow(["init", "--quiet", "--bare", repo]);
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const commitWith = async (name: string) => {
    const blob = (await gitOrThrow(["hash-object", "-w", "--stdin"], { cwd: repo, input: "x" })).toString().trim();
    const tree = (await gitOrThrow(["mktree"], { cwd: repo, input: `100644 blob ${blob}\t${name}\n` })).toString();
    const env = { GIT_AUTHOR_NAME: "T", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "T", GIT_COMMITTER_EMAIL: "t@t" };
    return (await gitOrThrow(["commit-tree", tree.trim(), "-m", "x"], { cwd: repo, env })).toString().trim();
  };

  /** Runs the hook as receive-pack does: in the repository, with a bare environment and the ref lines on stdin. */
  const runHook = (dir: string, commit: string) =>
    spawnSync(path.join(dir, "pre-receive"), [], {
      cwd: repo,
      env: { PATH: "/usr/bin:/bin" },
      input: `${ZERO} ${commit} refs/heads/main\n`,
      encoding: "utf8",
    });

  it("writes one private pre-receive script outside the repos, once per process", async () => {
    const dir = await receiveHooksDir(dataDir);
    expect(dir).toBe(path.join(dataDir, "hooks"));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, "pre-receive")).mode & 0o777).toBe(0o700);
    expect(readFileSync(path.join(dir, "pre-receive"), "utf8")).toContain(`'${process.execPath}' --import 'file://`);
    expect(await receiveHooksDir(dataDir)).toBe(dir);
  });

  it("refuses a push adding a bad path with a reason and accepts a good one, whatever the cwd and PATH", async () => {
    const dir = await receiveHooksDir(dataDir);
    const bad = runHook(dir, await commitWith(".git~1"));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('".git~1" in ');
    expect(bad.stderr).toContain("Path has a component that Windows reads as .git");
    const good = runHook(dir, await commitWith("README.md"));
    expect(good.stderr).toBe("");
    expect(good.status).toBe(0);
  });
});
