import cluster from "node:cluster";
import path from "node:path";
import type { Config } from "./config.ts";
import { createContext } from "./context.ts";
import { buildApp } from "./http/app.ts";
import { scheduleTempSweeps } from "./storage/temp-sweeper.ts";
import { countUsers } from "./store/users.ts";

/** In-flight requests get this long to finish after SIGTERM or SIGINT; then the process exits anyway. */
const SHUTDOWN_GRACE_MS = 30_000;
/**
 * A signal this soon after the first is the same stop delivered twice (Ctrl-C under `npm start` reaches
 * Berth from the terminal and again from npm); a later one is someone insisting.
 */
const REPEAT_WINDOW_MS = 2000;

/**
 * Starts the server on the configured address. On SIGTERM or SIGINT (systemd's stop, Ctrl-C, `npm start`
 * passing either on) it stops accepting connections, lets requests in flight finish (requests still
 * arriving on kept-alive connections are served and told to close), closes the database and exits 0; another signal a while later, or
 * the grace period running out, exits at once with 1.
 */
export async function serve(config: Config): Promise<void> {
  const ctx = await createContext(config);
  const app = await buildApp(ctx);
  const stopSweeps = scheduleTempSweeps(config.dataDir, ctx.logger);
  const address = await app.listen({ host: config.host, port: config.port });
  ctx.logger.info(
    { address, publicUrl: config.publicUrl, dataDir: config.dataDir, database: ctx.dialect },
    "Berth is listening",
  );
  // With several workers the primary has no server of its own; the first worker says it once.
  if ((await countUsers(ctx.db)) === 0 && (cluster.isPrimary || cluster.worker?.id === 1)) {
    process.stderr.write(firstStartMessage(config));
  }

  let stoppingSince: number | undefined;
  const stop = async (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < REPEAT_WINDOW_MS) return;
      ctx.logger.warn({ signal }, "Second signal: exiting without waiting for requests in flight");
      process.exit(1);
    }
    stoppingSince = Date.now();
    ctx.logger.info({ signal }, "Shutting down: finishing the requests in flight");
    const force = setTimeout(() => {
      ctx.logger.error(`Requests still running after ${SHUTDOWN_GRACE_MS / 1000} s: exiting`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    stopSweeps();
    // Answers still go out, each closing its connection, so keep-alive clients move on and close ends.
    app.draining = true;
    let code = 0;
    try {
      await app.close();
      await ctx.close();
      ctx.logger.info("Berth stopped");
    } catch (error) {
      ctx.logger.error({ err: error }, "Shutdown failed");
      code = 1;
    }
    clearTimeout(force);
    process.exit(code);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** What to type to create the first admin, password step included, for this server's data. */
export function firstStartMessage(config: Config): string {
  const defaultDir = path.resolve("./data");
  const where = config.dataDir === defaultDir ? "" : ` --data-dir ${shellQuote(config.dataDir)}`;
  // The database URL may carry a password: it is never printed, only asked for.
  const database = config.databaseUrl ? "with the same BERTH_DATABASE_URL as the server, " : "";
  return (
    `\nBerth is running at ${config.publicUrl} with no accounts yet. Create the first admin ${database}\n` +
    "(the password is read without echo; at least 8 characters):\n\n" +
    `  printf 'Password: '; read -rs PW; echo; printf '%s' "$PW" | npx berth${where} user create admin --email admin@example.com --admin --password-stdin; unset PW\n\n` +
    `Then sign in at ${config.publicUrl}/login, or make a token for your tools:\n\n` +
    `  npx berth${where} token create admin --name laptop --role write\n\n`
  );
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
