/** Child processes for the benchmark: Berth as users start it, and the bare Fastify baseline. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface ChildServer {
  readonly url: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export async function startBerth(dataDir: string, secret: string): Promise<ChildServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // BENCH_BERTH_NODE_ARGS passes flags to the Berth process, e.g. "--cpu-prof --cpu-prof-dir=.bench/prof".
  const nodeArgs = (process.env.BENCH_BERTH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const args = [...nodeArgs, "bin/berth.js", "serve", "--host", "127.0.0.1", "--port", String(port)];
  return startChild(args, url, "/api/whoami-v2", {
    BERTH_DATA_DIR: dataDir,
    BERTH_DATABASE_URL: "",
    BERTH_PUBLIC_URL: url,
    BERTH_SECRET: secret,
    BERTH_LOG_LEVEL: "warn",
    // One process, so every row compares one Berth process with one bare one (BENCH_WORKERS for more).
    BERTH_WORKERS: process.env.BENCH_WORKERS ?? "1",
  });
}

export async function startBare(): Promise<ChildServer> {
  const port = await freePort();
  return startChild(["--import", "tsx", "bench/bare-server.ts"], `http://127.0.0.1:${port}`, "/bare", {
    BENCH_PORT: String(port),
  });
}

async function startChild(
  args: string[],
  url: string,
  probe: string,
  env: Record<string, string>,
): Promise<ChildServer> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-10_000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(" ")} exited: ${stderr}`);
    try {
      const response = await fetch(url + probe, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop(child, exited);
        throw new Error(`${args.join(" ")} did not answer: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url, pid: child.pid, stop: () => stop(child, exited) };
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
