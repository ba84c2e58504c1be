/**
 * Administering inference upstreams (the CLI's `inference add-upstream | list-upstreams |
 * remove-upstream`). The API key is sealed before it is stored and is never shown again: a listing
 * says only whether one is set.
 */
import type { Context } from "../context.ts";
import { isValidName } from "../domain/names.ts";
import { HubError } from "../errors.ts";
import { deleteUpstream, insertUpstream, listUpstreams } from "../store/inference.ts";
import { sealSecret } from "./secret-box.ts";

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 120_000;

/** `ns/name`, where either part may hold `*` and `?` globs; stored lower-cased (ids are case-insensitive). */
export function normalizePattern(pattern: string): string {
  const parts = pattern.split("/");
  const plausible = (part: string) => part === "*" || isValidName(part.replace(/[*?]/g, "a"));
  if (parts.length !== 2 || !parts.every((part) => part !== "" && plausible(part))) {
    throw new HubError("BadRequest", `Invalid pattern "${pattern}": use a repo id (acme/bert) or a glob (acme/*)`);
  }
  return pattern.toLowerCase();
}

export function normalizeUpstreamUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HubError("BadRequest", `Invalid URL "${url}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new HubError("BadRequest", `The upstream URL must be http or https, not ${parsed.protocol}`);
  }
  if (parsed.username || parsed.password) {
    throw new HubError("BadRequest", "Put the upstream's credential in --api-key-stdin, not in the URL");
  }
  if (parsed.search || parsed.hash) throw new HubError("BadRequest", "The upstream URL takes no query or fragment");
  return parsed.toString().replace(/\/+$/, "");
}

export interface AddUpstream {
  readonly pattern: string;
  readonly url: string;
  readonly apiKey?: string | undefined;
  /** The `model` sent upstream; the repo id when omitted. */
  readonly model?: string | undefined;
  readonly timeoutMs?: number | undefined;
  readonly replace?: boolean;
}

export async function addUpstream(ctx: Context, request: AddUpstream): Promise<string> {
  const pattern = normalizePattern(request.pattern);
  const timeoutMs = request.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 3_600_000) {
    throw new HubError("BadRequest", "The timeout must be between 0.1 s and one hour");
  }
  if (request.apiKey !== undefined && (request.apiKey === "" || /[\r\n]/.test(request.apiKey))) {
    throw new HubError("BadRequest", "The API key must be one non-empty line");
  }
  await insertUpstream(
    ctx.db,
    {
      pattern,
      url: normalizeUpstreamUrl(request.url),
      upstreamModel: request.model || undefined,
      sealedApiKey: request.apiKey === undefined ? undefined : sealSecret(ctx.secrets.tokenKey, request.apiKey),
      timeoutMs,
    },
    ctx.now(),
    { replace: request.replace === true },
  );
  return pattern;
}

export async function removeUpstream(ctx: Context, pattern: string): Promise<void> {
  if (!(await deleteUpstream(ctx.db, pattern.toLowerCase()))) {
    throw new HubError("NotFound", `No upstream for "${pattern}"`);
  }
}

/** What an administrator may see: never the key, only whether there is one. */
export async function describeUpstreams(ctx: Context) {
  return (await listUpstreams(ctx.db)).map((upstream) => ({
    pattern: upstream.pattern,
    url: upstream.url,
    model: upstream.upstreamModel ?? null,
    apiKey: upstream.sealedApiKey ? "set" : "none",
    timeoutSeconds: upstream.timeoutMs / 1000,
    createdAt: upstream.createdAt.toISOString(),
  }));
}
