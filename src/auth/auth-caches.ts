/**
 * Tokens and repo lookups kept in memory, so the hot path (a token check, a repo and the caller's
 * relation to it) runs no query, while revocation stays immediate: every entry is dropped the moment
 * the database announces a change to a row it was built from (store/change-feed.ts), and nothing is
 * answered from memory while the feed is not live.
 *
 * What is kept: by keyed token hash, the token row and its owner (never the value, which is not known
 * here); by (repo key, user id), the repo row reached by that name (or by an old name), the user's org
 * role and access request, or the fact that the name leads nowhere. Negative entries too, so a
 * hidden private repo and a missing name still cost the same (a map lookup).
 *
 * How it is dropped: a token event drops that token; a user event drops the user's tokens and entries;
 * a repo or redirect event drops every entry of that repo and of that name; a member event drops the
 * user's entries; an access event drops the repo's entries. Entries live at most `MAX_AGE_MS` besides,
 * and each map holds at most `MAX_ENTRIES` (oldest dropped first).
 *
 * The race of a fill with a change: a lookup notes the `generation` before it reads the database and
 * hands it back with what it read; if any event arrived in between, the result is not kept (it may
 * predate the change that event announced).
 */
import type { User } from "../domain/entities.ts";
import type { Token } from "../domain/token.ts";
import type { ChangeEvent, ChangeFeed } from "../store/change-feed.ts";
import type { RepoAccessRow } from "../store/repos.ts";
import type { Principal } from "./principal.ts";

const MAX_ENTRIES = 200_000;
const MAX_AGE_MS = 10 * 60_000;

export interface CachedToken {
  readonly token: Token;
  readonly user: User;
  /** Built once: the hot path hands out the same object for every request of the token. */
  readonly principal: Principal;
  /** When the hot path last asked for a last-use record of it (see authenticate.ts). */
  notedAt: number;
}

/** A map with secondary indexes, so an event finds what to drop without a scan. */
class IndexedMap<V> {
  readonly #entries = new Map<string, { value: V; at: number; tags: readonly string[] }>();
  readonly #byTag = new Map<string, Set<string>>();

  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (now - entry.at > MAX_AGE_MS) {
      this.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, tags: readonly string[], now: number): void {
    this.delete(key);
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.delete(oldest);
    }
    this.#entries.set(key, { value, at: now, tags });
    for (const tag of tags) {
      let keys = this.#byTag.get(tag);
      if (!keys) {
        keys = new Set();
        this.#byTag.set(tag, keys);
      }
      keys.add(key);
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    for (const tag of entry.tags) {
      const keys = this.#byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.#byTag.delete(tag);
    }
  }

  deleteTagged(tag: string): void {
    const keys = this.#byTag.get(tag);
    if (!keys) return;
    for (const key of [...keys]) this.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#byTag.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

export class AuthCaches {
  readonly #feed: ChangeFeed;
  readonly #tokens = new IndexedMap<CachedToken>();
  readonly #repos = new IndexedMap<RepoAccessRow | null>();
  #generation = 0;

  constructor(feed: ChangeFeed) {
    this.#feed = feed;
    feed.subscribe({
      change: (event) => {
        this.#generation++;
        this.#drop(event);
      },
      reset: () => this.clear(),
    });
  }

  /** Moves with every change; note it before reading the database, hand it back when remembering. */
  get generation(): number {
    return this.#generation;
  }

  /** The cached token of a keyed hash; undefined when absent or when memory may not be trusted now. */
  async findToken(hash: string, now: number): Promise<CachedToken | undefined> {
    if (!(await this.#ready())) return undefined;
    return this.#tokens.get(hash, now);
  }

  rememberToken(hash: string, entry: CachedToken, now: number, generation: number): void {
    if (!this.#feed.live || generation !== this.#generation) return;
    this.#tokens.set(hash, entry, [`token:${entry.token.id}`, `user:${entry.user.id}`], now);
  }

  /**
   * The cached lookup of a repo name for a user: a row, `null` for "leads nowhere", undefined when not
   * cached (or memory may not be trusted now).
   */
  async findRepo(key: string, userId: string, now: number): Promise<RepoAccessRow | null | undefined> {
    if (!(await this.#ready())) return undefined;
    return this.#repos.get(`${key}\u0000${userId}`, now);
  }

  rememberRepo(key: string, userId: string, row: RepoAccessRow | undefined, now: number, generation: number): void {
    if (!this.#feed.live || generation !== this.#generation) return;
    const tags = [`name:${key}`, `user:${userId}`, ...(row ? [`repo:${row.repo.id}`] : [])];
    this.#repos.set(`${key}\u0000${userId}`, row ?? null, tags, now);
  }

  clear(): void {
    this.#generation++;
    this.#tokens.clear();
    this.#repos.clear();
  }

  get sizes(): { tokens: number; repos: number } {
    return { tokens: this.#tokens.size, repos: this.#repos.size };
  }

  async #ready(): Promise<boolean> {
    if (!this.#feed.live) return false;
    const settling = this.#feed.settle();
    if (settling) await settling;
    return this.#feed.live;
  }

  #drop(event: ChangeEvent): void {
    switch (event.topic) {
      case "token":
        this.#tokens.deleteTagged(`token:${event.ref1}`);
        return;
      case "user":
        this.#tokens.deleteTagged(`user:${event.ref1}`);
        this.#repos.deleteTagged(`user:${event.ref1}`);
        return;
      case "repo":
      case "redirect":
        this.#repos.deleteTagged(`repo:${event.ref1}`);
        this.#repos.deleteTagged(`name:${event.ref2}`);
        return;
      case "member":
        this.#repos.deleteTagged(`user:${event.ref2}`);
        return;
      case "access":
        this.#repos.deleteTagged(`repo:${event.ref1}`);
        return;
      default:
        // An event this build does not know (a newer process wrote it): be safe.
        this.clear();
    }
  }
}
