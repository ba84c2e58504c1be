import { createHash, randomBytes } from "node:crypto";
import { sql } from "kysely";
import { type Db, isPostgres } from "./db.ts";

/**
 * Sign-in attempts, kept in the database so that every server process counts the same ones. An attempt
 * is recorded before its password is checked, under each subject it counts against (`user:<user id>`,
 * `user:<name key>` for a login that names no account, `device:<user id>:<nonce>`, `ip:<address>`), and
 * only while every one of them is under the limit; it then stands as a failure unless the password
 * proves right and the caller releases it. Windows slide: a row counts for `windowSeconds` after it.
 *
 * Atomicity: the count and the insert are one conditional `insert … select … where not exists`, for all
 * subjects or none. SQLite runs write statements one at a time across connections and processes (busy
 * timeout to queue), so two attempts never see the same count. It runs outside a transaction on purpose:
 * a write transaction held across an await would make a second connection in the same process block
 * the thread in its busy handler until it gives up. PostgreSQL's read committed lets two statements see
 * the same count, so there the insert runs in a transaction that first takes a transaction-scoped
 * advisory lock per subject, in key order so that attempts sharing subjects cannot deadlock.
 */

export interface LoginLimit {
  readonly subjects: readonly string[];
  readonly now: Date;
  readonly windowSeconds: number;
  readonly max: number;
}

export type LoginReservation =
  | { readonly type: "reserved"; readonly attempt: string }
  /** `retryAt`: when the first subject at its limit gets a free place again. */
  | { readonly type: "refused"; readonly retryAt: Date };

export async function reserveLoginAttempt(db: Db, limit: LoginLimit): Promise<LoginReservation> {
  const attempt = randomBytes(16).toString("hex");
  const since = windowStart(limit);
  const inserted = await underSubjectLocks(db, limit.subjects, (locked) => insertUnderLimit(locked, attempt, limit));
  await pruneLoginAttempts(db, since);
  if (inserted) return { type: "reserved", attempt };
  return { type: "refused", retryAt: await retryAt(db, limit) };
}

async function insertUnderLimit(db: Db, attempt: string, limit: LoginLimit): Promise<boolean> {
  const subjects = sql.join(
    limit.subjects.map((subject) => sql`select cast(${subject} as text) as subject`),
    sql` union all `,
  );
  const result = await sql<{ subject: string }>`
    insert into login_attempt (attempt, subject, at)
    select cast(${attempt} as text), s.subject, cast(${limit.now.toISOString()} as text)
    from (${subjects}) as s
    where not exists (
      select 1 from login_attempt
      where subject in (${sql.join(limit.subjects)}) and at > ${windowStart(limit).toISOString()}
      group by subject
      having count(*) >= ${limit.max}
    )
    returning subject`.execute(db);
  return result.rows.length > 0;
}

/** Runs `work` holding the subjects' advisory locks on PostgreSQL; SQLite needs none (see above). */
function underSubjectLocks<T>(db: Db, subjects: readonly string[], work: (db: Db) => Promise<T>): Promise<T> {
  if (!isPostgres(db)) return work(db);
  return db.transaction().execute(async (trx) => {
    for (const key of lockKeys(subjects)) await sql`select pg_advisory_xact_lock(${key}::bigint)`.execute(trx);
    return work(trx);
  });
}

/**
 * Advisory lock keys: 64 bits of a hash of the subject, domain-separated from anything else that might
 * lock in the same database. A collision only serialises two unrelated subjects.
 */
function lockKeys(subjects: readonly string[]): string[] {
  const keys = new Set(
    subjects.map((subject) =>
      createHash("sha256").update(`berth login attempt\n${subject}`).digest().readBigInt64BE(0),
    ),
  );
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
}

/** For each subject at its limit, the row whose leaving frees a place; the latest of those. */
async function retryAt(db: Db, limit: LoginLimit): Promise<Date> {
  const rows = await db
    .selectFrom("login_attempt")
    .select(["subject", "at"])
    .where("subject", "in", limit.subjects)
    .where("at", ">", windowStart(limit).toISOString())
    .orderBy("at")
    .execute();
  let latest = limit.now.getTime();
  for (const subject of limit.subjects) {
    const times = rows.filter((row) => row.subject === subject).map((row) => row.at);
    const freeing = times[times.length - limit.max];
    if (freeing !== undefined) latest = Math.max(latest, Date.parse(freeing) + limit.windowSeconds * 1000);
  }
  return new Date(latest);
}

/**
 * Ends an attempt whose password was right: its own rows go (a success is no failure), and so do all
 * earlier attempts of the subjects in `forgive`.
 */
export async function releaseLoginAttempt(db: Db, attempt: string, forgive: readonly string[]): Promise<void> {
  // Under the forgiven subjects' locks, so two successes on one account never delete its rows in
  // different orders (a deadlock on PostgreSQL); the attempt's other rows are its own.
  await underSubjectLocks(db, forgive, (locked) =>
    locked
      .deleteFrom("login_attempt")
      .where((eb) =>
        eb.or([eb("attempt", "=", attempt), ...(forgive.length > 0 ? [eb("subject", "in", forgive)] : [])]),
      )
      .execute(),
  );
}

/** Attempts per subject that are still in the window, in the order asked. */
export async function countLoginAttempts(db: Db, subjects: readonly string[], since: Date): Promise<number[]> {
  const rows = await db
    .selectFrom("login_attempt")
    .select(["subject", db.fn.countAll<string | number>().as("n")])
    .where("subject", "in", subjects)
    .where("at", ">", since.toISOString())
    .groupBy("subject")
    .execute();
  return subjects.map((subject) => Number(rows.find((row) => row.subject === subject)?.n ?? 0));
}

/**
 * Drops rows that left the window. On PostgreSQL rows another statement holds are skipped rather than
 * waited for, so concurrent prunes never queue behind, or deadlock with, each other.
 */
async function pruneLoginAttempts(db: Db, before: Date): Promise<void> {
  const at = before.toISOString();
  if (isPostgres(db)) {
    await sql`
      delete from login_attempt where (attempt, subject) in (
        select attempt, subject from login_attempt where at <= ${at} for update skip locked
      )`.execute(db);
  } else {
    await db.deleteFrom("login_attempt").where("at", "<=", at).execute();
  }
}

function windowStart(limit: LoginLimit): Date {
  return new Date(limit.now.getTime() - limit.windowSeconds * 1000);
}
