/**
 * A git blob as a stream: `git cat-file blob <oid>` piped out as it is produced, never buffered whole,
 * and cut to a byte range on the way. The process is killed as soon as the range is complete or the
 * reader goes away, so an aborted download never leaves git running.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";

export interface ByteRange {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

export function readBlob(repoDir: string, oid: string, range?: ByteRange): Readable {
  if (!/^[0-9a-f]{40}$/.test(oid)) throw new Error(`invalid blob id ${oid}`);
  const child = spawn("git", ["cat-file", "blob", oid], {
    cwd: repoDir,
    env: { ...process.env, GIT_NO_REPLACE_OBJECTS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = new PassThrough();
  let position = 0;
  let done = false;
  let stderr = "";
  const finish = () => {
    if (done) return;
    done = true;
    out.end();
    child.kill();
  };
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  child.stdout.on("data", (chunk: Buffer) => {
    if (done) return;
    const chunkStart = position;
    position += chunk.length;
    if (!range) {
      if (!out.write(chunk)) child.stdout.pause();
      return;
    }
    const from = Math.max(range.start - chunkStart, 0);
    const to = Math.min(range.end + 1 - chunkStart, chunk.length);
    if (from < to && !out.write(chunk.subarray(from, to))) child.stdout.pause();
    if (position > range.end) finish();
  });
  out.on("drain", () => child.stdout.resume());
  out.on("close", () => {
    if (!done) {
      done = true;
      child.kill();
    }
  });
  child.on("error", (error) => out.destroy(error));
  child.on("close", (code) => {
    if (done) return;
    if (code !== 0) {
      done = true;
      out.destroy(new Error(`git cat-file blob failed (${code}): ${stderr.trim()}`));
      return;
    }
    finish();
  });
  return out;
}

/** The first `maxBytes` of a blob, whole in memory: for the pages, which show only small files. */
export async function readBlobBytes(repoDir: string, oid: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = readBlob(repoDir, oid, maxBytes > 0 ? { start: 0, end: maxBytes - 1 } : undefined);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The SHA-256 of a blob's bytes, streamed: the file page shows it for files it does not display. */
export async function hashBlob(repoDir: string, oid: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of readBlob(repoDir, oid)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
