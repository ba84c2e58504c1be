import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { ConfigOverrides } from "../../src/config.ts";
import { buildApp } from "../../src/http/app.ts";
import { RawConnection } from "./raw-http.ts";
import { makeTestContext, type TestContext } from "./test-context.ts";

/**
 * The app listening on a free port of 127.0.0.1, in this process: for tests that must talk to it over a
 * real socket (partial bodies, slow clients, deadlines) and still look inside its context.
 */
export interface ListeningApp {
  readonly ctx: TestContext;
  readonly app: FastifyInstance;
  readonly port: number;
  /** A raw connection to the app, closed by `close()`. */
  connection(): RawConnection;
  close(): Promise<void>;
}

export async function listenTestApp(overrides: ConfigOverrides = {}): Promise<ListeningApp> {
  const ctx = await makeTestContext("sqlite", overrides);
  const app = await buildApp(ctx);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const open: RawConnection[] = [];
  return {
    ctx,
    app,
    port,
    connection() {
      const made = new RawConnection(port);
      open.push(made);
      return made;
    },
    async close() {
      for (const made of open.splice(0)) made.destroy();
      await app.close();
      await ctx.dispose();
    },
  };
}
