/**
 * `berth serve --workers N`: N processes on one port, so one machine's cores all serve. The primary
 * prepares what must happen once (the data directory, the token key, the migrations), then forks the
 * workers; Node's cluster module hands each incoming connection to one of them. The workers share
 * everything through the engines, as separate machines would: the database (SQLite in WAL mode with its
 * busy timeout, or PostgreSQL), the repositories and objects on disk, and the change feed that keeps
 * every worker's caches honest (store/change-feed.ts).
 *
 * Signals: SIGTERM/SIGINT stop every worker gracefully and then the primary; SIGHUP restarts the
 * workers one at a time (a new one is listening before an old one is told to finish), so a restart
 * never refuses a connection. A worker that dies unexpectedly is replaced.
 */
import cluster, { type Worker } from "node:cluster";
import type { Config } from "./config.ts";
import { createContext } from "./context.ts";

const STOP_TIMEOUT_MS = 30_000;

export async function serveCluster(config: Config, workers: number, runWorker: () => Promise<void>): Promise<void> {
  if (cluster.isWorker) return runWorker();
  // Once, before any worker: the data dir, the secret, the schema (workers would race the migrations).
  const ctx = await createContext(config);
  await ctx.close();

  let stopping = false;
  const live = new Set<Worker>();
  const fork = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      live.add(worker);
      worker.once("listening", () => resolve(worker));
      worker.once("exit", (code, signal) => {
        live.delete(worker);
        if (!stopping && !retiring.has(worker)) {
          process.stderr.write(`berth: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
          void fork().catch(() => undefined);
        }
        reject(new Error(`worker exited before listening (${signal ?? code})`));
      });
    });
  const retiring = new Set<Worker>();
  const retire = (worker: Worker): Promise<void> =>
    new Promise((resolve) => {
      retiring.add(worker);
      const timer = setTimeout(() => worker.kill("SIGKILL"), STOP_TIMEOUT_MS);
      worker.once("exit", () => {
        clearTimeout(timer);
        retiring.delete(worker);
        resolve();
      });
      // The worker's own SIGTERM handler finishes its requests and closes its database.
      worker.process.kill("SIGTERM");
    });

  await Promise.all(Array.from({ length: workers }, () => fork()));
  process.stderr.write(`berth: ${workers} workers listening on ${config.host}:${config.port}\n`);

  process.on("SIGHUP", async () => {
    for (const old of [...live]) {
      await fork();
      await retire(old);
    }
  });
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all([...live].map((worker) => retire(worker)));
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
