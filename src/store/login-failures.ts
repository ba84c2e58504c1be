import type { Db } from "./db.ts";

/**
 * Failed sign-ins, kept in the database so that every server process counts the same failures.
 * Subjects are `user:<user id>` (or `user:<name key>` for a login that names no account) and `ip:<address>`.
 */
export async function countLoginFailures(db: Db, subjects: readonly string[], since: Date): Promise<number[]> {
  const rows = await db
    .selectFrom("login_failure")
    .select(["subject", db.fn.countAll<string | number>().as("n")])
    .where("subject", "in", subjects)
    .where("at", ">", since.toISOString())
    .groupBy("subject")
    .execute();
  return subjects.map((subject) => Number(rows.find((row) => row.subject === subject)?.n ?? 0));
}

export async function recordLoginFailure(
  db: Db,
  subjects: readonly string[],
  at: Date,
  pruneBefore: Date,
): Promise<void> {
  await db.deleteFrom("login_failure").where("at", "<", pruneBefore.toISOString()).execute();
  await db
    .insertInto("login_failure")
    .values(subjects.map((subject) => ({ subject, at: at.toISOString() })))
    .execute();
}

export async function clearLoginFailures(db: Db, subject: string): Promise<void> {
  await db.deleteFrom("login_failure").where("subject", "=", subject).execute();
}
