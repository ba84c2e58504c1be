import cluster from "node:cluster";
import type { Config } from "./config.ts";
import { createContext } from "./context.ts";
import { buildApp } from "./http/app.ts";
import { scheduleTempSweeps } from "./storage/temp-sweeper.ts";
import { countUsers } from "./store/users.ts";

/** Starts the server on the configured address; stops cleanly on SIGINT and SIGTERM. */
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
    process.stderr.write(
      `\nBerth is running at ${config.publicUrl} with no accounts yet. Create the first one with:\n` +
        `  npx berth user create NAME --email EMAIL --admin --password-stdin\n` +
        `then a token with:\n  npx berth token create NAME --name my-token --role write\n\n`,
    );
  }
  const stop = async () => {
    stopSweeps();
    app.draining = true;
    await app.close();
    await ctx.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
