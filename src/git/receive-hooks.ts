/**
 * The hooks directory that receive-pack is pointed at (`-c core.hooksPath=…`, smart-http.ts), holding
 * one `pre-receive` script that runs src/git/pre-receive.ts. It lives at `<dataDir>/hooks`: outside every
 * repository (a repo's own `hooks/` is never used, so nothing a repo holds can run), and writable only
 * by the Berth user (directory and script mode 0700). The script is generated rather than shipped in the
 * source tree because it names absolute paths that only the running process knows: its own node binary,
 * the tsx loader Berth itself runs on, and this checkout's entry point; nothing depends on the cwd or
 * PATH of git's child. It is rewritten once per process, atomically (a temporary file renamed over the
 * old one), so a moved install or a new node never leaves a stale script, and concurrent processes on one
 * data dir each replace it whole.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const written = new Map<string, Promise<string>>();

/** The hooks directory for `dataDir`, with its script written by this process; resolves to its path. */
export function receiveHooksDir(dataDir: string): Promise<string> {
  let pending = written.get(dataDir);
  if (!pending) {
    pending = writeHooks(dataDir);
    written.set(dataDir, pending);
    pending.catch(() => written.delete(dataDir));
  }
  return pending;
}

/** The hook script: `exec node --import <tsx> <pre-receive.ts>`, every path absolute and quoted. */
export function preReceiveScript(): string {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const entry = fileURLToPath(new URL("./pre-receive.ts", import.meta.url));
  return [
    "#!/bin/sh",
    "# Written by Berth (src/git/receive-hooks.ts) at its first push; rewritten by every Berth process.",
    `exec ${shellQuote(process.execPath)} --import ${shellQuote(tsx)} ${shellQuote(entry)}`,
    "",
  ].join("\n");
}

async function writeHooks(dataDir: string): Promise<string> {
  const dir = path.join(dataDir, "hooks");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const temporary = path.join(dir, `.pre-receive-${randomBytes(8).toString("hex")}`);
  try {
    await writeFile(temporary, preReceiveScript(), { mode: 0o700, flag: "wx" });
    await rename(temporary, path.join(dir, "pre-receive"));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return dir;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
