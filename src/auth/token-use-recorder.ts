import type { Logger } from "pino";
import type { Db } from "../store/db.ts";
import { recordTokenUses, type TokenUse } from "../store/tokens.ts";

/**
 * Last-used records (time, address, user agent), written off the request path: uses are collected in
 * memory, one per token (the latest wins), and written together in one transaction every
 * `intervalMs`. Under load that is one write per interval instead of one per request. A token's row is
 * noted only when its stored last use is a minute old, so the records are at most a minute stale.
 */
export class TokenUseRecorder {
  readonly #db: Db;
  readonly #logger: Logger;
  readonly #pending = new Map<string, TokenUse>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(db: Db, logger: Logger, intervalMs = 200) {
    this.#db = db;
    this.#logger = logger;
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  note(tokenId: string, use: TokenUse): void {
    this.#pending.set(tokenId, use);
  }

  /** Whether a use of this token is waiting to be written (so a burst notes it once). */
  has(tokenId: string): boolean {
    return this.#pending.has(tokenId);
  }

  flush(): Promise<void> {
    if (this.#pending.size === 0) return this.#flushing;
    const batch = [...this.#pending];
    this.#pending.clear();
    this.#flushing = this.#flushing
      .then(() => recordTokenUses(this.#db, batch))
      .catch((error: unknown) => this.#logger.warn({ err: error, count: batch.length }, "could not record token uses"));
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
