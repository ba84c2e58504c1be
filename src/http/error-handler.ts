import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { ZodError } from "zod";
import { HubError } from "../errors.ts";

/** Header values must be one line of Latin-1; messages may quote user input. */
export function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 1000);
}

export function sendError(reply: FastifyReply, error: HubError): FastifyReply {
  reply.code(error.status);
  // Refused before its body arrived (a 401 before a large upload): close rather than drain the rest.
  if (!reply.request.raw.complete) reply.header("Connection", "close");
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  if (error.moved) reply.header("Location", movedLocation(reply.request.url, error.moved));
  if (error.wireCode) reply.header("X-Error-Code", error.wireCode);
  reply.header("X-Error-Message", headerSafe(error.headerMessage ?? error.message));
  return reply.type("application/json; charset=utf-8").send({ error: error.message });
}

/**
 * The same request path with a moved repo's old `ns/name` replaced by the new one, query kept. A path
 * without a host: Python's HEAD follows only those (hub-api.md §3, move).
 */
export function movedLocation(url: string, moved: { from: string; to: string }): string {
  const at = url.indexOf("?");
  const path = at < 0 ? url : url.slice(0, at);
  const query = at < 0 ? "" : url.slice(at);
  const [fromNs, fromName] = moved.from.toLowerCase().split("/");
  const [toNs = "", toName = ""] = moved.to.split("/");
  const segments = path.split("/");
  for (let i = 0; i + 1 < segments.length; i++) {
    const name = safeDecode(segments[i + 1] ?? "");
    const suffix = name.endsWith(".git") ? ".git" : "";
    if (
      safeDecode(segments[i] ?? "").toLowerCase() === fromNs &&
      name.slice(0, name.length - suffix.length).toLowerCase() === fromName
    ) {
      segments.splice(i, 2, encodeURIComponent(toNs), encodeURIComponent(toName) + suffix);
      break;
    }
  }
  return segments.join("/") + query;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
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
    if (hubError.status >= 500 && hubError.code !== "Busy") request.log.error({ err: error }, "request failed");
    return sendError(reply, hubError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new HubError("NotFound", `No route for ${request.method} ${request.url.split("?")[0]}`)),
  );
}
