import { randomUUID } from "node:crypto";
import cookie from "@fastify/cookie";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Context } from "../context.ts";
import { redactTokens } from "../log-redaction.ts";
import { registerAuthHook } from "./auth-hook.ts";
import { registerErrorHandler } from "./error-handler.ts";
import { registerFormParser } from "./form-parser.ts";
import { registerAuthRoutes } from "./routes/auth.ts";
import { registerTokenRoutes } from "./routes/settings-tokens.ts";
import { registerWhoamiRoutes } from "./routes/whoami.ts";

/** Builds the HTTP app without listening, so tests inject requests into it. */
export async function buildApp(ctx: Context): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimit,
    trustProxy: false,
    genReqId: () => randomUUID(),
    // Hub routes are case-sensitive on paths but ids are not; `ignoreDuplicateSlashes` keeps `//` lenient.
    routerOptions: { ignoreDuplicateSlashes: true, maxParamLength: 1000 },
    // One line per request, written below with the URL scrubbed of anything token-shaped.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addHook("onRequest", async (request, reply) => {
    reply.header("X-Request-Id", request.id);
  });
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: redactTokens(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request",
    );
  });
  await app.register(cookie);
  registerFormParser(app);
  registerErrorHandler(app);
  registerAuthHook(app, ctx);

  registerWhoamiRoutes(app, ctx);
  registerAuthRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  return app;
}
