/**
 * What Berth completes in a request before oidc-provider sees it, for the Hub's clients:
 *
 * - `@huggingface/hub`'s `oauthHandleRedirect` exchanges a code without `client_id` (the Hub knows the
 *   client from the code): for a public client, the client id is taken from the code's record.
 * - `hf auth login` asks for a device code with no `scope`: the app's registered scopes are used, as
 *   the Hub does for its first-party client.
 * - RFC 8628 §3.5 `slow_down`: a device code polled again within its interval is answered `slow_down`
 *   and its interval grows by 5 s (the provider leaves this to its host). Counted in the database, so
 *   it holds across processes.
 * - The device page is the Hub's `GET /oauth/device` (the provider's is /oauth/device/verify), and the
 *   device authorization answer names it, with the RFC's default `interval` of 5.
 *
 * For the two endpoints that need it (token, device authorization) the form is read here, within the
 * provider's own bound (56 KiB, matching its Content-Length), and handed to the provider parsed (its
 * documented path for a body read upstream). Every other body is left to the provider.
 */
import type { IncomingMessage } from "node:http";
import { errors, type KoaContextLike } from "oidc-provider";
import { recordKey } from "../auth/oauth-adapter.ts";
import { DEVICE_GRANT } from "../auth/oauth-clients.ts";
import type { Context } from "../context.ts";
import { findClient } from "../store/oauth-clients.ts";
import { findRecord, notePoll } from "../store/oauth-records.ts";

export const OAUTH_ERRORS = errors;

const LIMIT = 56 * 1024;
const DEVICE_INTERVAL = 5;
const TOKEN_PATH = "/oauth/token";
const DEVICE_PATH = "/oauth/device";
const VERIFY_PATH = "/oauth/device/verify";

type Form = Record<string, string | string[]>;

export async function completeOAuthRequest(ctx: Context, koa: KoaContextLike, next: () => Promise<void>) {
  if (koa.method === "GET" && koa.path === DEVICE_PATH) koa.path = VERIFY_PATH;
  const isToken = koa.method === "POST" && koa.path === TOKEN_PATH;
  const isDevice = koa.method === "POST" && koa.path === DEVICE_PATH;
  if ((isToken || isDevice) && koa.is("application/x-www-form-urlencoded")) {
    let form: Form;
    try {
      form = await readForm(koa.req, koa.get("content-length"));
    } catch {
      return oauthError(koa, 400, "invalid_request", "failed to parse the request body");
    }
    if (isToken && (await answeredEarly(ctx, koa, form))) return;
    if (isDevice) await defaultScope(ctx, form);
    koa.req.body = form;
  }
  await next();
  // A path or method the provider does not serve: answer like the rest of the API, in JSON.
  if (koa.status >= 400 && (koa.body === undefined || koa.body === null)) {
    return oauthError(koa, koa.status, koa.status === 404 ? "not_found" : "invalid_request", "No such OAuth endpoint");
  }
  if (isDevice && koa.status === 200 && koa.body && typeof koa.body === "object") {
    const body = koa.body as Record<string, unknown>;
    for (const field of ["verification_uri", "verification_uri_complete"]) {
      if (typeof body[field] === "string") body[field] = (body[field] as string).replace(VERIFY_PATH, DEVICE_PATH);
    }
    body.interval = DEVICE_INTERVAL;
  }
}

async function readForm(req: IncomingMessage, declared: string): Promise<Form> {
  const length = declared === "" ? undefined : Number(declared);
  if (length !== undefined && (!Number.isSafeInteger(length) || length > LIMIT)) throw new Error("too large");
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > LIMIT || (length !== undefined && received > length)) throw new Error("too large");
    chunks.push(chunk);
  }
  if (length !== undefined && received !== length) throw new Error("length mismatch");
  const form: Form = {};
  for (const [key, value] of new URLSearchParams(Buffer.concat(chunks).toString("utf8"))) {
    const previous = form[key];
    form[key] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return form;
}

function one(form: Form, key: string): string | undefined {
  const value = form[key];
  return typeof value === "string" ? value : undefined;
}

/** True when this middleware answered (slow_down); fills in the client id of a public code exchange. */
async function answeredEarly(ctx: Context, koa: KoaContextLike, form: Form): Promise<boolean> {
  const grantType = one(form, "grant_type");
  if (grantType === "authorization_code" && form.client_id === undefined && koa.get("authorization") === "") {
    const code = one(form, "code");
    const stored = code
      ? await findRecord(ctx.db, recordKey(ctx.secrets.tokenKey, "AuthorizationCode", code))
      : undefined;
    const clientId = stored ? (JSON.parse(stored) as { clientId?: unknown }).clientId : undefined;
    const client = typeof clientId === "string" ? await findClient(ctx.db, clientId) : undefined;
    if (client?.isPublic) form.client_id = client.id;
  }
  if (grantType === DEVICE_GRANT) {
    const deviceCode = one(form, "device_code");
    const key = deviceCode ? recordKey(ctx.secrets.tokenKey, "DeviceCode", deviceCode) : undefined;
    const poll = key ? await notePoll(ctx.db, key, ctx.now(), DEVICE_INTERVAL) : undefined;
    if (poll?.tooEarly) {
      oauthError(koa, 400, "slow_down", `polling too fast: wait at least ${poll.interval} seconds between requests`);
      return true;
    }
  }
  return false;
}

async function defaultScope(ctx: Context, form: Form): Promise<void> {
  if (form.scope !== undefined) return;
  const clientId = one(form, "client_id");
  const client = clientId ? await findClient(ctx.db, clientId) : undefined;
  if (client) form.scope = client.scopes.join(" ");
}

function oauthError(koa: KoaContextLike, status: number, error: string, description: string): void {
  koa.status = status;
  koa.set("Cache-Control", "no-store");
  koa.body = { error, error_description: description };
}
