/**
 * Announcements of changed rows (migration 014), for the in-memory caches of authentication and
 * authorization (auth/auth-caches.ts). A cache may trust an entry only while its feed is `live`:
 *
 * - SQLite: `sync()` runs one statement per call (~2 µs): the newest event id, a lookup at the end of
 *   the table's primary key, which sees every commit of every process (WAL readers see the latest
 *   commit). Only when it moved are the new `change_event` rows read. So a revocation by the CLI or
 *   another worker is seen by the very next request, with no delay at all.
 * - PostgreSQL: a dedicated connection LISTENs on `berth_change`; the triggers' notifications arrive as
 *   their transactions commit. While that connection is down the feed is not live (caches are bypassed)
 *   and every cache is emptied when it comes back, so nothing missed in between can survive.
 *   A request answers from memory only after a barrier: a round trip on the listening connection, which
 *   PostgreSQL answers only after it has sent that connection every notification of a transaction that
 *   committed before (one `select 1`, shared by all requests that arrive while it is prepared). So a
 *   change committed by any process before a request began is applied before that request is answered:
 *   immediate, not "soon".
 */
import type SqliteDatabase from "better-sqlite3";
import pg from "pg";
import type { Logger } from "pino";

export interface ChangeEvent {
  readonly topic: string;
  readonly ref1: string;
  readonly ref2: string;
}

export interface ChangeSubscriber {
  /** One changed row. */
  change(event: ChangeEvent): void;
  /** Anything may have changed: drop everything. */
  reset(): void;
}

export interface ChangeFeed {
  /** Whether caches may answer from memory right now. */
  readonly live: boolean;
  /**
   * Brings subscribers up to date with every change that reached this process before the call: at once
   * on SQLite (undefined), after the pending I/O has been read on PostgreSQL (a promise).
   */
  settle(): Promise<void> | undefined;
  subscribe(subscriber: ChangeSubscriber): void;
  close(): Promise<void>;
}

/** Events kept in `change_event`; older ones are pruned (a process further behind resets instead). */
const KEEP_EVENTS = 50_000;

export class SqliteChangeFeed implements ChangeFeed {
  readonly live = true;
  readonly #subscribers: ChangeSubscriber[] = [];
  readonly #probe: SqliteDatabase.Statement;
  readonly #read: SqliteDatabase.Statement;
  readonly #bounds: SqliteDatabase.Statement;
  readonly #prune: SqliteDatabase.Statement;
  #lastId = 0;

  constructor(sqlite: SqliteDatabase.Database) {
    this.#probe = sqlite.prepare("select coalesce(max(id), 0) as high from change_event");
    this.#read = sqlite.prepare("select id, topic, ref1, ref2 from change_event where id > ? order by id limit 10000");
    this.#bounds = sqlite.prepare("select coalesce(min(id), 0) as low, coalesce(max(id), 0) as high from change_event");
    this.#prune = sqlite.prepare("delete from change_event where id <= ?");
    this.#lastId = (this.#probe.get() as { high: number }).high;
  }

  subscribe(subscriber: ChangeSubscriber): void {
    this.#subscribers.push(subscriber);
  }

  settle(): undefined {
    this.sync();
    return undefined;
  }

  sync(): void {
    if ((this.#probe.get() as { high: number }).high === this.#lastId) return;
    const { low, high } = this.#bounds.get() as { low: number; high: number };
    if (high < this.#lastId || (low > this.#lastId + 1 && this.#lastId > 0)) {
      // Pruned past us, or the table was rebuilt: we cannot know what we missed.
      this.#lastId = high;
      for (const subscriber of this.#subscribers) subscriber.reset();
      return;
    }
    for (;;) {
      const rows = this.#read.all(this.#lastId) as (ChangeEvent & { id: number })[];
      for (const row of rows) {
        for (const subscriber of this.#subscribers) subscriber.change(row);
        this.#lastId = row.id;
      }
      if (rows.length < 10000) break;
    }
    if (high - low > 2 * KEEP_EVENTS) this.#prune.run(high - KEEP_EVENTS);
  }

  async close(): Promise<void> {}
}

export class PostgresChangeFeed implements ChangeFeed {
  #live = false;
  #closed = false;
  #client: pg.Client | undefined;
  readonly #subscribers: ChangeSubscriber[] = [];
  readonly #url: string;
  readonly #schemaOptions: string | undefined;
  readonly #logger: Logger;
  /** The barrier requests are joining, not yet sent. */
  #barrier: { promise: Promise<void>; resolve: () => void } | undefined;

  private constructor(url: string, schemaOptions: string | undefined, logger: Logger) {
    this.#url = url;
    this.#schemaOptions = schemaOptions;
    this.#logger = logger;
  }

  /** Listens before it returns, so the first request already has a live feed. */
  static async start(url: string, schemaOptions: string | undefined, logger: Logger): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(url, schemaOptions, logger);
    await feed.#connect().catch((error: unknown) => {
      logger.warn({ err: error }, "change feed: cannot listen yet; caches stay off until it can");
      feed.#retry();
    });
    return feed;
  }

  get live(): boolean {
    return this.#live;
  }

  /** Resolves once every change committed before the call has been applied (see the header). */
  settle(): Promise<void> {
    const client = this.#client;
    if (!client) return Promise.resolve();
    if (!this.#barrier) {
      let resolve = () => {};
      const promise = new Promise<void>((done) => {
        resolve = done;
      });
      const barrier = { promise, resolve };
      this.#barrier = barrier;
      // Requests that arrive in this same turn share the round trip.
      queueMicrotask(() => {
        if (this.#barrier === barrier) this.#barrier = undefined;
        // A failed round trip means a lost connection: `live` is then false, which callers check next.
        client.query("select 1").then(
          () => barrier.resolve(),
          () => barrier.resolve(),
        );
      });
    }
    return this.#barrier.promise;
  }

  subscribe(subscriber: ChangeSubscriber): void {
    this.#subscribers.push(subscriber);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#url,
      ...(this.#schemaOptions ? { options: this.#schemaOptions } : {}),
    });
    client.on("notification", (message) => {
      if (message.channel !== "berth_change" || message.payload === undefined) return;
      const [topic = "", ref1 = "", ref2 = ""] = message.payload.split(" ");
      for (const subscriber of this.#subscribers) subscriber.change({ topic, ref1, ref2 });
    });
    const lost = (error?: Error) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#live = false;
      if (!this.#closed) {
        this.#logger.warn(
          { err: error },
          "change feed: lost the listening connection; caches are off until it is back",
        );
        this.#retry();
      }
    };
    client.on("error", lost);
    client.on("end", () => lost());
    await client.connect();
    await client.query("listen berth_change");
    this.#client = client;
    // Whatever changed while nobody listened is unknown: start from nothing.
    for (const subscriber of this.#subscribers) subscriber.reset();
    this.#live = true;
  }

  #retry(): void {
    const timer = setTimeout(() => {
      if (this.#closed) return;
      this.#connect().catch(() => this.#retry());
    }, 1000);
    timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#live = false;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
