import { randomUUID } from "node:crypto";
import cookie from "@fastify/cookie";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController, type RouteOptions } from "fastify";
import type { Context } from "../context.ts";
import { redactTokens } from "../log-redaction.ts";
import { registerAuthHook } from "./auth-hook.ts";
import { registerBodyGuard } from "./body-guard.ts";
import { registerErrorHandler } from "./error-handler.ts";
import { registerFormParser } from "./form-parser.ts";
import { OAuthService } from "./oauth-service.ts";
import { registerAccessRequestRoutes } from "./routes/access-requests.ts";
import { registerAuthRoutes } from "./routes/auth.ts";
import { registerCommitRoutes } from "./routes/commit.ts";
import { registerFileRoutes } from "./routes/files.ts";
import { registerGitRoutes } from "./routes/git.ts";
import { registerInferenceRoutes } from "./routes/inference.ts";
import { registerLfsRoutes } from "./routes/lfs.ts";
import { registerOAuthAppRoutes } from "./routes/oauth-apps.ts";
import { registerOAuthMount } from "./routes/oauth-mount.ts";
import { registerOrgRoutes } from "./routes/orgs.ts";
import { registerPreuploadRoutes } from "./routes/preupload.ts";
import { registerRefRoutes } from "./routes/refs.ts";
import { registerRepoInfoRoutes } from "./routes/repo-info.ts";
import { registerRepoRoutes } from "./routes/repos.ts";
import { registerTokenRoutes } from "./routes/settings-tokens.ts";
import { registerTreeRoutes } from "./routes/tree.ts";
import { registerValidateYamlRoutes } from "./routes/validate-yaml.ts";
import { registerWebRoutes } from "./routes/web.ts";
import { oauthViews } from "./routes/web-oauth.ts";
import { registerWhoamiRoutes } from "./routes/whoami.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** Set by a graceful stop before `close()`: every answer then closes its connection. */
    draining: boolean;
  }
}

export interface BuildAppOptions {
  /** Sees each route as it is registered: the fuzz test enumerates every route with it. */
  readonly onRoute?: (route: RouteOptions) => void;
}

/** Builds the HTTP app without listening, so tests inject requests into it. */
export async function buildApp(ctx: Context, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimit,
    trustProxy: false,
    genReqId: () => randomUUID(),
    // Hub routes are case-sensitive on paths but ids are not; `ignoreDuplicateSlashes` keeps `//` lenient.
    routerOptions: { ignoreDuplicateSlashes: true, maxParamLength: 1000 },
    // One line per request, written below with the URL scrubbed of anything token-shaped.
    logController: new LogController({ disableRequestLogging: true }),
    // No request may hold a connection for nothing: idle sockets close, and the whole request has no
    // deadline of its own (an LFS upload of many gigabytes is legitimate) but its body does when held in
    // memory (body-guard.ts), and the request head must arrive promptly (below).
    // A stopping server (a worker retired by a rolling restart) still serves what reached it.
    return503OnClosing: false,
    connectionTimeout: ctx.config.idleTimeoutSeconds * 1000,
    requestTimeout: 0,
    // Node checks the header deadline on an interval (30 s by default): check every second instead.
    http: { headersTimeout: ctx.config.headersTimeoutSeconds * 1000, connectionsCheckingInterval: 1000 },
  });
  if (options.onRoute) app.addHook("onRoute", options.onRoute);
  // Draining (a graceful stop, a rolling restart): answers still go out, each closing its connection,
  // so keep-alive clients move to another worker and the server can finish.
  app.decorate("draining", false);
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (app.draining) reply.header("Connection", "close");
    done(null, payload);
  });
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("X-Request-Id", request.id);
    done();
  });
  // The request line is written only when it would be logged: on the hot path a hook costs more than its work.
  if (ctx.logger.isLevelEnabled("info")) {
    app.addHook("onResponse", (request, reply, done) => {
      request.log.info(
        {
          method: request.method,
          url: redactTokens(request.url),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        "request",
      );
      done();
    });
  }
  await app.register(cookie);
  registerFormParser(app);
  registerErrorHandler(app);
  registerAuthHook(app, ctx);
  registerBodyGuard(app, ctx);
  app.decorateRequest("repoAccess", undefined);

  registerWhoamiRoutes(app, ctx);
  registerAuthRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerOAuthAppRoutes(app, ctx);
  registerFileRoutes(app, ctx);
  registerTreeRoutes(app, ctx);
  registerRefRoutes(app, ctx);
  registerGitRoutes(app, ctx);
  registerLfsRoutes(app, ctx);
  registerAccessRequestRoutes(app, ctx);
  registerOrgRoutes(app, ctx);
  registerRepoRoutes(app, ctx);
  registerRepoInfoRoutes(app, ctx);
  registerPreuploadRoutes(app, ctx);
  registerCommitRoutes(app, ctx);
  registerInferenceRoutes(app, ctx);
  registerValidateYamlRoutes(app);
  const oauth = await OAuthService.start(ctx, oauthViews(ctx));
  app.addHook("onClose", async () => oauth.close());
  registerOAuthMount(app, oauth, ctx.config.bodyTimeoutSeconds);
  registerWebRoutes(app, ctx, oauth);
  return app;
}
