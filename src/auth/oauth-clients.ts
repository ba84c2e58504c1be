/**
 * OAuth apps: registered by users and orgs, plus the built-in public client `hf auth login` uses.
 *
 * Client secret: 32 random bytes, base64url, prefixed `berth_cs_`; shown once, at creation or rotation.
 * Stored: HMAC-SHA-256(server key, "client-secret:" + secret) and a hint (last 4). Compared: the
 * presented secret is hashed the same way and the digests are compared in constant time
 * (`secretMatches`, installed as the provider's comparison). Lives until rotated or the app is deleted.
 *
 * Redirect URIs are matched exactly, except that an app whose every redirect URI is a loopback
 * `http://127.0.0.1`, `http://[::1]` or `http://localhost` address or a private-use scheme is a
 * native app (RFC 8252): its loopback URIs match on any port.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "../context.ts";
import { CLI_DEFAULT_SCOPES, isOAuthScope } from "../domain/oauth-scopes.ts";
import { hashSecret } from "../domain/token-format.ts";
import { HubError } from "../errors.ts";
import {
  deleteClient,
  findClient,
  insertClient,
  type OAuthClient,
  updateClientSecret,
} from "../store/oauth-clients.ts";

/** `DEVICE_CODE_OAUTH_CLIENT_ID` of huggingface_hub: `hf auth login` sends it unless told otherwise. */
export const HF_CLI_CLIENT_ID = "26be6b09-91c5-47da-9861-d2d2bb7a7e36";

export const MAX_APP_NAME = 100;
const MAX_REDIRECT_URIS = 20;
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

function builtinCliClient(now: Date): OAuthClient {
  return {
    id: HF_CLI_CLIENT_ID,
    owner: { kind: "builtin" },
    name: "huggingface_hub (hf auth login)",
    homepage: undefined,
    redirectUris: [],
    scopes: [...CLI_DEFAULT_SCOPES, "offline_access"],
    isPublic: true,
    secretHash: undefined,
    secretHint: undefined,
    createdAt: now,
    updatedAt: now,
  };
}

/** Writes the built-in clients once; an existing row is left as the administrator may have it. */
export async function ensureBuiltinClients(ctx: Context): Promise<void> {
  await insertClient(ctx.db, builtinCliClient(ctx.now()));
}

export function isNativeApp(redirectUris: readonly string[]): boolean {
  return (
    redirectUris.length > 0 &&
    redirectUris.every((uri) => {
      const url = new URL(uri);
      if (url.protocol === "http:") return LOOPBACK_HOSTS.has(url.hostname);
      return url.protocol !== "https:";
    })
  );
}

/** What oidc-provider sees of an app. The secret is its hash: `secretMatches` compares against it. */
export function clientMetadata(client: OAuthClient): Record<string, unknown> {
  const builtin = client.owner.kind === "builtin";
  return {
    client_id: client.id,
    client_name: client.name,
    ...(client.homepage ? { client_uri: client.homepage } : {}),
    redirect_uris: [...client.redirectUris],
    grant_types:
      client.redirectUris.length > 0
        ? ["authorization_code", "refresh_token", DEVICE_GRANT]
        : ["refresh_token", DEVICE_GRANT],
    response_types: client.redirectUris.length > 0 ? ["code"] : [],
    application_type: builtin || isNativeApp(client.redirectUris) ? "native" : "web",
    scope: client.scopes.join(" "),
    ...(client.isPublic || !client.secretHash
      ? { token_endpoint_auth_method: "none" }
      : { token_endpoint_auth_method: "client_secret_basic", client_secret: client.secretHash }),
  };
}

export function secretMatches(tokenKey: Buffer, storedHash: string | undefined, presented: string): boolean {
  if (!storedHash) return false;
  const expected = Buffer.from(storedHash);
  const actual = Buffer.from(hashSecret(tokenKey, `client-secret:${presented}`));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export interface AppRequest {
  readonly name: string;
  readonly homepage?: string | undefined;
  readonly redirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly isPublic: boolean;
}

/** Problems with an app's registration, one message each. */
export function appProblems(request: AppRequest): string[] {
  const problems: string[] = [];
  const name = request.name.trim();
  if (name.length === 0 || name.length > MAX_APP_NAME) problems.push(`A name must be 1 to ${MAX_APP_NAME} characters`);
  if (request.redirectUris.length === 0) problems.push("Give at least one redirect URI");
  if (request.redirectUris.length > MAX_REDIRECT_URIS) problems.push(`At most ${MAX_REDIRECT_URIS} redirect URIs`);
  for (const uri of request.redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) problems.push(problem);
  }
  if (request.homepage && !/^https?:\/\/\S+$/.test(request.homepage))
    problems.push("The homepage must be an http(s) URL");
  for (const scope of request.scopes) if (!isOAuthScope(scope)) problems.push(`Unknown scope "${scope.slice(0, 100)}"`);
  return problems;
}

function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `"${uri.slice(0, 200)}" is not a URL`;
  }
  if (uri.length > 2000) return "A redirect URI must be at most 2000 characters";
  if (url.hash) return `"${uri.slice(0, 200)}" must not have a fragment`;
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.has(url.hostname)) {
    return `"${uri.slice(0, 200)}" must use https (plain http is for loopback addresses only)`;
  }
  if (["javascript:", "data:", "file:", "vbscript:"].includes(url.protocol))
    return `"${uri.slice(0, 200)}" has a forbidden scheme`;
  return undefined;
}

function newSecret(tokenKey: Buffer): { secret: string; hash: string; hint: string } {
  const secret = `berth_cs_${randomBytes(32).toString("base64url")}`;
  return { secret, hash: hashSecret(tokenKey, `client-secret:${secret}`), hint: `…${secret.slice(-4)}` };
}

export async function registerApp(
  ctx: Context,
  owner: { kind: "user" | "org"; id: string },
  request: AppRequest,
): Promise<{ client: OAuthClient; secret: string | undefined }> {
  const problems = appProblems(request);
  if (problems.length > 0) throw new HubError("BadRequest", problems.join("; "));
  const now = ctx.now();
  const secret = request.isPublic ? undefined : newSecret(ctx.secrets.tokenKey);
  const client: OAuthClient = {
    id: crypto.randomUUID(),
    owner,
    name: request.name.trim(),
    homepage: request.homepage || undefined,
    redirectUris: [...new Set(request.redirectUris)],
    scopes: [...new Set(["openid", ...request.scopes])],
    isPublic: request.isPublic,
    secretHash: secret?.hash,
    secretHint: secret?.hint,
    createdAt: now,
    updatedAt: now,
  };
  await insertClient(ctx.db, client);
  return { client, secret: secret?.secret };
}

/** A new secret for the app; the old one stops working at once. */
export async function rotateAppSecret(ctx: Context, clientId: string): Promise<string> {
  const secret = newSecret(ctx.secrets.tokenKey);
  if (!(await updateClientSecret(ctx.db, clientId, secret, ctx.now()))) throw new HubError("NotFound", "App not found");
  return secret.secret;
}

export async function getApp(ctx: Context, clientId: string): Promise<OAuthClient> {
  const client = /^[0-9a-f-]{36}$/.test(clientId) ? await findClient(ctx.db, clientId) : undefined;
  if (!client || client.owner.kind === "builtin") throw new HubError("NotFound", "App not found");
  return client;
}

export async function deleteApp(ctx: Context, clientId: string): Promise<void> {
  if (!(await deleteClient(ctx.db, clientId))) throw new HubError("NotFound", "App not found");
}
