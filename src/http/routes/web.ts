/**
 * The web pages, in their own Fastify scope so that errors render as HTML pages instead of the API's
 * JSON, and every response carries the pages' security headers. Assets are served from web/assets under
 * `/-/assets/` (`-` starts no valid name, so no user or org is shadowed). No CDN, no build step.
 */

import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyError, FastifyInstance } from "fastify";
import { ZodError } from "zod";
import { errorPage } from "../../../web/pages/auth-pages.ts";
import type { Context } from "../../context.ts";
import { HubError } from "../../errors.ts";
import { sendError, toHubError } from "../error-handler.ts";
import type { OAuthService } from "../oauth-service.ts";
import { securityHeaders, seeOther, sendPage, viewerOf } from "../web-support.ts";
import { registerWebAuthRoutes } from "./web-auth.ts";
import { registerWebHomeRoutes } from "./web-home.ts";
import { registerWebNewRoutes } from "./web-new.ts";
import { registerWebOAuthRoutes } from "./web-oauth.ts";
import { registerWebOAuthAppRoutes } from "./web-oauth-apps.ts";
import { registerWebOrgRoutes } from "./web-orgs.ts";
import { makeRepoPageCaches, registerWebRepoCardRoutes } from "./web-repo-card.ts";
import { registerWebRepoFileRoutes } from "./web-repo-files.ts";
import { registerWebRepoHistoryRoutes } from "./web-repo-history.ts";
import { registerWebRepoRoutes } from "./web-repos.ts";
import { registerWebSsoRoutes } from "./web-sso.ts";
import { registerWebTokenRoutes } from "./web-tokens.ts";

const ASSETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../web/assets");

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Sign-in required",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Too large",
  429: "Too many requests",
};

export function registerWebRoutes(app: FastifyInstance, ctx: Context, oauth: OAuthService): void {
  app.register(async (scope) => {
    scope.addHook("onRequest", async (_request, reply) => securityHeaders(reply));
    await scope.register(fastifyStatic, {
      root: ASSETS,
      prefix: "/-/assets/",
      decorateReply: false,
      maxAge: "1h",
      index: false,
      list: false,
    });
    scope.setErrorHandler((error: FastifyError | HubError | ZodError, request, reply) => {
      // `api` is a reserved name, so a page route that matched an /api/ path is an API miss: answer as the API does.
      // A moved repo's old page redirects like the API does.
      if (request.url.startsWith("/api/") || (error instanceof HubError && error.moved)) {
        return sendError(reply, toHubError(error));
      }
      let status: number;
      let message: string;
      if (error instanceof HubError) {
        // A missing or invisible repo is one page for everyone, signed in or not.
        status = error.code === "RepoNotFound" ? 404 : error.status;
        message = error.message;
        if (status === 401 && request.method === "GET") {
          return seeOther(reply, `/login?next=${encodeURIComponent(request.url)}`);
        }
      } else if (error instanceof ZodError) {
        status = 400;
        message = error.issues.map((issue) => `${issue.path.join(".") || "form"}: ${issue.message}`).join("; ");
      } else if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
        status = error.statusCode;
        message = error.message;
      } else {
        request.log.error({ err: error }, "web page failed");
        status = 500;
        message = "Something went wrong on our side. Try again, or tell the administrator.";
      }
      const viewer = viewerOf(ctx, request);
      return sendPage(reply, errorPage(viewer, status, TITLES[status] ?? "Error", message), status);
    });
    registerWebAuthRoutes(scope, ctx);
    registerWebOAuthRoutes(scope, ctx, oauth);
    registerWebSsoRoutes(scope, ctx);
    registerWebOAuthAppRoutes(scope, ctx);
    registerWebTokenRoutes(scope, ctx);
    registerWebHomeRoutes(scope, ctx);
    registerWebNewRoutes(scope, ctx);
    registerWebOrgRoutes(scope, ctx);
    registerWebRepoRoutes(scope, ctx);
    const caches = makeRepoPageCaches();
    registerWebRepoCardRoutes(scope, ctx, caches);
    registerWebRepoFileRoutes(scope, ctx);
    registerWebRepoHistoryRoutes(scope, ctx, caches);
  });
}
