import { spawn } from "node:child_process";

export interface GitResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs `git` with arguments (never through a shell) and optional stdin; resolves with its exit code
 * and output instead of throwing, so callers decide what a failure means.
 */
export function runGit(
  args: readonly string[],
  options: { cwd?: string; input?: Buffer | string | readonly Buffer[]; env?: NodeJS.ProcessEnv } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, {
      cwd: options.cwd,
      // Replace refs would let a repo's own refs change what an object id means to Berth: ignore them.
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_NO_REPLACE_OBJECTS: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }),
    );
    child.stdin.on("error", () => undefined);
    const input = options.input;
    if (Array.isArray(input)) void writeAll(child.stdin, input);
    else child.stdin.end(input);
  });
}

/** Writes the parts one after another, honouring backpressure, so they are never joined into one copy. */
async function writeAll(stdin: NodeJS.WritableStream, parts: readonly Buffer[]): Promise<void> {
  for (const part of parts) {
    if (!stdin.write(part)) {
      const go = await new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => {
          stdin.off("drain", drained);
          stdin.off("close", closed);
          resolve(ok);
        };
        const drained = () => done(true);
        const closed = () => done(false);
        stdin.once("drain", drained);
        stdin.once("close", closed);
      });
      if (!go) return;
    }
  }
  stdin.end();
}

export async function gitOrThrow(args: readonly string[], options: Parameters<typeof runGit>[1] = {}): Promise<Buffer> {
  const result = await runGit(args, options);
  if (result.code !== 0) throw new Error(`git ${args[0]} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}
