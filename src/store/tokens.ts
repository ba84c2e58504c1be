import type { User } from "../domain/entities.ts";
import type { FineGrained, Token, TokenRole } from "../domain/token.ts";
import { HubError } from "../errors.ts";
import { type Db, isUniqueViolation } from "./db.ts";
import { preparedQuery } from "./prepared-query.ts";
import type { TokenTable, UserTable } from "./schema.ts";
import { toUser } from "./users.ts";

function toToken(row: TokenTable): Token {
  return {
    id: row.id,
    userId: row.user_id,
    displayName: row.display_name,
    role: row.role as TokenRole,
    fineGrained: row.fine_grained === null ? undefined : (JSON.parse(row.fine_grained) as FineGrained),
    hint: row.hint,
    createdAt: new Date(row.created_at),
    expiresAt: row.expires_at === null ? undefined : new Date(row.expires_at),
    lastUsedAt: row.last_used_at === null ? undefined : new Date(row.last_used_at),
    lastUsedIp: row.last_used_ip ?? undefined,
    lastUsedUserAgent: row.last_used_user_agent ?? undefined,
    app:
      row.oauth_grant_id && row.oauth_client_id
        ? {
            clientId: row.oauth_client_id,
            grantId: row.oauth_grant_id,
            orgs: row.oauth_org_ids ? (JSON.parse(row.oauth_org_ids) as { _id: string; name: string }[]) : [],
            scopes: (row.oauth_scopes ?? "").split(" ").filter((scope) => scope.length > 0),
          }
        : undefined,
  };
}

export interface NewToken {
  id: string;
  userId: string;
  displayName: string;
  role: TokenRole;
  fineGrained: FineGrained | undefined;
  hash: string;
  hint: string;
  expiresAt: Date | undefined;
}

export async function insertToken(db: Db, input: NewToken, now: Date): Promise<Token> {
  const row: TokenTable = {
    id: input.id,
    user_id: input.userId,
    display_name: input.displayName,
    role: input.role,
    fine_grained: input.fineGrained ? JSON.stringify(input.fineGrained) : null,
    hash: input.hash,
    hint: input.hint,
    created_at: now.toISOString(),
    expires_at: input.expiresAt?.toISOString() ?? null,
    last_used_at: null,
    last_used_ip: null,
    last_used_user_agent: null,
  };
  try {
    await db.insertInto("token").values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new HubError("Conflict", `A token named "${input.displayName}" already exists`);
    }
    throw error;
  }
  return toToken(row);
}

/** A token with the columns of its owner that authentication needs. */
function tokenWithOwner(db: Db) {
  return db
    .selectFrom("token")
    .innerJoin("user", "user.id", "token.user_id")
    .selectAll("token")
    .select([
      "user.name as u_name",
      "user.email as u_email",
      "user.fullname as u_fullname",
      "user.is_admin as u_is_admin",
      "user.created_at as u_created_at",
    ]);
}

/** The hot path: one indexed lookup by keyed hash, joined with the owner. */
const selectTokenByHash = preparedQuery((db, hash) => tokenWithOwner(db).where("token.hash", "=", hash));

export async function findTokenByHash(db: Db, hash: string): Promise<{ token: Token; user: User } | undefined> {
  const [row] = await selectTokenByHash(db, hash);
  return row && tokenAndUser(row);
}

export type TokenUserRow = TokenTable & {
  u_name: string;
  u_email: string;
  u_fullname: string;
  u_is_admin: number;
  u_created_at: string;
};

export function tokenAndUser(row: TokenUserRow): { token: Token; user: User } {
  const user: Pick<UserTable, "id" | "name" | "email" | "fullname" | "is_admin" | "created_at"> = {
    id: row.user_id,
    name: row.u_name,
    email: row.u_email,
    fullname: row.u_fullname,
    is_admin: row.u_is_admin,
    created_at: row.u_created_at,
  };
  return { token: toToken(row), user: toUser(user) };
}

const selectTokenById = preparedQuery((db, id) => tokenWithOwner(db).where("token.id", "=", id));

/**
 * A token by id with its owner and its current keyed hash: what a capability bound to the token
 * (a signed LFS link, a CAS token) checks on every use, so that deleting or refreshing the token ends it.
 */
export async function findTokenById(
  db: Db,
  id: string,
): Promise<{ token: Token; user: User; hash: string } | undefined> {
  const [row] = await selectTokenById(db, id);
  return row && { ...tokenAndUser(row), hash: row.hash };
}

export async function listTokens(db: Db, userId: string): Promise<Token[]> {
  const rows = await db.selectFrom("token").selectAll().where("user_id", "=", userId).orderBy("created_at").execute();
  return rows.map(toToken);
}

export async function findToken(db: Db, userId: string, id: string): Promise<Token | undefined> {
  const row = await db
    .selectFrom("token")
    .selectAll()
    .where("user_id", "=", userId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row && toToken(row);
}

export async function findTokenByName(db: Db, userId: string, displayName: string): Promise<Token | undefined> {
  const row = await db
    .selectFrom("token")
    .selectAll()
    .where("user_id", "=", userId)
    .where("display_name", "=", displayName)
    .executeTakeFirst();
  return row && toToken(row);
}

/**
 * Replaces the stored hash: the old value stops working with this statement. The last-use record
 * belonged to the old value, so it goes too.
 */
export async function replaceTokenHash(
  db: Db,
  userId: string,
  id: string,
  hash: string,
  hint: string,
): Promise<boolean> {
  const result = await db
    .updateTable("token")
    .set({ hash, hint, last_used_at: null, last_used_ip: null, last_used_user_agent: null })
    .where("user_id", "=", userId)
    .where("id", "=", id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Deletes a token; for an app token also its grant's OAuth records (refresh tokens, codes, the grant),
 * in the same transaction. Its access tokens go with the row (foreign key), so every process refuses
 * them on their next request.
 */
export async function deleteToken(db: Db, userId: string, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("token")
      .select("oauth_grant_id")
      .where("user_id", "=", userId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return false;
    if (row.oauth_grant_id) await trx.deleteFrom("oauth_record").where("grant_id", "=", row.oauth_grant_id).execute();
    await trx.deleteFrom("oauth_access_token").where("token_id", "=", id).execute();
    const result = await trx.deleteFrom("token").where("user_id", "=", userId).where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  });
}

export interface TokenUse {
  readonly at: Date;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}

export async function recordTokenUse(db: Db, id: string, use: TokenUse): Promise<void> {
  await recordTokenUses(db, [[id, use]]);
}

/** Writes several tokens' last uses in one transaction. */
const updateTokenUse = preparedQuery<unknown, [string, string | null, string | null, string]>(
  (db, at, ip, userAgent, id) =>
    db
      .updateTable("token")
      .set({ last_used_at: at, last_used_ip: ip, last_used_user_agent: userAgent })
      .where("id", "=", id as string),
);

export async function recordTokenUses(db: Db, uses: readonly (readonly [string, TokenUse])[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const [id, use] of uses) {
      await updateTokenUse(trx, use.at.toISOString(), use.ip ?? null, use.userAgent?.slice(0, 512) ?? null, id);
    }
  });
}
