import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { ZodError } from "zod";
import { HubError } from "../errors.ts";

/** Header values must be one line of Latin-1; messages may quote user input. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 1000);
}

export function sendError(reply: FastifyReply, error: HubError): FastifyReply {
  reply.code(error.status);
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  if (error.wireCode) reply.header("X-Error-Code", error.wireCode);
  reply.header("X-Error-Message", headerSafe(error.message));
  return reply.type("application/json; charset=utf-8").send({ error: error.message });
}

/**
 * PostgreSQL refuses NUL bytes and unencodable characters in text (SQLSTATE 22021, 22P05). Berth never
 * writes such text itself, so it came from the request (a `%00` in a name, a `\u0000` in JSON): a 400.
 */
const BAD_TEXT_SQLSTATES = new Set(["22021", "22P05"]);

/** Anything thrown becomes a HubError; only a 5xx is logged with its cause, and its body says nothing inside. */
export function toHubError(error: unknown): HubError {
  if (error instanceof HubError) return error;
  const sqlState = (error as { code?: unknown } | undefined)?.code;
  if (typeof sqlState === "string" && BAD_TEXT_SQLSTATES.has(sqlState)) {
    return new HubError("BadRequest", "Invalid request: text must not contain NUL or invalid characters");
  }
  if (error instanceof ZodError) {
    const message = error.issues
      .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
      .join("; ");
    return new HubError("BadRequest", `Invalid request: ${message}`);
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    if (status === 413) return new HubError("PayloadTooLarge", "Request body is too large");
    if (status === 415) return new HubError("UnsupportedMediaType", fastifyError.message ?? "Unsupported media type");
    return new HubError("BadRequest", fastifyError.message ?? "Bad request", { status });
  }
  return new HubError("Internal", "Internal error", { cause: error });
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const hubError = toHubError(error);
    if (hubError.status >= 500) request.log.error({ err: error }, "request failed");
    return sendError(reply, hubError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new HubError("NotFound", `No route for ${request.method} ${request.url.split("?")[0]}`)),
  );
}
