import type { User } from "../domain/entities.ts";
import type { Db } from "./db.ts";
import { toUser } from "./users.ts";

export async function insertSession(
  db: Db,
  input: { hash: string; userId: string; expiresAt: Date },
  now: Date,
): Promise<void> {
  await db
    .insertInto("session")
    .values({
      hash: input.hash,
      user_id: input.userId,
      created_at: now.toISOString(),
      expires_at: input.expiresAt.toISOString(),
    })
    .execute();
}

/** A live session by the hash of its cookie, with its user; expired ones are absent. */
export async function findSession(db: Db, hash: string, now: Date): Promise<User | undefined> {
  const row = await db
    .selectFrom("session")
    .innerJoin("user", "user.id", "session.user_id")
    .select(["user.id", "user.name", "user.email", "user.fullname", "user.is_admin", "user.created_at"])
    .where("session.hash", "=", hash)
    .where("session.expires_at", ">", now.toISOString())
    .executeTakeFirst();
  return row && toUser(row);
}

export async function deleteSession(db: Db, hash: string): Promise<void> {
  await db.deleteFrom("session").where("hash", "=", hash).execute();
}

/**
 * The user's live sessions' hashes, with the user: a capability bound to a web session names the user
 * and proves which session by a MAC over its hash, so signing out ends it (auth/credential-binding.ts).
 */
export async function findLiveSessions(
  db: Db,
  userId: string,
  now: Date,
): Promise<{ user: User; hashes: string[] } | undefined> {
  const rows = await db
    .selectFrom("session")
    .innerJoin("user", "user.id", "session.user_id")
    .select(["session.hash", "user.id", "user.name", "user.email", "user.fullname", "user.is_admin", "user.created_at"])
    .where("session.user_id", "=", userId)
    .where("session.expires_at", ">", now.toISOString())
    .limit(1000)
    .execute();
  const [first] = rows;
  return first && { user: toUser(first), hashes: rows.map((row) => row.hash) };
}
