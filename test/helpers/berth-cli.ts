/** Runs the admin CLI as users do, `node bin/berth.js …`, in a child process. */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = path.join(ROOT, "bin", "berth.js");

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The child sees no BERTH_* of ours: only what the command line says. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("BERTH_")));
}

/** Starts `berth ARGS` and leaves it running (for `serve`). */
export function spawnBerth(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv() });
}

/** Runs `berth ARGS` to its end with `stdin`, collecting its output. */
export function runBerth(args: readonly string[], stdin = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
