import type { Kysely } from "kysely";

/**
 * OAuth 2 / OpenID Connect (issue 12). Berth is a provider (oidc-provider keeps its records here through
 * auth/oauth-adapter.ts) and a relying party to an external provider (SSO).
 *
 * - `oauth_client`: apps registered by users and orgs, and the built-in `hf auth login` client. Only a
 *   keyed hash of a client secret is stored.
 * - `oauth_record`: what oidc-provider stores (grants, codes, device codes, refresh tokens, sessions,
 *   interactions), keyed by a keyed hash of its id, never the id: an id that is a code or a token is a
 *   bearer secret. `grant_id` lets a revocation find a grant's family in one statement.
 * - `oauth_access_token`: access tokens apart, because they are Berth credentials: one indexed lookup by
 *   hash on every request, joined with the app token (`token` row) that lists and revokes them.
 * - `oauth_signing_key`: the JWKS, private keys sealed with a key derived from the server secret.
 * - `token.oauth_*`: a `token` row with an `oauth_grant_id` is an app token, the grant as the user sees it.
 * - `sso_identity`: which Berth user an external provider's subject signs in as.
 */
// biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on the schema types of today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("oauth_client")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("owner_kind", "text", (c) => c.notNull())
    .addColumn("owner_id", "text")
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("homepage", "text")
    .addColumn("redirect_uris", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("public", "integer", (c) => c.notNull())
    .addColumn("secret_hash", "text")
    .addColumn("secret_hint", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("oauth_client_owner_idx")
    .on("oauth_client")
    .columns(["owner_kind", "owner_id"])
    .execute();

  await db.schema
    .createTable("oauth_record")
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("key_hash", "text", (c) => c.notNull())
    .addColumn("grant_id", "text")
    .addColumn("user_code_hash", "text")
    .addColumn("uid_hash", "text")
    .addColumn("sealed_id", "text")
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .addColumn("consumed_at", "text")
    .addColumn("last_polled_at", "text")
    .addColumn("poll_interval", "integer")
    .addPrimaryKeyConstraint("oauth_record_pk", ["kind", "key_hash"])
    .execute();
  await db.schema.createIndex("oauth_record_grant_idx").on("oauth_record").column("grant_id").execute();
  await db.schema.createIndex("oauth_record_user_code_idx").on("oauth_record").column("user_code_hash").execute();
  await db.schema.createIndex("oauth_record_uid_idx").on("oauth_record").column("uid_hash").execute();
  await db.schema.createIndex("oauth_record_expires_idx").on("oauth_record").column("expires_at").execute();

  await db.schema.alterTable("token").addColumn("oauth_client_id", "text").execute();
  await db.schema.alterTable("token").addColumn("oauth_grant_id", "text").execute();
  await db.schema.alterTable("token").addColumn("oauth_org_ids", "text").execute();
  await db.schema.alterTable("token").addColumn("oauth_scopes", "text").execute();
  await db.schema.createIndex("token_oauth_grant_idx").on("token").column("oauth_grant_id").unique().execute();

  await db.schema
    .createTable("oauth_access_token")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("hash", "text", (c) => c.notNull().unique())
    .addColumn("token_id", "text", (c) => c.notNull().references("token.id").onDelete("cascade"))
    .addColumn("grant_id", "text", (c) => c.notNull())
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("oauth_access_token_grant_idx").on("oauth_access_token").column("grant_id").execute();
  await db.schema.createIndex("oauth_access_token_token_idx").on("oauth_access_token").column("token_id").execute();

  await db.schema
    .createTable("oauth_signing_key")
    .addColumn("kid", "text", (c) => c.primaryKey())
    .addColumn("alg", "text", (c) => c.notNull())
    .addColumn("sealed_jwk", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("activates_at", "text", (c) => c.notNull())
    .addColumn("retires_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sso_identity")
    .addColumn("issuer", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("sso_identity_pk", ["issuer", "subject"])
    .execute();
}
