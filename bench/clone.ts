/**
 * `git clone` of a repo of many files through Berth (smart HTTP, token as the password) against a
 * clone of the same bare repository from the disk: `--no-local`, so git also builds and transfers a
 * pack (the like-for-like baseline), and a plain local clone (hard links, no pack) for reference.
 * Every clone checks the files out, as a user's would. Runs are interleaved; the figures are medians.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { median } from "./median.ts";

export interface CloneOptions {
  readonly berthUrl: string;
  readonly token: string;
  /** `ns/name` of the repo in Berth. */
  readonly repo: string;
  /** Its bare git repository on the disk. */
  readonly bareDir: string;
  readonly scratchDir: string;
  readonly runs: number;
  /** How many files the repo holds (for the report). */
  readonly files: number;
}

export interface CloneFigures {
  readonly runs: number;
  readonly files: number;
  /** Seconds, medians. */
  readonly berth: number;
  readonly localNoLocal: number;
  readonly localPlain: number;
  /** localNoLocal / berth: the share of the local speed Berth reaches (1 = as fast). */
  readonly ratio: number;
}

// No user or system configuration (credential helpers, LFS filters), no prompt: the three clones differ
// only in their source.
const GIT_ENV = { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_TERMINAL_PROMPT: "0" };

export async function measureClone(options: CloneOptions): Promise<CloneFigures> {
  const remote = new URL(`${options.berthUrl}/${options.repo}`);
  remote.username = "bench";
  remote.password = options.token;
  const root = path.join(options.scratchDir, "clones");
  const berth: number[] = [];
  const noLocal: number[] = [];
  const plain: number[] = [];
  try {
    for (let i = 0; i < options.runs; i++) {
      berth.push(await timedClone(root, [remote.href]));
      noLocal.push(await timedClone(root, ["--no-local", options.bareDir]));
      plain.push(await timedClone(root, [options.bareDir]));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const figures = { berth: median(berth), localNoLocal: median(noLocal), localPlain: median(plain) };
  return { runs: options.runs, files: options.files, ...figures, ratio: figures.localNoLocal / figures.berth };
}

async function timedClone(root: string, source: readonly string[]): Promise<number> {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const started = performance.now();
  await git(["clone", "--quiet", ...source, path.join(root, "work")]);
  const seconds = (performance.now() - started) / 1000;
  rmSync(root, { recursive: true, force: true });
  return seconds;
}

function git(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { env: { ...process.env, ...GIT_ENV }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`git ${args[0]} failed (${code}): ${stderr.trim()}`)),
    );
  });
}
