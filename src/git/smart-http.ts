/**
 * git smart HTTP through `git http-backend` run as a CGI program (no shell): upload-pack for clone and
 * fetch (protocol v0 and v2), receive-pack for push. The request body streams into the process and its
 * output streams back, so packs of any size never sit in memory. Authorization happens before this is
 * called; here the CGI environment is built only from values the caller validated (the repo's own
 * directory, a known service), never from the raw URL.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import { redactTokens } from "../log-redaction.ts";

export type GitService = "git-upload-pack" | "git-receive-pack";

export interface SmartHttpRequest {
  /** The bare repository directory (RepoStorage.pathOf). */
  readonly repoDir: string;
  readonly service: GitService;
  /** `advertisement` is `GET info/refs?service=…`; `rpc` is `POST <service>`. */
  readonly kind: "advertisement" | "rpc";
  readonly contentType?: string | undefined;
  /** The body's length, when known; the body is never compressed (the caller decompressed it). */
  readonly contentLength?: string | undefined;
  /** The `Git-Protocol` header, e.g. `version=2`. */
  readonly gitProtocol?: string | undefined;
  /**
   * For receive-pack: the directory with Berth's pre-receive hook (receive-hooks.ts). Required there, so
   * no push can reach a repository unchecked; unused by upload-pack, which runs no hook.
   */
  readonly hooksDir?: string | undefined;
  /** Who is pushing; recorded by git, required by http-backend for receive-pack. */
  readonly remoteUser?: string | undefined;
  readonly remoteAddr?: string | undefined;
  readonly body?: Readable | undefined;
}

export interface SmartHttpResponse {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The response body after the CGI headers, streaming. */
  readonly body: Readable;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number>;
  /** Stops the process, e.g. when the client went away. */
  kill(): void;
}

const MAX_CGI_HEAD = 64 * 1024;
const GIT_PROTOCOL = /^[A-Za-z0-9=:._-]{1,200}$/;

export async function runSmartHttp(request: SmartHttpRequest, logger: Logger): Promise<SmartHttpResponse> {
  const suffix = request.kind === "advertisement" ? "info/refs" : request.service;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    GIT_TERMINAL_PROMPT: "0",
    GIT_NO_REPLACE_OBJECTS: "1",
    GIT_PROJECT_ROOT: path.dirname(request.repoDir),
    PATH_INFO: `/${path.basename(request.repoDir)}/${suffix}`,
    REQUEST_METHOD: request.kind === "advertisement" ? "GET" : "POST",
    QUERY_STRING: request.kind === "advertisement" ? `service=${request.service}` : "",
    CONTENT_TYPE: request.contentType ?? "",
    GIT_HTTP_EXPORT_ALL: "1",
    REMOTE_ADDR: request.remoteAddr ?? "",
    ...(request.contentLength && /^\d+$/.test(request.contentLength) ? { CONTENT_LENGTH: request.contentLength } : {}),
    ...(request.gitProtocol && GIT_PROTOCOL.test(request.gitProtocol) ? { GIT_PROTOCOL: request.gitProtocol } : {}),
    ...(request.remoteUser ? { REMOTE_USER: request.remoteUser } : {}),
  };
  const args =
    request.service === "git-receive-pack"
      ? [...receivePackConfig(request.hooksDir), "http-backend"]
      : ["http-backend"];
  const child = spawn("git", args, { env, stdio: ["pipe", "pipe", "pipe"] });

  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number>((resolve) => {
    child.once("error", (error) => {
      logger.error({ err: error }, "git http-backend could not start");
      resolve(-1);
    });
    child.once("close", (code, signal) => {
      if (code !== 0) {
        // git may quote what it was sent (a ref, a path, a URL in a hook's output): no credential in the log.
        logger.warn(
          { code, signal, service: request.service, stderr: redactTokens(stderr.trim()) },
          "git http-backend failed",
        );
      }
      resolve(code ?? -1);
    });
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };

  if (request.body && request.kind === "rpc") {
    // A client that aborts mid-pack leaves git with a truncated pack, which it refuses; stop it at once.
    pipeline(request.body, child.stdin).catch(kill);
  } else {
    child.stdin.end();
  }
  child.stdin.on("error", () => undefined);

  try {
    const head = await readCgiHead(child.stdout);
    return { ...head, body: child.stdout, exited, kill };
  } catch (error) {
    kill();
    await exited;
    throw new Error(`git http-backend: ${(error as Error).message}${stderr ? `: ${redactTokens(stderr.trim())}` : ""}`);
  }
}

/**
 * `-c` settings reach the receive-pack that http-backend starts through GIT_CONFIG_PARAMETERS, and beat
 * anything in the repository's own config. The caller authorized the push, so `http.receivepack` spares
 * every repo from needing it set; `core.hooksPath` runs Berth's pre-receive check instead of any hook in
 * the repo; `receive.fsckObjects` has git refuse malformed objects before the hook even runs (duplicate
 * or unsorted tree entries, `/` in a name, `.git` under any alias, a symlinked `.gitmodules`).
 */
function receivePackConfig(hooksDir: string | undefined): string[] {
  if (!hooksDir || !path.isAbsolute(hooksDir)) throw new Error("receive-pack needs the absolute hooks directory");
  return ["-c", "http.receivepack=true", "-c", `core.hooksPath=${hooksDir}`, "-c", "receive.fsckObjects=true"];
}

/** Reads the CGI header block and leaves the stream positioned at the body. */
function readCgiHead(stream: Readable): Promise<Pick<SmartHttpResponse, "status" | "headers">> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const cleanup = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const end = headEnd(buffered);
      if (end === undefined) {
        if (buffered.length > MAX_CGI_HEAD) {
          cleanup();
          reject(new Error("header block too large"));
        }
        return;
      }
      cleanup();
      stream.pause();
      const rest = buffered.subarray(end.bodyStart);
      if (rest.length > 0) stream.unshift(rest);
      try {
        resolve(parseCgiHead(buffered.subarray(0, end.headLength).toString("latin1")));
      } catch (error) {
        reject(error);
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error("ended before its headers"));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", onError);
  });
}

function headEnd(buffer: Buffer): { headLength: number; bodyStart: number } | undefined {
  const crlf = buffer.indexOf("\r\n\r\n");
  const lf = buffer.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { headLength: crlf, bodyStart: crlf + 4 };
  if (lf >= 0) return { headLength: lf, bodyStart: lf + 2 };
  return undefined;
}

export function parseCgiHead(text: string): Pick<SmartHttpResponse, "status" | "headers"> {
  let status = 200;
  const headers: [string, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`malformed header line "${line.slice(0, 80)}"`);
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") {
      const code = Number.parseInt(value, 10);
      if (!Number.isInteger(code) || code < 100 || code > 599) throw new Error(`bad status "${value}"`);
      status = code;
    } else {
      headers.push([name, value]);
    }
  }
  return { status, headers };
}
