import type { AccessRequest, AccessStatus } from "../domain/entities.ts";
import type { Db } from "./db.ts";
import { toUser } from "./users.ts";

export async function findAccessStatus(db: Db, repoId: string, userId: string): Promise<AccessStatus | undefined> {
  const row = await db
    .selectFrom("access_request")
    .select("status")
    .where("repo_id", "=", repoId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row?.status as AccessStatus | undefined;
}

/** Creates or replaces a user's request on a repo. */
export async function upsertAccessRequest(
  db: Db,
  input: {
    repoId: string;
    userId: string;
    status: AccessStatus;
    fields?: Record<string, unknown> | undefined;
    granted: boolean;
  },
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  const fields = input.fields ? JSON.stringify(input.fields) : null;
  await db
    .insertInto("access_request")
    .values({
      repo_id: input.repoId,
      user_id: input.userId,
      status: input.status,
      fields,
      granted: input.granted ? 1 : 0,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) =>
      oc.columns(["repo_id", "user_id"]).doUpdateSet({
        status: input.status,
        updated_at: at,
        granted: input.granted ? 1 : 0,
        ...(fields ? { fields } : {}),
      }),
    )
    .execute();
}

export async function setAccessStatus(
  db: Db,
  repoId: string,
  userId: string,
  status: AccessStatus,
  now: Date,
): Promise<void> {
  await db
    .updateTable("access_request")
    .set({ status, updated_at: now.toISOString() })
    .where("repo_id", "=", repoId)
    .where("user_id", "=", userId)
    .execute();
}

export async function listAccessRequests(
  db: Db,
  repoId: string,
  status: AccessStatus,
  page: { limit: number; offset: number },
): Promise<AccessRequest[]> {
  const rows = await db
    .selectFrom("access_request")
    .innerJoin("user", "user.id", "access_request.user_id")
    .select([
      "user.id",
      "user.name",
      "user.email",
      "user.fullname",
      "user.is_admin",
      "user.created_at",
      "access_request.status",
      "access_request.fields",
      "access_request.granted",
      "access_request.created_at as requested_at",
      "access_request.updated_at",
    ])
    .where("access_request.repo_id", "=", repoId)
    .where("access_request.status", "=", status)
    .orderBy("access_request.updated_at", "desc")
    .orderBy("user.name")
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return rows.map((row) => ({
    user: toUser(row),
    status: row.status as AccessStatus,
    fields: row.fields === null ? undefined : (JSON.parse(row.fields) as Record<string, unknown>),
    grantedByHand: row.granted === 1,
    createdAt: new Date(row.requested_at),
    updatedAt: new Date(row.updated_at),
  }));
}
