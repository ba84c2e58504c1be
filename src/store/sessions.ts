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
