import path from "node:path";
import pino, { type Logger } from "pino";
import { TokenUseRecorder } from "./auth/token-use-recorder.ts";
import { type Config, loadSecrets, type Secrets } from "./config.ts";
import { FileLfsStorage, type LfsStorage } from "./git/lfs-store.ts";
import { RepoStorage } from "./git/repo-storage.ts";
import { TreeReader } from "./git/tree-reader.ts";
import { redactTokens } from "./log-redaction.ts";
import { type Db, type Dialect, migrateToLatest, openDatabase } from "./store/db.ts";
import { DiskObjectStore } from "./xet/object-store.ts";
import { XetLfsObjects } from "./xet/xet-lfs-objects.ts";
import type { XetStorage } from "./xet/xet-storage.ts";

/** Everything a request handler, git handler or CLI command needs, wired by hand. */
export interface Context {
  readonly config: Config;
  readonly secrets: Secrets;
  readonly db: Db;
  readonly dialect: Dialect;
  readonly storage: RepoStorage;
  readonly lfs: LfsStorage;
  /** Xet storage: xorb bytes in the object store, their index in the database. */
  readonly xet: XetStorage;
  /** Parsed commit trees, cached by repo and commit (a commit's tree never changes). */
  readonly trees: TreeReader;
  readonly logger: Logger;
  /** Batches last-used writes of tokens off the request path. */
  readonly tokenUses: TokenUseRecorder;
  /** The clock, a seam for tests of expiry and throttling. */
  now(): Date;
  close(): Promise<void>;
}

export interface ContextOverrides {
  secrets?: Secrets;
  logger?: Logger;
  now?: () => Date;
  /** PostgreSQL schema (tests give each run its own). */
  pgSchema?: string;
  /** Sees each SQLite statement as it runs. */
  trace?: (sql: string) => void;
}

export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<Context> {
  const secrets = overrides.secrets ?? loadSecrets(config);
  const { db, dialect, close } = await openDatabase({
    url: config.databaseUrl,
    sqlitePath: path.join(config.dataDir, "berth.sqlite"),
    ...(overrides.pgSchema ? { pgSchema: overrides.pgSchema } : {}),
    ...(overrides.trace ? { trace: overrides.trace } : {}),
  });
  await migrateToLatest(db);
  const logger =
    overrides.logger ??
    pino({
      level: config.logLevel,
      // Credentials never reach a log line: headers are redacted by path, token-shaped strings in messages
      // and in logged errors (a git or database message may quote a URL or a value) are masked.
      serializers: {
        err: (error: Error) => JSON.parse(redactTokens(JSON.stringify(pino.stdSerializers.err(error)))),
      },
      redact: {
        paths: ["req.headers.authorization", "req.headers.cookie", 'res.headers["set-cookie"]'],
        censor: "[redacted]",
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === "string" ? redactTokens(arg) : arg)) as Parameters<typeof method>,
          );
        },
      },
    });
  const tokenUses = new TokenUseRecorder(db, logger);
  const now = overrides.now ?? (() => new Date());
  const xet: XetStorage = { db, objects: new DiskObjectStore(config.dataDir), now };
  return {
    config,
    secrets,
    db,
    dialect,
    storage: new RepoStorage(config.dataDir),
    lfs: new FileLfsStorage(config.dataDir, new XetLfsObjects(xet)),
    xet,
    trees: new TreeReader(),
    logger,
    tokenUses,
    now,
    async close() {
      await tokenUses.close();
      await close();
    },
  };
}
