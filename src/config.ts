import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
}

export interface Secrets {
  /** HMAC key for token and session hashes. Never in the database, never logged. */
  readonly tokenKey: Buffer;
}

export interface ConfigOverrides extends Partial<Omit<Config, "publicUrl" | "secureCookies">> {
  publicUrl?: string | undefined;
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
    return Object.freeze({ tokenKey: Buffer.from(fromEnv, "utf8") });
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
  return Object.freeze({ tokenKey: Buffer.from(readFileSync(file, "utf8").trim(), "utf8") });
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
