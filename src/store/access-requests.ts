/**
 * Gated-access requests: one row per (repo, user). `granted` marks a row an owner created by hand
 * (grant), for a user who never filled the form and so never shared their email or answers.
 */
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

/**
 * A user asks for access. A new request gets `status`; a pending one takes the new answers and, when
 * the repo is now "auto", is accepted. An accepted or rejected request is left as it is: asking again
 * must not let a rejected user put themselves back in the queue. Returns the status after the call.
 */
export async function recordAccessRequest(
  db: Db,
  input: { repoId: string; userId: string; status: AccessStatus; fields: Record<string, unknown> | undefined },
  now: Date,
): Promise<AccessStatus> {
  const at = now.toISOString();
  const fields = input.fields ? JSON.stringify(input.fields) : null;
  await db
    .insertInto("access_request")
    .values({
      repo_id: input.repoId,
      user_id: input.userId,
      status: input.status,
      fields,
      granted: 0,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) =>
      oc
        .columns(["repo_id", "user_id"])
        .doUpdateSet({ status: input.status, updated_at: at, ...(fields ? { fields } : {}) })
        .where("access_request.status", "=", "pending"),
    )
    .execute();
  return (await findAccessStatus(db, input.repoId, input.userId)) ?? input.status;
}

/** Moves an existing request to `status`, in one statement so that concurrent reviews cannot both win. */
export async function changeAccessStatus(
  db: Db,
  repoId: string,
  userId: string,
  status: AccessStatus,
  now: Date,
): Promise<"changed" | "unchanged" | "missing"> {
  const result = await db
    .updateTable("access_request")
    .set({ status, updated_at: now.toISOString() })
    .where("repo_id", "=", repoId)
    .where("user_id", "=", userId)
    .where("status", "!=", status)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) return "changed";
  return (await findAccessStatus(db, repoId, userId)) === undefined ? "missing" : "unchanged";
}

/**
 * An owner grants access. With no request on file the row is marked granted by hand (no email, no
 * answers are shown for it); a pending or rejected request keeps what the user sent and is accepted.
 */
export async function grantAccess(
  db: Db,
  repoId: string,
  userId: string,
  now: Date,
): Promise<"granted" | "already-accepted"> {
  const at = now.toISOString();
  // Two rounds cover a request withdrawn between the insert that found it and the update.
  for (let round = 0; round < 2; round++) {
    const inserted = await db
      .insertInto("access_request")
      .values({
        repo_id: repoId,
        user_id: userId,
        status: "accepted",
        fields: null,
        granted: 1,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.columns(["repo_id", "user_id"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return "granted";
    const changed = await changeAccessStatus(db, repoId, userId, "accepted", now);
    if (changed !== "missing") return changed === "changed" ? "granted" : "already-accepted";
  }
  return "granted";
}

/** The requester withdraws a pending request; false when there was none pending. */
export async function deletePendingAccessRequest(db: Db, repoId: string, userId: string): Promise<boolean> {
  const result = await db
    .deleteFrom("access_request")
    .where("repo_id", "=", repoId)
    .where("user_id", "=", userId)
    .where("status", "=", "pending")
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
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
