import type { Member, NamespaceRef, Org } from "../domain/entities.ts";
import { isReservedNamespace, nameKey } from "../domain/names.ts";
import { newObjectId } from "../domain/object-id.ts";
import type { OrgRole } from "../domain/token.ts";
import { HubError } from "../errors.ts";
import { type Db, isPostgres, isUniqueViolation } from "./db.ts";
import { toUser } from "./users.ts";

/** Creates an org with its first member, `owner`, as admin. */
export async function createOrg(
  db: Db,
  input: { name: string; fullname?: string | undefined; ownerId: string },
  now: Date,
): Promise<Org> {
  if (isReservedNamespace(input.name)) throw new HubError("Conflict", `The name "${input.name}" is reserved`);
  const org: Org = { id: newObjectId(), name: input.name, fullname: input.fullname ?? input.name, createdAt: now };
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto("namespace")
        .values({ key: nameKey(org.name), kind: "org", entity_id: org.id })
        .execute();
      await trx
        .insertInto("org")
        .values({ id: org.id, name: org.name, fullname: org.fullname, created_at: now.toISOString() })
        .execute();
      await trx
        .insertInto("member")
        .values({ org_id: org.id, user_id: input.ownerId, role: "admin", created_at: now.toISOString() })
        .execute();
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new HubError("Conflict", `The name "${input.name}" is already taken`);
    throw error;
  }
  return org;
}

export async function findOrgByName(db: Db, name: string): Promise<Org | undefined> {
  const row = await db
    .selectFrom("namespace")
    .innerJoin("org", "org.id", "namespace.entity_id")
    .selectAll("org")
    .where("namespace.key", "=", nameKey(name))
    .where("namespace.kind", "=", "org")
    .executeTakeFirst();
  return row && { id: row.id, name: row.name, fullname: row.fullname, createdAt: new Date(row.created_at) };
}

export async function getOrgByName(db: Db, name: string): Promise<Org> {
  const org = await findOrgByName(db, name);
  if (!org) throw new HubError("NotFound", `Organization "${name}" not found`);
  return org;
}

/** A user or org namespace by name, with its canonical spelling. */
export async function findNamespace(db: Db, name: string): Promise<NamespaceRef | undefined> {
  const row = await db
    .selectFrom("namespace")
    .leftJoin("user", "user.id", "namespace.entity_id")
    .leftJoin("org", "org.id", "namespace.entity_id")
    .select(["namespace.kind", "namespace.entity_id", "user.name as user_name", "org.name as org_name"])
    .where("namespace.key", "=", nameKey(name))
    .executeTakeFirst();
  if (!row) return undefined;
  const canonical = row.kind === "user" ? row.user_name : row.org_name;
  return { id: row.entity_id, kind: row.kind, name: canonical ?? name };
}

export async function findOrgRole(db: Db, orgId: string, userId: string): Promise<OrgRole | undefined> {
  const row = await db
    .selectFrom("member")
    .select("role")
    .where("org_id", "=", orgId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row?.role as OrgRole | undefined;
}

/** Adds a member or changes their role. */
export async function setMember(db: Db, orgId: string, userId: string, role: OrgRole, now: Date): Promise<void> {
  await db
    .insertInto("member")
    .values({ org_id: orgId, user_id: userId, role, created_at: now.toISOString() })
    .onConflict((oc) => oc.columns(["org_id", "user_id"]).doUpdateSet({ role }))
    .execute();
}

/**
 * Adds a member or changes their role, refusing to demote the last admin. `onlyExisting` changes the
 * role of a current member and answers "not-member" instead of adding one.
 */
export async function changeMemberRole(
  db: Db,
  input: { orgId: string; userId: string; role: OrgRole; onlyExisting: boolean },
  now: Date,
): Promise<"added" | "changed" | "not-member"> {
  return db.transaction().execute(async (trx) => {
    await lockOrg(trx, input.orgId);
    const current = await findOrgRole(trx, input.orgId, input.userId);
    if (current === undefined && input.onlyExisting) return "not-member";
    if (current === "admin" && input.role !== "admin") await assertAnotherAdmin(trx, input.orgId, input.userId);
    await setMember(trx, input.orgId, input.userId, input.role, now);
    return current === undefined ? "added" : "changed";
  });
}

export async function countMembers(db: Db, orgId: string): Promise<number> {
  const row = await db
    .selectFrom("member")
    .select(db.fn.countAll<string | number>().as("n"))
    .where("org_id", "=", orgId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Removes a member; false when they were not one. Refuses to remove the last admin. */
export async function removeMember(db: Db, orgId: string, userId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await lockOrg(trx, orgId);
    const row = await trx
      .selectFrom("member")
      .select("role")
      .where("org_id", "=", orgId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!row) return false;
    if (row.role === "admin") await assertAnotherAdmin(trx, orgId, userId);
    await trx.deleteFrom("member").where("org_id", "=", orgId).where("user_id", "=", userId).execute();
    return true;
  });
}

/**
 * Serialises membership changes of one org, so two admins demoting each other at once cannot both pass
 * the last-admin check. SQLite transactions already take the write lock up front (`begin immediate`,
 * see db.ts); PostgreSQL locks the org's row until the transaction ends.
 */
async function lockOrg(trx: Db, orgId: string): Promise<void> {
  if (isPostgres(trx)) await trx.selectFrom("org").select("id").where("id", "=", orgId).forUpdate().execute();
}

/** An org keeps at least one admin, or nobody could manage it again. */
export async function assertAnotherAdmin(db: Db, orgId: string, userId: string): Promise<void> {
  const other = await db
    .selectFrom("member")
    .select("user_id")
    .where("org_id", "=", orgId)
    .where("role", "=", "admin")
    .where("user_id", "!=", userId)
    .executeTakeFirst();
  if (!other) throw new HubError("BadRequest", "An organization must keep at least one admin");
}

export async function listMembers(db: Db, orgId: string): Promise<Member[]> {
  const rows = await db
    .selectFrom("member")
    .innerJoin("user", "user.id", "member.user_id")
    .select(["user.id", "user.name", "user.email", "user.fullname", "user.is_admin", "user.created_at", "member.role"])
    .where("member.org_id", "=", orgId)
    .orderBy("user.name")
    .execute();
  return rows.map((row) => ({ user: toUser(row), role: row.role as OrgRole }));
}
