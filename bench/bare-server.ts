/**
 * The baseline: Fastify with the constructor settings of src/http/app.ts and one route that returns a
 * constant JSON object. No auth, no storage, no hooks. Run as a child process by bench/run.ts.
 */
import { randomUUID } from "node:crypto";
import Fastify, { LogController } from "fastify";

const port = Number(process.env.BENCH_PORT);
const app = Fastify({
  logger: { level: "warn" },
  bodyLimit: 1024 * 1024,
  trustProxy: false,
  genReqId: () => randomUUID(),
  routerOptions: { ignoreDuplicateSlashes: true, maxParamLength: 1000 },
  logController: new LogController({ disableRequestLogging: true }),
});
const body = { type: "user", name: "bare", ok: true };
app.get("/bare", async () => body);
await app.listen({ host: "127.0.0.1", port });
const stop = async () => {
  await app.close();
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
