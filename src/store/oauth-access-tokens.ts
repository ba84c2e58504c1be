/**
 * OAuth access tokens: Berth credentials issued by the provider (auth/oauth-adapter.ts writes them).
 * Stored: HMAC(server key, value) only, plus what the provider needs back (its payload, without the
 * value). Looked up by that hash through a unique index, joined with the app token that owns them, so
 * deleting the app token (or its user) ends them in the same statement.
 */

import type { User } from "../domain/entities.ts";
import type { Token } from "../domain/token.ts";
import type { Db } from "./db.ts";
import { preparedQuery } from "./prepared-query.ts";
import { type TokenUserRow, tokenAndUser } from "./tokens.ts";

export interface NewAccessToken {
  readonly id: string;
  readonly hash: string;
  readonly tokenId: string;
  readonly grantId: string;
  readonly clientId: string;
  readonly scope: string;
  readonly payload: string;
  readonly expiresAt: Date;
}

export interface AccessTokenFacts {
  readonly id: string;
  readonly clientId: string;
  readonly scope: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface AccessTokenCredential {
  readonly accessToken: AccessTokenFacts;
  readonly token: Token;
  readonly user: User;
  readonly hash: string;
}

export async function insertAccessToken(db: Db, input: NewAccessToken, now: Date): Promise<void> {
  await db
    .insertInto("oauth_access_token")
    .values({
      id: input.id,
      hash: input.hash,
      token_id: input.tokenId,
      grant_id: input.grantId,
      client_id: input.clientId,
      scope: input.scope,
      payload: input.payload,
      created_at: now.toISOString(),
      expires_at: input.expiresAt.toISOString(),
    })
    .onConflict((oc) => oc.column("hash").doUpdateSet({ payload: input.payload, scope: input.scope }))
    .execute();
}

export async function findAccessTokenPayload(db: Db, hash: string): Promise<string | undefined> {
  const row = await db.selectFrom("oauth_access_token").select("payload").where("hash", "=", hash).executeTakeFirst();
  return row?.payload;
}

export async function deleteAccessToken(db: Db, hash: string): Promise<void> {
  await db.deleteFrom("oauth_access_token").where("hash", "=", hash).execute();
}

export async function deleteAccessTokensOfGrant(db: Db, grantId: string): Promise<void> {
  await db.deleteFrom("oauth_access_token").where("grant_id", "=", grantId).execute();
}

function credentialQuery(db: Db) {
  return db
    .selectFrom("oauth_access_token")
    .innerJoin("token", "token.id", "oauth_access_token.token_id")
    .innerJoin("user", "user.id", "token.user_id")
    .selectAll("token")
    .select([
      "user.name as u_name",
      "user.email as u_email",
      "user.fullname as u_fullname",
      "user.is_admin as u_is_admin",
      "user.created_at as u_created_at",
      "oauth_access_token.id as at_id",
      "oauth_access_token.hash as at_hash",
      "oauth_access_token.client_id as at_client_id",
      "oauth_access_token.scope as at_scope",
      "oauth_access_token.created_at as at_created_at",
      "oauth_access_token.expires_at as at_expires_at",
    ]);
}

/** The hot path for OAuth tokens: one indexed lookup by hash, with the app token and its owner. */
const selectByHash = preparedQuery((db, hash) => credentialQuery(db).where("oauth_access_token.hash", "=", hash));
const selectById = preparedQuery((db, id) => credentialQuery(db).where("oauth_access_token.id", "=", id));

type CredentialRow = TokenUserRow & {
  at_id: string;
  at_hash: string;
  at_client_id: string;
  at_scope: string;
  at_created_at: string;
  at_expires_at: string;
};

function toCredential(row: CredentialRow): AccessTokenCredential {
  return {
    ...tokenAndUser(row),
    hash: row.at_hash,
    accessToken: {
      id: row.at_id,
      clientId: row.at_client_id,
      scope: row.at_scope,
      createdAt: new Date(row.at_created_at),
      expiresAt: new Date(row.at_expires_at),
    },
  };
}

export async function findAccessTokenCredential(db: Db, hash: string): Promise<AccessTokenCredential | undefined> {
  const [row] = await selectByHash(db, hash);
  return row && toCredential(row as CredentialRow);
}

export async function findAccessTokenCredentialById(db: Db, id: string): Promise<AccessTokenCredential | undefined> {
  const [row] = await selectById(db, id);
  return row && toCredential(row as CredentialRow);
}
