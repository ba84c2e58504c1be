/**
 * Git objects read without a process per request (issue 14): one long-lived
 * `git cat-file --batch-command` per repository, shared by every request on it, answering `info`
 * (type and size of any object name: a blob id, `main^{commit}`, `v1.0^{tree}`) and `contents`
 * (the object's bytes) in order, over its pipes. At most `maxProcesses` repositories have one at a
 * time (the least recently used is stopped first) and an idle one stops after `idleMs`.
 *
 * Why that is safe: the process reads the same object database git does; objects are immutable, and
 * git looks for new packs again whenever it misses an object, so a push or a commit by any process is
 * seen at once. Names are checked before they reach the pipe (hex ids, or the revision grammar
 * `RepoStorage` allows), so no request can send a second command. Replace refs are ignored, as
 * everywhere in Berth. A process that dies fails its pending requests and is started again on the
 * next one.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";

export interface ObjectInfo {
  readonly oid: string;
  readonly type: string;
  readonly size: number;
}

export interface ObjectContents extends ObjectInfo {
  readonly data: Buffer;
}

type Pending =
  | { readonly kind: "info"; resolve(value: ObjectInfo | undefined): void; reject(error: Error): void }
  | { readonly kind: "contents"; resolve(value: ObjectContents | undefined): void; reject(error: Error): void };

/** Object names allowed on the pipe: no whitespace or control characters, never an option. */
const SAFE_NAME = /^(?!-)[A-Za-z0-9._/^{}~@-]{1,300}$/;

class BatchProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #queue: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  /** The header of a `contents` answer whose bytes are still arriving. */
  #body: ObjectInfo | undefined;
  #dead = false;
  lastUsed = Date.now();

  constructor(repoDir: string, onExit: () => void) {
    this.#child = spawn("git", ["cat-file", "--batch-command"], {
      cwd: repoDir,
      env: { ...process.env, GIT_NO_REPLACE_OBJECTS: "1", GIT_TERMINAL_PROMPT: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child.stdout.on("data", (chunk: Buffer) => this.#read(chunk));
    this.#child.stderr.resume();
    this.#child.stdin.on("error", () => undefined);
    const fail = (error: Error) => {
      if (this.#dead) return;
      this.#dead = true;
      for (const pending of this.#queue.splice(0)) pending.reject(error);
      onExit();
    };
    this.#child.on("error", fail);
    this.#child.on("close", () => fail(new Error("git cat-file --batch-command exited")));
  }

  get idle(): boolean {
    return this.#queue.length === 0;
  }

  ask(command: "info" | "contents", name: string): Promise<ObjectInfo | ObjectContents | undefined> {
    if (this.#dead) return Promise.reject(new Error("git cat-file --batch-command exited"));
    this.lastUsed = Date.now();
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind: command, resolve, reject } as Pending);
      this.#child.stdin.write(`${command} ${name}\n`);
    });
  }

  stop(): void {
    this.#child.stdin.end();
    this.#child.kill();
  }

  #read(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#body) {
        // The object's bytes and the newline after them.
        if (this.#buffer.length < this.#body.size + 1) return;
        const data = this.#buffer.subarray(0, this.#body.size);
        this.#buffer = this.#buffer.subarray(this.#body.size + 1);
        const info = this.#body;
        this.#body = undefined;
        this.#queue.shift()?.resolve({ ...info, data: Buffer.from(data) } as ObjectContents & ObjectInfo);
        continue;
      }
      const newline = this.#buffer.indexOf(10);
      if (newline < 0) return;
      const line = this.#buffer.subarray(0, newline).toString("utf8");
      this.#buffer = this.#buffer.subarray(newline + 1);
      const [oid = "", type = "", size = ""] = line.split(" ");
      const pending = this.#queue[0];
      if (!pending) continue;
      if (type === "missing" || type === "ambiguous" || size === "") {
        this.#queue.shift();
        pending.resolve(undefined);
        continue;
      }
      const info = { oid, type, size: Number(size) };
      if (pending.kind === "info") {
        this.#queue.shift();
        pending.resolve(info);
      } else {
        this.#body = info;
      }
    }
  }
}

export class GitObjects {
  readonly #processes = new Map<string, BatchProcess>();
  readonly #maxProcesses: number;
  readonly #idleMs: number;
  readonly #sweeper: NodeJS.Timeout;
  /** Processes started so far (observable in tests: a steady request path starts none). */
  started = 0;

  constructor(options: { maxProcesses?: number; idleMs?: number } = {}) {
    this.#maxProcesses = options.maxProcesses ?? 64;
    this.#idleMs = options.idleMs ?? 30_000;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(1000, this.#idleMs / 2));
    this.#sweeper.unref();
  }

  /** Type and size of an object name, or undefined when it names nothing. */
  info(repoDir: string, name: string): Promise<ObjectInfo | undefined> {
    if (!SAFE_NAME.test(name)) return Promise.resolve(undefined);
    return this.#process(repoDir).ask("info", name) as Promise<ObjectInfo | undefined>;
  }

  /** An object's bytes, or undefined when it names nothing. For objects small enough to hold. */
  contents(repoDir: string, name: string): Promise<ObjectContents | undefined> {
    if (!SAFE_NAME.test(name)) return Promise.resolve(undefined);
    return this.#process(repoDir).ask("contents", name) as Promise<ObjectContents | undefined>;
  }

  close(): void {
    clearInterval(this.#sweeper);
    for (const process of this.#processes.values()) process.stop();
    this.#processes.clear();
  }

  #process(repoDir: string): BatchProcess {
    const known = this.#processes.get(repoDir);
    if (known) {
      this.#processes.delete(repoDir);
      this.#processes.set(repoDir, known);
      return known;
    }
    if (this.#processes.size >= this.#maxProcesses) {
      for (const [dir, process] of this.#processes) {
        if (!process.idle) continue;
        process.stop();
        this.#processes.delete(dir);
        break;
      }
    }
    this.started++;
    const started = new BatchProcess(repoDir, () => {
      if (this.#processes.get(repoDir) === started) this.#processes.delete(repoDir);
    });
    this.#processes.set(repoDir, started);
    return started;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [dir, process] of this.#processes) {
      if (process.idle && now - process.lastUsed > this.#idleMs) {
        process.stop();
        this.#processes.delete(dir);
      }
    }
  }
}
