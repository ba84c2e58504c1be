import { type Kysely, PostgresAdapter, sql } from "kysely";

/**
 * Issue 14: every change to a row that authentication or authorization reads is announced, by the
 * database itself, so each process can keep those rows in memory and still refuse a revoked token on
 * its next request. Triggers, not application code: a change by any process, the admin CLI or a future
 * route is announced without anyone remembering to.
 *
 * Events are (topic, ref1, ref2): `token` (token id, user id), `user` (user id), `repo` (repo id, repo
 * key), `redirect` (repo id, old key), `member` (org id, user id), `access` (repo id, user id). A token's
 * last-use columns are not watched: they change all the time and decide nothing.
 *
 * PostgreSQL: the trigger sends `pg_notify('berth_change', 'topic ref1 ref2')`, delivered to every
 * listening process when the transaction commits. SQLite has no notifications: the trigger appends to
 * `change_event`, and a process that sees the database changed (`PRAGMA data_version`, or its own
 * change count) reads the events it has not seen.
 */
interface Watch {
  readonly table: string;
  readonly topic: string;
  /** SQL expressions over the row (`R` stands for NEW or OLD). */
  readonly refs: readonly [string, string];
  /** Columns whose update matters; all when absent. */
  readonly columns?: readonly string[];
}

const WATCHES: readonly Watch[] = [
  {
    table: "token",
    topic: "token",
    refs: ["R.id", "R.user_id"],
    columns: ["hash", "role", "fine_grained", "expires_at", "user_id", "display_name"],
  },
  { table: "user", topic: "user", refs: ["R.id", "R.id"] },
  { table: "repo", topic: "repo", refs: ["R.id", "R.key"] },
  { table: "repo_redirect", topic: "redirect", refs: ["R.repo_id", "R.key"] },
  { table: "member", topic: "member", refs: ["R.org_id", "R.user_id"] },
  { table: "access_request", topic: "access", refs: ["R.repo_id", "R.user_id"] },
];

const OPERATIONS = ["insert", "update", "delete"] as const;

// biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on the schema types of today
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return upPostgres(db);
  await sql`create table change_event (
    id integer primary key autoincrement,
    topic text not null,
    ref1 text not null,
    ref2 text not null
  )`.execute(db);
  for (const watch of WATCHES) {
    for (const operation of OPERATIONS) {
      // An update announces both the old and the new row (a repo renamed leaves one key, takes another).
      const rows = operation === "insert" ? ["NEW"] : operation === "delete" ? ["OLD"] : ["OLD", "NEW"];
      const inserts = rows
        .map((row) => {
          const [ref1, ref2] = watch.refs.map((ref) => ref.replaceAll("R.", `${row}.`));
          return `insert into change_event (topic, ref1, ref2) values ('${watch.topic}', ${ref1}, ${ref2});`;
        })
        .join(" ");
      const of = operation === "update" && watch.columns ? ` of ${watch.columns.map((c) => `"${c}"`).join(", ")}` : "";
      await sql
        .raw(
          `create trigger "${watch.table}_${operation}_change" after ${operation}${of} on "${watch.table}" for each row begin ${inserts} end`,
        )
        .execute(db);
    }
  }
}

// biome-ignore lint/suspicious/noExplicitAny: as above
async function upPostgres(db: Kysely<any>): Promise<void> {
  for (const watch of WATCHES) {
    const payload = (row: string) => {
      const [ref1, ref2] = watch.refs.map((ref) => ref.replaceAll("R.", `${row}.`));
      return `perform pg_notify('berth_change', '${watch.topic} ' || ${ref1} || ' ' || ${ref2});`;
    };
    await sql
      .raw(
        `create or replace function "${watch.table}_change"() returns trigger language plpgsql as $$
        begin
          if tg_op <> 'INSERT' then ${payload("OLD")} end if;
          if tg_op <> 'DELETE' then ${payload("NEW")} end if;
          return null;
        end $$`,
      )
      .execute(db);
    for (const operation of OPERATIONS) {
      const of = operation === "update" && watch.columns ? ` of ${watch.columns.map((c) => `"${c}"`).join(", ")}` : "";
      await sql
        .raw(
          `create trigger "${watch.table}_${operation}_change" after ${operation}${of} on "${watch.table}" for each row execute function "${watch.table}_change"()`,
        )
        .execute(db);
    }
  }
}

// biome-ignore lint/suspicious/noExplicitAny: as above
export async function down(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const watch of WATCHES) {
    for (const operation of OPERATIONS) {
      await sql
        .raw(`drop trigger if exists "${watch.table}_${operation}_change"${postgres ? ` on "${watch.table}"` : ""}`)
        .execute(db);
    }
    if (postgres) await sql.raw(`drop function if exists "${watch.table}_change"()`).execute(db);
  }
  if (!postgres) await sql`drop table if exists change_event`.execute(db);
}
