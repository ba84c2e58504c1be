import { spawn } from "node:child_process";
import path from "node:path";

export interface GitRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real `git` (and through it git-lfs) with a HOME and global config of its own. */
export function git(home: string, args: string[], cwd?: string, env: NodeJS.ProcessEnv = {}): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, {
      cwd: cwd ?? home,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        GIT_CONFIG_GLOBAL: path.join(home, ".gitconfig"),
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_TERMINAL_PROMPT: "0",
        GIT_ASKPASS: "",
        SSH_ASKPASS: "",
        GIT_AUTHOR_NAME: "Alice",
        GIT_AUTHOR_EMAIL: "alice@example.test",
        GIT_COMMITTER_NAME: "Alice",
        GIT_COMMITTER_EMAIL: "alice@example.test",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export async function gitOk(home: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<GitRun> {
  const run = await git(home, args, cwd, env);
  if (run.code !== 0) throw new Error(`git ${args.join(" ")} failed (${run.code}):\n${run.stderr}`);
  return run;
}
