import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { loadConfig } from "../../src/config.ts";
import { type Context, createContext } from "../../src/context.ts";
import { PG_URL, pgAdmin, type TestDialect, testSchemaName } from "./databases.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A real Berth process on a free port, plus the means to seed its database from the test process. */
export interface BerthServer {
  /** Base URL without a trailing slash; also the server's public URL, so `repoUrl` values start with it. */
  readonly url: string;
  readonly dataDir: string;
  /** The PostgreSQL URL (with its per-run schema) or undefined for SQLite. */
  readonly databaseUrl: string | undefined;
  /**
   * A library context on the same data dir and database, with the same secret, so tokens minted here
   * are valid on the server. SQLite runs in WAL mode, so both processes may hold it open; close it when done.
   */
  openContext(): Promise<Context>;
  /** The server process (with several workers: their primary). */
  readonly pid: number | undefined;
  /** What the server wrote to stderr so far (for failure messages). */
  output(): string;
  /**
   * Sends a signal to the process started (npm itself for `entry: "npm"`), or to its whole process
   * group, as a terminal's Ctrl-C or systemd's default stop do.
   */
  signal(name: NodeJS.Signals, target?: "process" | "group"): void;
  /** Resolves with the exit code once the process has exited (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly dialect: TestDialect;
  /**
   * `cli` runs `bin/berth.js serve` (the way users start it), `main` runs `src/main.ts` through tsx,
   * `npm` runs `npm start`. Default: `cli` when the CLI exists, else `main`.
   */
  readonly entry?: "cli" | "main" | "npm";
  readonly startTimeoutMs?: number;
  /** `berth serve --workers`; one unless a test is about several. */
  readonly workers?: number;
  /** The data dir's mode before the server starts (mkdtemp makes it 0700), e.g. 0o755 as an older Berth left it. */
  readonly dataDirMode?: number;
  /** More environment for the server (e.g. BERTH_ALLOW_SIGNUP). */
  readonly env?: NodeJS.ProcessEnv;
}

export async function startBerthServer(options: StartOptions): Promise<BerthServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "berth-e2e-"));
  if (options.dataDirMode !== undefined) chmodSync(dataDir, options.dataDirMode);
  const secret = randomBytes(32).toString("hex");
  const schema = options.dialect === "postgres" ? testSchemaName("e2e") : undefined;
  // pg passes `options` from the URL to the server, so both processes work in the per-run schema.
  const databaseUrl = schema ? withSearchPath(PG_URL, schema) : undefined;
  if (schema) await pgAdmin(`create schema ${schema}`, PG_URL);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const entry = options.entry ?? (existsSync(path.join(ROOT, "src/cli/main.ts")) ? "cli" : "main");
  const args =
    entry === "cli"
      ? ["bin/berth.js", "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir]
      : entry === "npm"
        ? ["start", "--silent"]
        : ["--import", "tsx", "src/main.ts"];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BERTH_HOST: "127.0.0.1",
    BERTH_PORT: String(port),
    BERTH_DATA_DIR: dataDir,
    BERTH_PUBLIC_URL: url,
    BERTH_SECRET: secret,
    BERTH_LOG_LEVEL: process.env.BERTH_TEST_LOG ?? "warn",
    BERTH_DATABASE_URL: databaseUrl ?? "",
    BERTH_WORKERS: String(options.workers ?? 1),
    ...options.env,
  };
  const command = entry === "npm" ? "npm" : process.execPath;
  // Its own process group, so that a signal can go to the group as a terminal would send it.
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const stop = async () => {
    await stopChild(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(url, exited, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw new Error(`Berth did not start (${entry}): ${(error as Error).message}\n${output}`);
  }

  return {
    url,
    dataDir,
    databaseUrl,
    pid: child.pid,
    output: () => output,
    signal: (name, target = "process") => {
      if (target === "group" && child.pid !== undefined) process.kill(-child.pid, name);
      else child.kill(name);
    },
    exited,
    stop,
    async openContext() {
      const config = loadConfig({ dataDir, databaseUrl, publicUrl: url, logLevel: "silent" }, {});
      // Same derivation as loadSecrets for BERTH_SECRET, so token hashes match the server's.
      return createContext(config, {
        secrets: { tokenKey: Buffer.from(secret, "utf8") },
        logger: pino({ level: "silent" }),
      });
    },
  };
}

export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("options", `-c search_path=${schema}`);
  return parsed.toString();
}

/** A port the kernel just handed out; the tiny race with another process is retried by the caller's timeout. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

/** Polls until the server answers any HTTP status (whoami without a token is a 401). */
async function waitUntilAnswering(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`process exited with code ${exitCode}`);
    try {
      const response = await fetch(`${url}/api/whoami-v2`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no answer within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
