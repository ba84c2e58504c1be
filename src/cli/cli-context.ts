import pino from "pino";
import { type Config, type ConfigOverrides, loadConfig } from "../config.ts";
import { type Context, createContext } from "../context.ts";
import { nameProblem } from "../domain/names.ts";

/** The options every command accepts, before or after its name. */
export interface GlobalOptions {
  readonly dataDir?: string | undefined;
  readonly databaseUrl?: string | undefined;
}

/**
 * A mistake in the command line itself: exit 2, like commander's own errors. Failures that depend on
 * the data (an unknown user, a taken name) are HubErrors and exit 1.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Config from the global options, falling back to BERTH_DATA_DIR / BERTH_DATABASE_URL inside loadConfig. */
export function cliConfig(options: GlobalOptions, overrides: ConfigOverrides = {}): Config {
  return loadConfig({
    ...overrides,
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
  });
}

/**
 * Opens the same database and token key the server uses (migrating it if needed), runs `work`, and
 * closes the database so the process exits at once. Logs go to stderr: stdout carries only the
 * command's output, which scripts capture (a token value).
 */
export async function withContext<T>(options: GlobalOptions, work: (ctx: Context) => Promise<T>): Promise<T> {
  const config = cliConfig(options);
  const logger = pino({ level: "warn" }, pino.destination({ fd: 2, sync: true }));
  const ctx = await createContext(config, { logger });
  try {
    return await work(ctx);
  } finally {
    await ctx.close();
  }
}

/** Reads all of stdin (for `--password-stdin`); one trailing newline, as `echo` adds, is not part of it. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** A user, org or token-owner name as the Hub accepts it, or a UsageError saying what is wrong. */
export function checkName(name: string, what: string): string {
  const problem = nameProblem(name, what);
  if (problem) throw new UsageError(problem);
  return name;
}
