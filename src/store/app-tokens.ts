/**
 * App tokens (issue 12): one `token` row per OAuth grant, what the user sees in Settings → Access Tokens
 * and revokes. It has no value of its own (its `hash` is a keyed digest of the grant id, which no
 * well-formed token value can match); its access tokens live in `oauth_access_token`.
 */
import type { FineGrained, Token } from "../domain/token.ts";
import { HubError } from "../errors.ts";
import { type Db, isUniqueViolation } from "./db.ts";
import { findTokenById } from "./tokens.ts";

export interface AppTokenInput {
  readonly id: string;
  readonly userId: string;
  readonly displayName: string;
  readonly clientId: string;
  readonly grantId: string;
  readonly orgs: readonly { readonly _id: string; readonly name: string }[];
  readonly fineGrained: FineGrained;
  readonly scopes: readonly string[];
  readonly hash: string;
}

/** Creates the grant's app token, or updates its permissions and orgs when the grant already has one. */
export async function upsertAppToken(db: Db, input: AppTokenInput, now: Date): Promise<void> {
  const existing = await db
    .selectFrom("token")
    .select("id")
    .where("oauth_grant_id", "=", input.grantId)
    .executeTakeFirst();
  const changes = {
    fine_grained: JSON.stringify(input.fineGrained),
    oauth_org_ids: JSON.stringify(input.orgs),
    oauth_scopes: input.scopes.join(" "),
  };
  if (existing) {
    await db.updateTable("token").set(changes).where("id", "=", existing.id).execute();
    return;
  }
  try {
    await db
      .insertInto("token")
      .values({
        id: input.id,
        user_id: input.userId,
        display_name: input.displayName,
        role: "fineGrained",
        hash: input.hash,
        hint: "OAuth app",
        created_at: now.toISOString(),
        expires_at: null,
        last_used_at: null,
        last_used_ip: null,
        last_used_user_agent: null,
        oauth_client_id: input.clientId,
        oauth_grant_id: input.grantId,
        ...changes,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new HubError("Conflict", "This app already has a token of that name");
    throw error;
  }
}

export async function findAppTokenId(db: Db, grantId: string): Promise<string | undefined> {
  const row = await db.selectFrom("token").select("id").where("oauth_grant_id", "=", grantId).executeTakeFirst();
  return row?.id;
}

export async function findAppToken(db: Db, grantId: string): Promise<Token | undefined> {
  const id = await findAppTokenId(db, grantId);
  return id === undefined ? undefined : (await findTokenById(db, id))?.token;
}

/** The grant is gone (revoked, replayed, destroyed): its app token and all its records go with it. */
export async function deleteGrantFamily(db: Db, grantId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("oauth_record").where("grant_id", "=", grantId).execute();
    await trx.deleteFrom("oauth_access_token").where("grant_id", "=", grantId).execute();
    await trx.deleteFrom("token").where("oauth_grant_id", "=", grantId).execute();
  });
}

/** The user's app tokens, for the authorized-apps page. */
export async function listAppTokens(db: Db, userId: string): Promise<{ tokenId: string; clientId: string }[]> {
  const rows = await db
    .selectFrom("token")
    .select(["id", "oauth_client_id"])
    .where("user_id", "=", userId)
    .where("oauth_grant_id", "is not", null)
    .execute();
  return rows.flatMap((row) => (row.oauth_client_id ? [{ tokenId: row.id, clientId: row.oauth_client_id }] : []));
}
