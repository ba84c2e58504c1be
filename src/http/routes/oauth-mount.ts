/**
 * The provider (a Koa app) mounted into Fastify on its own paths. Its requests keep their body unread
 * (no Fastify parser, `streamsBody`: the provider reads and bounds bodies itself, 56 KiB) and their
 * Authorization header to themselves (`ownCredentials`: client credentials or access tokens that the
 * provider checks). Fastify hands over the raw request and response. A body must still arrive within
 * `bodyTimeoutSeconds`, as every body Berth holds in memory: a trickle is cut.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { OAuthService } from "../oauth-service.ts";

export function registerOAuthMount(app: FastifyInstance, oauth: OAuthService, bodyTimeoutSeconds: number): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
    const handler = (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      if (!request.raw.complete) {
        const timer = setTimeout(() => {
          if (!request.raw.complete) request.raw.destroy();
        }, bodyTimeoutSeconds * 1000);
        timer.unref();
        reply.raw.once("close", () => clearTimeout(timer));
      }
      oauth.handle(request.raw, reply.raw);
    };
    const config = { streamsBody: true, ownCredentials: true };
    scope.route({ method: ["GET", "HEAD", "POST", "OPTIONS"], url: "/oauth/*", config, handler });
    scope.route({ method: ["GET", "HEAD", "OPTIONS"], url: "/.well-known/openid-configuration", config, handler });
  });
}
