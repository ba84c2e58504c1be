import type { Membership, User } from "../domain/entities.ts";
import { isReservedNamespace, nameKey } from "../domain/names.ts";
import { newObjectId } from "../domain/object-id.ts";
import type { OrgRole } from "../domain/token.ts";
import { HubError } from "../errors.ts";
import { type Db, isUniqueViolation } from "./db.ts";
import { preparedQuery } from "./prepared-query.ts";
import type { UserTable } from "./schema.ts";

export function toUser(row: Pick<UserTable, "id" | "name" | "email" | "fullname" | "is_admin" | "created_at">): User {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    fullname: row.fullname,
    isAdmin: row.is_admin === 1,
    createdAt: new Date(row.created_at),
  };
}

export interface NewUser {
  name: string;
  email: string;
  fullname?: string | undefined;
  passwordHash?: string | undefined;
  isAdmin?: boolean | undefined;
}

/** Creates a user; a taken name (user or org) or email is a Conflict. */
export async function createUser(db: Db, input: NewUser, now: Date): Promise<User> {
  if (isReservedNamespace(input.name)) throw new HubError("Conflict", `The name "${input.name}" is reserved`);
  const id = newObjectId();
  const row = {
    id,
    name: input.name,
    email: input.email.toLowerCase(),
    fullname: input.fullname ?? input.name,
    password_hash: input.passwordHash ?? null,
    is_admin: input.isAdmin ? 1 : 0,
    created_at: now.toISOString(),
  };
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto("namespace")
        .values({ key: nameKey(input.name), kind: "user", entity_id: id })
        .execute();
      await trx.insertInto("user").values(row).execute();
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new HubError("Conflict", `The name "${input.name}" or that email is already taken`);
    throw error;
  }
  return toUser(row);
}

export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  const row = await db.selectFrom("user").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toUser(row);
}

export async function findUserByName(db: Db, name: string): Promise<User | undefined> {
  const row = await db
    .selectFrom("namespace")
    .innerJoin("user", "user.id", "namespace.entity_id")
    .selectAll("user")
    .where("namespace.key", "=", nameKey(name))
    .where("namespace.kind", "=", "user")
    .executeTakeFirst();
  return row && toUser(row);
}

export async function getUserByName(db: Db, name: string): Promise<User> {
  const user = await findUserByName(db, name);
  if (!user) throw new HubError("NotFound", `User "${name}" not found`);
  return user;
}

/** For sign-in: the user named, or the user with that email, and the stored password hash. */
export async function findLogin(
  db: Db,
  login: string,
): Promise<{ user: User; passwordHash: string | null } | undefined> {
  const byName = await findUserByName(db, login);
  const row = byName
    ? await db.selectFrom("user").selectAll().where("id", "=", byName.id).executeTakeFirst()
    : await db.selectFrom("user").selectAll().where("email", "=", login.toLowerCase()).executeTakeFirst();
  return row && { user: toUser(row), passwordHash: row.password_hash };
}

export async function setPasswordHash(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.updateTable("user").set({ password_hash: passwordHash }).where("id", "=", userId).execute();
}

const selectMemberships = preparedQuery((db, userId) =>
  db
    .selectFrom("member")
    .innerJoin("org", "org.id", "member.org_id")
    .select(["org.id", "org.name", "org.fullname", "org.created_at", "member.role"])
    .where("member.user_id", "=", userId)
    .orderBy("org.name"),
);

export async function listMemberships(db: Db, userId: string): Promise<Membership[]> {
  const rows = await selectMemberships(db, userId);
  return rows.map((row) => ({
    org: { id: row.id, name: row.name, fullname: row.fullname, createdAt: new Date(row.created_at) },
    role: row.role as OrgRole,
  }));
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db.selectFrom("user").select(db.fn.countAll<string | number>().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}
