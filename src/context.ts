import path from "node:path";
import pino, { type Logger } from "pino";
import { AuthCaches } from "./auth/auth-caches.ts";
import { TokenUseRecorder } from "./auth/token-use-recorder.ts";
import { type Config, loadSecrets, type Secrets } from "./config.ts";
import { makePrivateDir } from "./data-dir.ts";
import { FileLfsStorage, type LfsStorage } from "./git/lfs-store.ts";
import { GitObjects } from "./git/object-service.ts";
import { ProcessSlots } from "./git/process-slots.ts";
import { RepoStorage } from "./git/repo-storage.ts";
import { TreeReader } from "./git/tree-reader.ts";
import { redactFields, redactTokens } from "./log-redaction.ts";
import { type ChangeFeed, PostgresChangeFeed, SqliteChangeFeed } from "./store/change-feed.ts";
import { type Db, type Dialect, migrateToLatest, openDatabase } from "./store/db.ts";
import { DiskObjectStore } from "./xet/object-store.ts";
import { XetLfsObjects } from "./xet/xet-lfs-objects.ts";
import type { XetStorage } from "./xet/xet-storage.ts";

/** How long a request may wait for a git process before it is told to come back (503). */
const GIT_QUEUE_WAIT_MS = 30_000;

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
  /** Long-lived `git cat-file --batch-command` per repository: objects read with no process per request. */
  readonly objects: GitObjects;
  /** Parsed commit trees, cached by repo and commit (a commit's tree never changes). */
  readonly trees: TreeReader;
  readonly logger: Logger;
  /** git smart-HTTP processes (clone, fetch, push): capped, queued, then refused (process-slots.ts). */
  readonly gitSlots: ProcessSlots;
  /** `git cat-file` processes that stream blobs to downloads, capped the same way. */
  readonly blobSlots: ProcessSlots;
  /** Announcements of changed rows, from any process (store/change-feed.ts). */
  readonly changes: ChangeFeed;
  /** Tokens and repo lookups in memory, dropped the moment the database announces a change. */
  readonly caches: AuthCaches;
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
  // Before anything is written into it: the token key, the database, the repositories.
  const looserMode = makePrivateDir(config.dataDir);
  const secrets = overrides.secrets ?? loadSecrets(config);
  const opened = await openDatabase({
    url: config.databaseUrl,
    sqlitePath: path.join(config.dataDir, "berth.sqlite"),
    ...(overrides.pgSchema ? { pgSchema: overrides.pgSchema } : {}),
    ...(overrides.trace ? { trace: overrides.trace } : {}),
  });
  const { db, dialect } = opened;
  await migrateToLatest(db);
  const logger =
    overrides.logger ??
    pino({
      level: config.logLevel,
      // Credentials never reach a log line: headers are redacted by path, token-shaped strings (plain or
      // percent-encoded) in messages, in the string fields of a call, in a logged request's URL and in
      // logged errors (a git or database message may quote a URL or a value) are masked.
      serializers: {
        err: (error: Error) => JSON.parse(redactTokens(JSON.stringify(pino.stdSerializers.err(error)))),
        req: (req: Parameters<typeof pino.stdSerializers.req>[0]) => {
          const serialized = pino.stdSerializers.req(req);
          return { ...serialized, url: redactTokens(String(serialized.url ?? "")) };
        },
      },
      redact: {
        paths: ["req.headers.authorization", "req.headers.cookie", 'res.headers["set-cookie"]'],
        censor: "[redacted]",
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) =>
              typeof arg === "string"
                ? redactTokens(arg)
                : arg !== null && typeof arg === "object" && !(arg instanceof Error)
                  ? redactFields(arg)
                  : arg,
            ) as Parameters<typeof method>,
          );
        },
      },
    });
  if (looserMode !== undefined) {
    logger.warn(
      { dataDir: config.dataDir, mode: looserMode.toString(8) },
      "The data directory was open to other users of this machine; it is now 0700 (owner only)",
    );
  }
  const tokenUses = new TokenUseRecorder(db, logger);
  const objects = new GitObjects();
  const changes = await openChangeFeed(opened, logger);
  const now = overrides.now ?? (() => new Date());
  const xet: XetStorage = { db, objects: new DiskObjectStore(config.dataDir), now };
  return {
    config,
    secrets,
    db,
    dialect,
    storage: new RepoStorage(config.dataDir, objects),
    lfs: new FileLfsStorage(config.dataDir, new XetLfsObjects(xet)),
    xet,
    objects,
    trees: new TreeReader(objects),
    logger,
    tokenUses,
    gitSlots: new ProcessSlots(config.gitMaxProcesses, config.gitQueueLength, GIT_QUEUE_WAIT_MS),
    // Blob reads are short for the small files that are most of them: more at once, same queue rules.
    blobSlots: new ProcessSlots(config.gitMaxProcesses * 4, config.gitQueueLength * 4, GIT_QUEUE_WAIT_MS),
    now,
    changes,
    caches: new AuthCaches(changes),
    async close() {
      await tokenUses.close();
      objects.close();
      await changes.close();
      await opened.close();
    },
  };
}

function openChangeFeed(
  opened: Awaited<ReturnType<typeof openDatabase>>,
  logger: Logger,
): Promise<ChangeFeed> | ChangeFeed {
  if (opened.sqlite) return new SqliteChangeFeed(opened.sqlite);
  if (opened.postgres) return PostgresChangeFeed.start(opened.postgres.url, opened.postgres.options, logger);
  throw new Error("a database is either SQLite or PostgreSQL");
}
