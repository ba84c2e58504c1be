import type { Db } from "./db.ts";

/** The Berth user an external provider's subject signs in as, if any. */
export async function findSsoUser(db: Db, issuer: string, subject: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("sso_identity")
    .select("user_id")
    .where("issuer", "=", issuer)
    .where("subject", "=", subject)
    .executeTakeFirst();
  return row?.user_id;
}

export async function linkSsoIdentity(db: Db, issuer: string, subject: string, userId: string, now: Date) {
  await db
    .insertInto("sso_identity")
    .values({ issuer, subject, user_id: userId, created_at: now.toISOString() })
    .onConflict((oc) => oc.columns(["issuer", "subject"]).doNothing())
    .execute();
}
