import type { Db } from "./db.ts";
import type { OauthClientTable } from "./schema.ts";

/** An OAuth app as Berth keeps it. The secret itself is never stored: only its keyed hash. */
export interface OAuthClient {
  readonly id: string;
  readonly owner: { readonly kind: "user" | "org"; readonly id: string } | { readonly kind: "builtin" };
  readonly name: string;
  readonly homepage: string | undefined;
  readonly redirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly isPublic: boolean;
  readonly secretHash: string | undefined;
  readonly secretHint: string | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

function toClient(row: OauthClientTable): OAuthClient {
  return {
    id: row.id,
    owner:
      row.owner_kind === "builtin" || row.owner_id === null
        ? { kind: "builtin" }
        : { kind: row.owner_kind === "org" ? "org" : "user", id: row.owner_id },
    name: row.name,
    homepage: row.homepage ?? undefined,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    scopes: row.scopes.split(" ").filter((scope) => scope.length > 0),
    isPublic: row.public === 1,
    secretHash: row.secret_hash ?? undefined,
    secretHint: row.secret_hint ?? undefined,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export async function insertClient(db: Db, client: OAuthClient): Promise<void> {
  await db
    .insertInto("oauth_client")
    .values({
      id: client.id,
      owner_kind: client.owner.kind,
      owner_id: client.owner.kind === "builtin" ? null : client.owner.id,
      name: client.name,
      homepage: client.homepage ?? null,
      redirect_uris: JSON.stringify(client.redirectUris),
      scopes: client.scopes.join(" "),
      public: client.isPublic ? 1 : 0,
      secret_hash: client.secretHash ?? null,
      secret_hint: client.secretHint ?? null,
      created_at: client.createdAt.toISOString(),
      updated_at: client.updatedAt.toISOString(),
    })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
}

export async function findClient(db: Db, id: string): Promise<OAuthClient | undefined> {
  const row = await db.selectFrom("oauth_client").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toClient(row);
}

export async function listClientsOf(db: Db, kind: "user" | "org", ownerId: string): Promise<OAuthClient[]> {
  const rows = await db
    .selectFrom("oauth_client")
    .selectAll()
    .where("owner_kind", "=", kind)
    .where("owner_id", "=", ownerId)
    .orderBy("created_at")
    .execute();
  return rows.map(toClient);
}

export async function updateClientSecret(
  db: Db,
  id: string,
  secret: { hash: string; hint: string } | undefined,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable("oauth_client")
    .set({
      secret_hash: secret?.hash ?? null,
      secret_hint: secret?.hint ?? null,
      public: secret ? 0 : 1,
      updated_at: now.toISOString(),
    })
    .where("id", "=", id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Deletes an app and everything it was granted: its app tokens (and with them their access tokens)
 * and the provider's records for those grants, in one transaction.
 */
export async function deleteClient(db: Db, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const grants = await trx.selectFrom("token").select("oauth_grant_id").where("oauth_client_id", "=", id).execute();
    for (const { oauth_grant_id: grantId } of grants) {
      if (grantId) await trx.deleteFrom("oauth_record").where("grant_id", "=", grantId).execute();
    }
    await trx.deleteFrom("oauth_access_token").where("client_id", "=", id).execute();
    await trx.deleteFrom("token").where("oauth_client_id", "=", id).execute();
    const result = await trx.deleteFrom("oauth_client").where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  });
}
