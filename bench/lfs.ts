/**
 * A large LFS object through Berth against the disk, with the same bytes, source and sink:
 *
 * - upload: the LFS batch API, then a PUT of the file to the signed href (what git-lfs and the Hub
 *   clients do) by curl, a native client like git-lfs (Node's own http client where curl is missing);
 *   Berth hashes with SHA-256, writes to <dataDir>/tmp, fsyncs and renames into the store. The baseline
 *   is a copy of the same file to the same filesystem, fsynced too (a durable write is what Berth does);
 *   SHA-256 alone and copy+SHA-256 are measured separately, so the cost of the check shows on its own.
 * - download: GET of the resolve URL of a committed LFS file by curl (and by Node's http client, a
 *   second row) against fs.createReadStream of the stored object file, all streamed to /dev/null.
 *
 * Every pair runs `runs` times, interleaved (the machine is shared); the figures are the medians.
 * Uploading the same oid again needs another repo (a repo that holds an object is not offered an
 * upload), so each upload run targets its own empty repo.
 */
import { execFile } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rm } from "node:fs/promises";
import http from "node:http";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { median } from "./median.ts";

export interface LfsOptions {
  readonly berthUrl: string;
  readonly token: string;
  /** Empty repos (`ns/name`), one per upload run; the first one then serves the downloads. */
  readonly repos: readonly string[];
  readonly sizeBytes: number;
  /** Where the source file and the plain copies go: the filesystem of the data dir. */
  readonly scratchDir: string;
  /** The path of a stored object in Berth's LFS store. */
  readonly objectPath: (oid: string) => string;
}

export interface LfsFigures {
  readonly sizeBytes: number;
  readonly runs: number;
  /** MiB/s, medians. */
  readonly upload: {
    berth: number;
    client: "curl" | "node";
    diskWrite: number;
    ratio: number;
    sha256Only: number;
    diskWritePlusSha256: number;
  };
  /** `berth` by curl where it is installed; `berthNode` by Node's http client. */
  readonly download: { berth: number; client: "curl" | "node"; diskRead: number; ratio: number; berthNode: number };
}

const MiB = 1024 * 1024;

export async function measureLfs(options: LfsOptions): Promise<LfsFigures> {
  const source = `${options.scratchDir}/lfs-source.bin`;
  const copy = `${options.scratchDir}/lfs-copy.bin`;
  const oid = await writeRandomFile(source, options.sizeBytes);
  const useCurl = await hasCurl();
  const rate = (seconds: number) => options.sizeBytes / MiB / seconds;
  const up: number[] = [];
  const write: number[] = [];
  const hashOnly: number[] = [];
  const writeHash: number[] = [];
  const down: number[] = [];
  const read: number[] = [];
  const curled: number[] = [];
  try {
    for (const repo of options.repos) {
      write.push(rate(await timed(() => durableCopy(source, copy, false))));
      await rm(copy, { force: true });
      up.push(rate(await timed(() => uploadThroughBerth(options, repo, source, oid, useCurl))));
      hashOnly.push(rate(await timed(() => sha256Of(source))));
      writeHash.push(rate(await timed(() => durableCopy(source, copy, true))));
      await rm(copy, { force: true });
    }
    const [first] = options.repos;
    if (first === undefined) throw new Error("measureLfs needs at least one repo");
    await commitPointer(options, first, oid);
    const url = `${options.berthUrl}/${first}/resolve/main/model.safetensors`;
    for (let i = 0; i < options.repos.length; i++) {
      read.push(rate(await timed(() => drain(createReadStream(options.objectPath(oid)), options.sizeBytes))));
      down.push(rate(await timed(() => downloadThroughBerth(url, options.token, options.sizeBytes))));
      const seconds = await timed(() => curl(url, options.token)).catch(() => undefined);
      if (seconds !== undefined) curled.push(rate(seconds));
    }
  } finally {
    await rm(source, { force: true });
    await rm(copy, { force: true });
    // The object in Berth's store is as big as the source: drop it too (the run's data dir is throwaway).
    await rm(options.objectPath(oid), { force: true });
  }
  const upload = median(up);
  const diskWrite = median(write);
  const download = curled.length > 0 ? median(curled) : median(down);
  const diskRead = median(read);
  return {
    sizeBytes: options.sizeBytes,
    runs: options.repos.length,
    upload: {
      berth: upload,
      client: useCurl ? "curl" : "node",
      diskWrite,
      ratio: upload / diskWrite,
      sha256Only: median(hashOnly),
      diskWritePlusSha256: median(writeHash),
    },
    download: {
      berth: download,
      client: curled.length > 0 ? "curl" : "node",
      diskRead,
      ratio: download / diskRead,
      berthNode: median(down),
    },
  };
}

/** Random bytes (incompressible, no shortcut for anyone), written in 8 MiB chunks; returns the SHA-256. */
async function writeRandomFile(file: string, size: number): Promise<string> {
  const handle = await open(file, "w");
  const hash = createHash("sha256");
  const chunk = Buffer.alloc(8 * MiB);
  try {
    for (let written = 0; written < size; ) {
      const part = chunk.subarray(0, Math.min(chunk.length, size - written));
      randomFillSync(part);
      hash.update(part);
      await handle.write(part);
      written += part.length;
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

async function uploadThroughBerth(
  options: LfsOptions,
  repo: string,
  source: string,
  oid: string,
  useCurl: boolean,
): Promise<void> {
  const batch = await fetch(`${options.berthUrl}/${repo}.git/info/lfs/objects/batch`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`bench:${options.token}`).toString("base64")}`,
      accept: "application/vnd.git-lfs+json",
      "content-type": "application/vnd.git-lfs+json",
    },
    body: JSON.stringify({
      operation: "upload",
      transfers: ["basic"],
      objects: [{ oid, size: options.sizeBytes }],
      hash_algo: "sha256",
    }),
  });
  const answer = (await batch.json()) as {
    objects?: { actions?: { upload?: { href: string; header?: Record<string, string> } } }[];
  };
  const action = answer.objects?.[0]?.actions?.upload;
  if (!batch.ok || !action) throw new Error(`LFS batch gave no upload action: ${JSON.stringify(answer)}`);
  if (useCurl) {
    const code = await new Promise<string>((resolve, reject) => {
      const args = ["-sS", "-T", source, "-H", "content-type: application/octet-stream", "-o", "/dev/null"];
      execFile("curl", [...args, "-w", "%{http_code}", action.href], (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });
    if (code !== "200") throw new Error(`LFS upload by curl answered ${code}`);
    return;
  }
  const status = await new Promise<number>((resolve, reject) => {
    const request = http.request(action.href, {
      method: "PUT",
      headers: {
        ...action.header,
        "content-type": "application/octet-stream",
        "content-length": String(options.sizeBytes),
      },
    });
    request.once("response", (response) => {
      response.resume();
      response.once("end", () => resolve(response.statusCode ?? 0));
    });
    pipeline(createReadStream(source), request).catch(reject);
  });
  if (status !== 200) throw new Error(`LFS upload answered ${status}`);
}

/** The commit a client makes after its upload, through the commit API (not timed). */
async function commitPointer(options: LfsOptions, repo: string, oid: string): Promise<void> {
  const lines = [
    { key: "header", value: { summary: "add weights" } },
    { key: "lfsFile", value: { path: "model.safetensors", algo: "sha256", oid, size: options.sizeBytes } },
  ];
  const response = await fetch(`${options.berthUrl}/api/models/${repo}/commit/main`, {
    method: "POST",
    headers: { authorization: `Bearer ${options.token}`, "content-type": "application/x-ndjson" },
    body: lines.map((line) => JSON.stringify(line)).join("\n"),
  });
  if (!response.ok) throw new Error(`commit of the LFS pointer answered ${response.status}: ${await response.text()}`);
}

async function downloadThroughBerth(url: string, token: string, size: number): Promise<void> {
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(url, { headers: { authorization: `Bearer ${token}` } }, resolve).once("error", reject);
  });
  if (response.statusCode !== 200) {
    response.resume();
    throw new Error(`LFS download answered ${response.statusCode}`);
  }
  await drain(response, size);
}

/** The one sink of both download measurements: counts the bytes on their way to /dev/null. */
async function drain(body: NodeJS.ReadableStream, size: number): Promise<void> {
  let received = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(body, count, createWriteStream("/dev/null"));
  if (received !== size) throw new Error(`read ${received} bytes, expected ${size}`);
}

/** Rejects when curl is missing or the answer is not a 200 with every byte. */
function curl(url: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{size_download}",
      "-H",
      `authorization: Bearer ${token}`,
    ];
    execFile("curl", [...args, url], (error, stdout) => {
      if (error) reject(error);
      else if (stdout.startsWith("200 ")) resolve();
      else reject(new Error(`curl: ${stdout}`));
    });
  });
}

/** A copy made durable (fsynced) like Berth's, optionally hashing on the way. */
async function durableCopy(source: string, target: string, hash: boolean): Promise<void> {
  const stages = hash ? [hashing()] : [];
  await pipeline([createReadStream(source), ...stages, createWriteStream(target)]);
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function hasCurl(): Promise<boolean> {
  return new Promise((resolve) => execFile("curl", ["--version"], (error) => resolve(!error)));
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function hashing(): Transform {
  const hash = createHash("sha256");
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      hash.digest();
      done();
    },
  });
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** "1GiB", "256MiB", "512M", "1048576": a size in bytes (binary units). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  const scale = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[match?.[2]?.toLowerCase() ?? ""] ?? 1;
  const bytes = match ? Math.round(Number(match[1]) * scale) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new Error(`--lfs-size must be a size like 1GiB or 256MiB, got "${text}"`);
  }
  return bytes;
}
