/** Drives one endpoint with autocannon and reduces the result to the figures the report shows. */
import autocannon, { type Request } from "autocannon";

export interface LoadOptions {
  readonly title: string;
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
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
  const requests: Request[] | undefined = next
    ? [
        {
          method: "GET",
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
