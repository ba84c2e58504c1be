import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";

/**
 * The only reader of process.env. Everything else receives a frozen Config (what the server does) and
 * Secrets (what it signs and hashes with), so tests can build both by hand.
 */
export interface Config {
  readonly dataDir: string;
  /** `postgres://…` for PostgreSQL; undefined means SQLite at `<dataDir>/berth.sqlite`. */
  readonly databaseUrl: string | undefined;
  readonly host: string;
  readonly port: number;
  /** Base URL the clients see, without a trailing slash: used in `url`, `Link` and clone URLs. */
  readonly publicUrl: string;
  readonly allowSignup: boolean;
  /** Largest JSON body accepted on the API, in bytes. */
  readonly bodyLimit: number;
  readonly logLevel: string;
  /** Session cookies get `Secure` when the public URL is https. */
  readonly secureCookies: boolean;
  readonly sessionTtlSeconds: number;
  /** Failed sign-ins allowed per account and per address in `loginWindowSeconds`. */
  readonly loginMaxFailures: number;
  readonly loginWindowSeconds: number;
  /** Bytes of request bodies the process may hold in memory at once (BERTH_BODY_MEMORY_MB). */
  readonly bodyMemoryBudget: number;
  /** A body held in memory must arrive whole within this (BERTH_BODY_TIMEOUT_SECONDS). */
  readonly bodyTimeoutSeconds: number;
  /** A connection with no traffic either way for this long is closed (BERTH_IDLE_TIMEOUT_SECONDS). */
  readonly idleTimeoutSeconds: number;
  /** The request line and headers must arrive within this (BERTH_HEADERS_TIMEOUT_SECONDS). */
  readonly headersTimeoutSeconds: number;
  /** git smart-HTTP processes at once (BERTH_GIT_MAX_PROCESSES); more requests wait in a queue. */
  readonly gitMaxProcesses: number;
  /** Requests that may wait for a git process (BERTH_GIT_QUEUE); beyond it, 503. */
  readonly gitQueueLength: number;
  /** Largest push, after decompression (BERTH_GIT_MAX_PUSH_MB). */
  readonly gitMaxPushBytes: number;
  /** Server processes `berth serve` runs on the one port (BERTH_WORKERS; default: the cores). */
  readonly workers: number;
  /** OAuth (issue 12): lifetime of an app's access token (BERTH_OAUTH_ACCESS_TOKEN_HOURS, default 8). */
  readonly oauthAccessTokenTtlSeconds: number;
  /** Lifetime of the access token `hf auth login` gets, renewed by refresh (default 30 days, as the Hub). */
  readonly oauthCliAccessTokenTtlSeconds: number;
  /** Signing keys are replaced after this many days (BERTH_OIDC_KEY_ROTATION_DAYS, default 90). */
  readonly oidcKeyRotationDays: number;
  /** Sign-in with a password; off with BERTH_PASSWORD_SIGNIN=off, when SSO is the only way in. */
  readonly passwordSignIn: boolean;
  /** Sign-in through an external OpenID Connect provider (BERTH_OIDC_*), or undefined. */
  readonly sso: SsoConfig | undefined;
  /** Remote images a model card may load (BERTH_CARD_IMAGE_ORIGINS); none unless the admin allows them. */
  readonly cardImages: RemoteImages;
}

/** SSO: Berth as a relying party. The client secret is in Secrets. */
export interface SsoConfig {
  /** BERTH_OIDC_ISSUER: the provider's issuer URL (its discovery document is read from it). */
  readonly issuer: string;
  /** BERTH_OIDC_CLIENT_ID. */
  readonly clientId: string;
  /** BERTH_OIDC_SCOPES, default `openid profile email`. */
  readonly scopes: string;
  /** BERTH_OIDC_GROUPS_CLAIM, default `groups`: the claim listing the person's groups. */
  readonly groupsClaim: string;
  /**
   * BERTH_OIDC_GROUP_MAP: `group=org:role` pairs, comma-separated (`eng=acme:write,leads=acme:admin`).
   * At every SSO sign-in the person's role in each mapped org is the highest their groups give; a
   * person in none of an org's groups is removed from it. Orgs not named here are left alone.
   */
  readonly groupMappings: readonly GroupMapping[];
  /** BERTH_OIDC_LABEL: the button's text, default "Sign in with SSO". */
  readonly label: string;
  /** BERTH_OIDC_ALLOW_HTTP=1 lets the issuer be plain http (a provider on this machine, tests). */
  readonly allowHttp: boolean;
}

export interface GroupMapping {
  readonly group: string;
  readonly org: string;
  readonly role: "read" | "contributor" | "write" | "admin";
}

/** Which remote images a card may load: none, any https origin, or a list of https origins. */
export type RemoteImages =
  | { readonly type: "none" }
  | { readonly type: "any" }
  | { readonly type: "origins"; readonly origins: readonly string[] };

export interface Secrets {
  /** HMAC key for token and session hashes. Never in the database, never logged. */
  readonly tokenKey: Buffer;
  /** BERTH_OIDC_CLIENT_SECRET: Berth's secret at the SSO provider, when it has one. */
  readonly oidcClientSecret?: string | undefined;
}

export interface ConfigOverrides extends Partial<Omit<Config, "publicUrl" | "secureCookies" | "sso">> {
  publicUrl?: string | undefined;
  sso?: SsoConfig | undefined;
}

const truthy = new Set(["1", "true", "yes", "on"]);

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(overrides.dataDir ?? env.BERTH_DATA_DIR ?? "./data");
  const host = overrides.host ?? env.BERTH_HOST ?? "127.0.0.1";
  const port = overrides.port ?? parsePort(env.BERTH_PORT ?? "8080");
  const publicUrl = stripSlash(overrides.publicUrl ?? env.BERTH_PUBLIC_URL ?? `http://${urlHost(host)}:${port}`);
  return Object.freeze({
    dataDir,
    databaseUrl: overrides.databaseUrl ?? (env.BERTH_DATABASE_URL || undefined),
    host,
    port,
    publicUrl,
    allowSignup: overrides.allowSignup ?? truthy.has((env.BERTH_ALLOW_SIGNUP ?? "").toLowerCase()),
    bodyLimit: overrides.bodyLimit ?? 1024 * 1024,
    logLevel: overrides.logLevel ?? env.BERTH_LOG_LEVEL ?? "info",
    secureCookies: publicUrl.startsWith("https://"),
    sessionTtlSeconds: overrides.sessionTtlSeconds ?? 14 * 24 * 3600,
    loginMaxFailures: overrides.loginMaxFailures ?? 10,
    loginWindowSeconds: overrides.loginWindowSeconds ?? 15 * 60,
    bodyMemoryBudget: overrides.bodyMemoryBudget ?? positive(env, "BERTH_BODY_MEMORY_MB", 512) * 1024 * 1024,
    bodyTimeoutSeconds: overrides.bodyTimeoutSeconds ?? positive(env, "BERTH_BODY_TIMEOUT_SECONDS", 300),
    idleTimeoutSeconds: overrides.idleTimeoutSeconds ?? positive(env, "BERTH_IDLE_TIMEOUT_SECONDS", 120),
    headersTimeoutSeconds: overrides.headersTimeoutSeconds ?? positive(env, "BERTH_HEADERS_TIMEOUT_SECONDS", 20),
    gitMaxProcesses:
      overrides.gitMaxProcesses ?? positive(env, "BERTH_GIT_MAX_PROCESSES", Math.max(4, 2 * availableParallelism())),
    gitQueueLength: overrides.gitQueueLength ?? positive(env, "BERTH_GIT_QUEUE", 64),
    gitMaxPushBytes: overrides.gitMaxPushBytes ?? positive(env, "BERTH_GIT_MAX_PUSH_MB", 100 * 1024) * 1024 * 1024,
    workers: overrides.workers ?? positive(env, "BERTH_WORKERS", availableParallelism()),
    oauthAccessTokenTtlSeconds:
      overrides.oauthAccessTokenTtlSeconds ?? positive(env, "BERTH_OAUTH_ACCESS_TOKEN_HOURS", 8) * 3600,
    oauthCliAccessTokenTtlSeconds: overrides.oauthCliAccessTokenTtlSeconds ?? 30 * 24 * 3600,
    oidcKeyRotationDays: overrides.oidcKeyRotationDays ?? positive(env, "BERTH_OIDC_KEY_ROTATION_DAYS", 90),
    passwordSignIn:
      overrides.passwordSignIn ??
      !["0", "false", "no", "off"].includes((env.BERTH_PASSWORD_SIGNIN ?? "").toLowerCase()),
    sso: "sso" in overrides ? overrides.sso : ssoFromEnv(env),
    cardImages: overrides.cardImages ?? parseCardImages(env.BERTH_CARD_IMAGE_ORIGINS),
  });
}

function ssoFromEnv(env: NodeJS.ProcessEnv): SsoConfig | undefined {
  const issuer = env.BERTH_OIDC_ISSUER;
  if (!issuer) return undefined;
  const clientId = env.BERTH_OIDC_CLIENT_ID;
  if (!clientId) throw new Error("BERTH_OIDC_ISSUER needs BERTH_OIDC_CLIENT_ID");
  return {
    issuer: stripSlash(issuer),
    clientId,
    scopes: env.BERTH_OIDC_SCOPES || "openid profile email",
    groupsClaim: env.BERTH_OIDC_GROUPS_CLAIM || "groups",
    groupMappings: parseGroupMap(env.BERTH_OIDC_GROUP_MAP ?? ""),
    label: env.BERTH_OIDC_LABEL || "Sign in with SSO",
    allowHttp: truthy.has((env.BERTH_OIDC_ALLOW_HTTP ?? "").toLowerCase()),
  };
}

const MAPPING = /^([^=,]+)=([A-Za-z0-9][A-Za-z0-9._-]*):(read|contributor|write|admin)$/;

/** `group=org:role,…`; a malformed pair stops the start with a message naming it. */
export function parseGroupMap(text: string): GroupMapping[] {
  return text
    .split(",")
    .map((pair) => pair.trim())
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const match = MAPPING.exec(pair);
      if (!match?.[1] || !match[2] || !match[3]) {
        throw new Error(
          `BERTH_OIDC_GROUP_MAP: "${pair}" is not group=org:role (role read, contributor, write or admin)`,
        );
      }
      return { group: match[1].trim(), org: match[2], role: match[3] as GroupMapping["role"] };
    });
}

/**
 * The token key comes from BERTH_SECRET (hex or any string of 32+ characters) or from
 * `<dataDir>/secret.key`, created with mode 0600 on first use. Several processes on one PostgreSQL
 * must share it, so a multi-machine site sets BERTH_SECRET.
 */
export function loadSecrets(config: Config, env: NodeJS.ProcessEnv = process.env): Secrets {
  const fromEnv = env.BERTH_SECRET;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (fromEnv.length < 32) throw new Error("BERTH_SECRET must be at least 32 characters");
    return Object.freeze({ tokenKey: Buffer.from(fromEnv, "utf8"), oidcClientSecret: env.BERTH_OIDC_CLIENT_SECRET });
  }
  const file = path.join(config.dataDir, "secret.key");
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(32).toString("hex"), { flag: "wx", mode: 0o600 });
    } catch (error) {
      // Another process created it between our check and our write: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    chmodSync(file, 0o600);
  }
  return Object.freeze({
    tokenKey: Buffer.from(readFileSync(file, "utf8").trim(), "utf8"),
    oidcClientSecret: env.BERTH_OIDC_CLIENT_SECRET,
  });
}

/** A positive integer from the environment, or the default; anything else stops the start with a message. */
function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not "${text}"`);
  return value;
}

/**
 * BERTH_CARD_IMAGE_ORIGINS: empty or `none` (cards load no remote image: a visitor's address is never
 * handed to another site), `*` (any https origin), or a comma-separated list of https origins.
 */
export function parseCardImages(value: string | undefined): RemoteImages {
  const text = (value ?? "").trim();
  if (text === "" || text === "none") return { type: "none" };
  if (text === "*") return { type: "any" };
  const origins = text.split(",").map((item) => {
    const entry = item.trim();
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`BERTH_CARD_IMAGE_ORIGINS: "${entry}" is not a URL; use e.g. https://images.example.com`);
    }
    if (url.protocol !== "https:" || url.origin !== entry.replace(/\/+$/, "")) {
      throw new Error(
        `BERTH_CARD_IMAGE_ORIGINS: "${entry}" must be an https origin such as https://images.example.com`,
      );
    }
    return url.origin;
  });
  return { type: "origins", origins };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${value}`);
  return port;
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
