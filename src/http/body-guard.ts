/**
 * Nothing large is read before it is allowed (issue 8, item 2). For every route that takes a body:
 *
 * 1. The credential was checked in `onRequest` (auth-hook.ts), from the headers alone: a bad one is a
 *    401 before a byte of the body is read.
 * 2. A route that can decide before the body declares `beforeBody` in its config (the repo and the
 *    action are in its URL: commit, preupload, LFS batch, inference); it runs here, before parsing.
 * 3. A body held in memory takes its share of the process's body budget (body-budget.ts) before it is
 *    read, by its Content-Length, or as it arrives when it has none; one that does not fit gets 503.
 *    Routes whose handlers stream the body to disk or to git declare `streamsBody` and manage their own.
 * 4. A buffered body must arrive whole within `bodyTimeoutSeconds`; a trickle is cut with 408.
 *
 * A refusal sent before the body was read closes the connection, so the unread rest is never drained.
 */

import { Transform } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Context } from "../context.ts";
import { HubError } from "../errors.ts";
import { BodyBudget, BodyLease } from "./body-budget.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** The process's body budget, for handlers that buffer a body themselves (git upload-pack). */
    bodyBudget: BodyBudget;
  }
  interface FastifyContextConfig {
    /** Runs before the body is read: authenticate further or authorize from the URL alone. */
    beforeBody?: (request: FastifyRequest) => Promise<void>;
    /** The handler streams the body itself (to disk or to git): no in-memory budget, no body timeout. */
    streamsBody?: boolean;
    /** Memory per body byte once parsed (JSON objects cost more than their text); default 2. */
    bodyMemoryFactor?: number;
  }
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const DEFAULT_FACTOR = 2;

export function registerBodyGuard(app: FastifyInstance, ctx: Context): BodyBudget {
  const budget = new BodyBudget(ctx.config.bodyMemoryBudget);
  app.decorate("bodyBudget", budget);
  const timeoutMs = ctx.config.bodyTimeoutSeconds * 1000;
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((method) => BODY_METHODS.has(method))) return;
    const existing = route.preParsing;
    const guard = (request: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream) =>
      guardBody(budget, timeoutMs, request, reply, payload);
    route.preParsing = [guard, ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing])];
  });
  return budget;
}

async function guardBody(
  budget: BodyBudget,
  timeoutMs: number,
  request: FastifyRequest,
  reply: FastifyReply,
  payload: NodeJS.ReadableStream,
): Promise<NodeJS.ReadableStream> {
  try {
    const config = request.routeOptions.config;
    if (config.beforeBody) await config.beforeBody(request);
    const declared = declaredLength(request);
    if (config.streamsBody || declared === 0) return payload;
    const lease = new BodyLease(budget, config.bodyMemoryFactor ?? DEFAULT_FACTOR);
    reply.raw.once("close", () => lease.release());
    if (declared !== undefined && !lease.cover(declared)) throw busy();
    return meter(payload, lease, timeoutMs);
  } catch (error) {
    // The body is still on the wire: do not read it to keep the connection alive.
    reply.header("Connection", "close");
    throw error;
  }
}

/** The declared body length; 0 for none, undefined for a chunked body. */
function declaredLength(request: FastifyRequest): number | undefined {
  const header = request.headers["content-length"];
  if (header !== undefined) {
    const length = Number(header);
    return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
  }
  return request.headers["transfer-encoding"] === undefined ? 0 : undefined;
}

function busy(): HubError {
  return new HubError("Busy", "The server is handling too many large requests; try again shortly", {
    headers: { "Retry-After": "5" },
  });
}

function meter(payload: NodeJS.ReadableStream, lease: BodyLease, timeoutMs: number): NodeJS.ReadableStream {
  let received = 0;
  const metered = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      // Answered already (refused early): the rest is going nowhere, and an error would reach no one.
      if (lease.released) done();
      else if (!lease.cover(received)) done(busy());
      else done(null, chunk);
    },
  });
  // Once the parser has stopped listening, a late error must not become an uncaught exception.
  metered.on("error", () => undefined);
  const timer = setTimeout(() => {
    metered.destroy(new HubError("RequestTimeout", `The request body did not arrive within ${timeoutMs / 1000} s`));
  }, timeoutMs);
  timer.unref();
  const stop = () => clearTimeout(timer);
  metered.once("end", stop);
  metered.once("close", stop);
  payload.once("error", (error: Error) => metered.destroy(error));
  return payload.pipe(metered);
}
