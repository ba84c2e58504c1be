/** Drives one endpoint with autocannon and reduces the result to the figures the report shows. */
import autocannon, { type Request } from "autocannon";

export interface LoadOptions {
  readonly title: string;
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** GET unless told; HEAD answers are read without a body (see headParser). */
  readonly method?: "GET" | "HEAD";
  /** Called for every request: the path and headers to send (rotating tokens and repos). */
  readonly next?: () => { path: string; headers?: Record<string, string> };
}

export interface LoadFigures {
  readonly title: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  /** Responses other than 2xx, and connection errors: a run with any is not a valid measurement. */
  readonly non2xx: number;
  readonly errors: number;
}

export async function drive(options: LoadOptions): Promise<LoadFigures> {
  const next = options.next;
  const method = options.method ?? "GET";
  const requests: Request[] | undefined = next
    ? [
        {
          method,
          setupRequest(request) {
            const { path, headers } = next();
            return { ...request, path, headers: { ...request.headers, ...headers } };
          },
        },
      ]
    : undefined;
  const result = await autocannon({
    title: options.title,
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    method,
    ...(method === "HEAD" ? { setupClient: headParser } : {}),
    ...(requests ? { requests } : {}),
  });
  return {
    title: options.title,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/**
 * autocannon's response parser (http-parser-js) is never told that a response answers a HEAD, so it
 * waits for the Content-Length bytes that never come and every connection stalls after one request.
 * The parser skips the body when its headers-complete callback returns 1, as Node's own client does for
 * HEAD; autocannon assigns that callback after setupClient runs, hence the accessor.
 */
function headParser(client: unknown): void {
  const parser = (client as { parser: Record<number, unknown> }).parser;
  const kOnHeadersComplete = 2;
  let handler: ((...args: unknown[]) => unknown) | undefined;
  Object.defineProperty(parser, kOnHeadersComplete, {
    configurable: true,
    get:
      () =>
      (...args: unknown[]) => {
        handler?.(...args);
        return 1;
      },
    set: (value: (...args: unknown[]) => unknown) => {
      handler = value;
    },
  });
}
