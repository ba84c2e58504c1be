/**
 * Fronting an OpenAI-compatible inference server (vLLM, TGI, Ollama, llama.cpp) with Berth's tokens.
 *
 * Security: the caller's request is rebuilt, never relayed. Only the body and its content type go
 * upstream, with Berth's own credential for that upstream (sealed in the database); the caller's
 * Authorization, cookies and every other header stay here. Time is bounded (no answer within the
 * upstream's timeout → 504; a stream idle that long → cut), failures are 502 with a message naming the
 * upstream's trouble but not its credential. An upstream 401/403/404 is Berth's misconfiguration, not the
 * caller's: 502. A 400/413/422/429 is about the request and is passed through.
 */
import { PassThrough, Readable } from "node:stream";
import { HubError } from "../errors.ts";
import { redactTokens } from "../log-redaction.ts";
import type { Upstream } from "../store/inference.ts";

const PASS_THROUGH = new Set([400, 413, 422, 429]);
const MAX_JSON_RESPONSE = 64 * 1024 * 1024;

/** `acme/*` style globs: `*` is any run of characters but `/`, `?` one such character. */
export function patternMatches(pattern: string, repoId: string): boolean {
  const source = pattern
    .toLowerCase()
    .split("")
    .map((c) => (c === "*" ? "[^/]*" : c === "?" ? "[^/]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(repoId.toLowerCase());
}

/** The upstream for a repo: an exact id first, then the longest matching glob. */
export function findUpstream(upstreams: readonly Upstream[], repoId: string): Upstream | undefined {
  const key = repoId.toLowerCase();
  const exact = upstreams.find((u) => u.pattern === key);
  if (exact) return exact;
  return upstreams
    .filter((u) => /[*?]/.test(u.pattern) && patternMatches(u.pattern, key))
    .sort((a, b) => b.pattern.length - a.pattern.length)[0];
}

/** Joins the upstream base URL (with or without a trailing `/v1`) and an OpenAI path such as `/v1/chat/completions`. */
export function upstreamUrl(base: string, path: string): string {
  const trimmed = base.replace(/\/+$/, "");
  if (path === "") return trimmed.replace(/\/v1$/, "");
  return trimmed.endsWith("/v1") && path.startsWith("/v1/") ? `${trimmed}${path.slice(3)}` : `${trimmed}${path}`;
}

export interface ForwardRequest {
  readonly upstream: Upstream;
  /** Clear API key, or undefined for none. */
  readonly apiKey: string | undefined;
  /** OpenAI path (`/v1/…`), or "" for the task API at the upstream's root. */
  readonly path: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly repoId: string;
}

export interface ForwardResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The body to send on, unchanged. */
  readonly body: Readable | Buffer;
  /** Resolves when the body has been delivered, with the token counts the upstream reported. */
  readonly done: Promise<{ inputTokens?: number | undefined; outputTokens?: number | undefined; error?: boolean }>;
}

function usageOf(value: unknown): { inputTokens?: number; outputTokens?: number } {
  const usage = (value as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (!usage || typeof usage !== "object") return {};
  return {
    ...(typeof usage.prompt_tokens === "number" ? { inputTokens: usage.prompt_tokens } : {}),
    ...(typeof usage.completion_tokens === "number" ? { outputTokens: usage.completion_tokens } : {}),
  };
}

function withoutSecret(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join("[redacted]") : text;
}

function failure(repoId: string, status: number, detail: string): HubError {
  return new HubError("Internal", `The inference upstream for ${repoId} failed: ${detail}`, { status });
}

export async function forward(request: ForwardRequest): Promise<ForwardResult> {
  const { upstream, repoId } = request;
  const seconds = Math.round(upstream.timeoutMs / 100) / 10;
  const controller = new AbortController();
  let timedOut = false;
  let timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, upstream.timeoutMs);
  const headers: Record<string, string> = {
    "content-type": request.contentType,
    accept: "application/json, text/event-stream",
  };
  if (request.apiKey) headers.authorization = `Bearer ${request.apiKey}`;
  let response: Response;
  try {
    response = await fetch(upstreamUrl(upstream.url, request.path), {
      method: "POST",
      headers,
      body: new Uint8Array(request.body),
      signal: controller.signal,
      redirect: "error",
    });
  } catch (error) {
    clearTimeout(timer);
    if (timedOut) throw failure(repoId, 504, `no answer within ${seconds} s`);
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw failure(repoId, 502, `cannot reach it (${cause})`);
  }

  const contentType = response.headers.get("content-type") ?? "application/octet-stream";
  if (!response.ok && !PASS_THROUGH.has(response.status)) {
    clearTimeout(timer);
    // An upstream may echo the key it refused ("Incorrect API key provided: sk-…"): this text goes to the
    // caller and to the error log, neither of which may see Berth's credential for the upstream.
    const echoed = await response.text().catch(() => "");
    const text = redactTokens(withoutSecret(echoed, request.apiKey)).slice(0, 300).replace(/\s+/g, " ");
    const hint =
      response.status === 401 || response.status === 403
        ? " (the upstream refused Berth's credential for it)"
        : response.status === 404
          ? " (the upstream does not serve this model or path)"
          : "";
    throw failure(repoId, 502, `HTTP ${response.status}${hint}${text ? `: ${text}` : ""}`);
  }
  const outHeaders: Record<string, string> = { "content-type": contentType };
  const retryAfter = response.headers.get("retry-after");
  if (retryAfter) outHeaders["retry-after"] = retryAfter;

  if (contentType.startsWith("text/event-stream") && response.body) {
    outHeaders["cache-control"] = "no-cache";
    const out = new PassThrough();
    let usage: { inputTokens?: number; outputTokens?: number } = {};
    let tail = "";
    const done = (async () => {
      const source = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
      try {
        for await (const chunk of source) {
          clearTimeout(timer);
          timer = setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, upstream.timeoutMs);
          const buffer = chunk as Buffer;
          // The bytes go on unchanged; the usage line (if the upstream sends one) is read on the side.
          if (!out.write(buffer)) await new Promise((resolve) => out.once("drain", resolve));
          const lines = (tail + buffer.toString("utf8")).split("\n");
          tail = lines.pop() ?? "";
          for (const line of lines) {
            if (!line.startsWith("data:") || !line.includes('"usage"')) continue;
            try {
              usage = { ...usage, ...usageOf(JSON.parse(line.slice(5))) };
            } catch {
              // not JSON: nothing to count
            }
          }
        }
        out.end();
        return usage;
      } catch {
        // Headers are gone already: end the stream with an SSE error event the clients can read.
        const message = timedOut ? `upstream stream idle for ${seconds} s` : "upstream stream broke";
        out.end(`data: ${JSON.stringify({ error: message })}\n\n`);
        return { ...usage, error: true };
      } finally {
        clearTimeout(timer);
      }
    })();
    out.on("close", () => controller.abort());
    return { status: response.status, headers: outHeaders, body: out, done };
  }

  try {
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > MAX_JSON_RESPONSE) throw failure(repoId, 502, "response too large");
    let usage = {};
    if (contentType.includes("json")) {
      try {
        usage = usageOf(JSON.parse(bytes.toString("utf8")));
      } catch {
        // passed on as it came
      }
    }
    return { status: response.status, headers: outHeaders, body: bytes, done: Promise.resolve(usage) };
  } catch (error) {
    if (error instanceof HubError) throw error;
    throw timedOut
      ? failure(repoId, 504, `no complete answer within ${seconds} s`)
      : failure(repoId, 502, "the response broke off");
  } finally {
    clearTimeout(timer);
  }
}
