/**
 * oidc-provider's storage, on Berth's database, shared by every process (nothing is held in memory).
 *
 * Format: each model's records go to `oauth_record` (access tokens to `oauth_access_token`, clients
 * come from `oauth_client`). What is stored: the provider's payload without its id and without a
 * device code's user code; the id, the user code and a session's uid only as HMAC-SHA-256 under the
 * server key. A record the provider finds by a secondary key (a device code by its user code, a
 * session by its uid) also keeps its id sealed (AES-256-GCM, oauth-sealing.ts), to hand it back. The id of an authorization code, a refresh token, a device code, an access token or a
 * session is a bearer secret: a database dump reveals none. Compared: by the hash through an index.
 * Lifetime: the provider's own (`exp` in the payload, checked by the provider on every find); rows are
 * swept once expired.
 *
 * Two things the provider leaves to storage are made strict here:
 * - `consume` is atomic: of two requests racing with one refresh token (or code), exactly one consumes
 *   it; the other is a replay, so the whole grant is revoked, as the provider does for a later replay.
 * - An access token is stored only beside the app token of its grant (auth/oauth-grants.ts), which is
 *   what makes it a Berth credential and what revokes it.
 */
import type { Context } from "../context.ts";
import { newObjectId } from "../domain/object-id.ts";
import { hashSecret } from "../domain/token-format.ts";
import { deleteGrantFamily, findAppTokenId } from "../store/app-tokens.ts";
import {
  deleteAccessToken,
  deleteAccessTokensOfGrant,
  findAccessTokenPayload,
  insertAccessToken,
} from "../store/oauth-access-tokens.ts";
import { findClient } from "../store/oauth-clients.ts";
import {
  consumeRecord,
  deleteRecord,
  deleteRecordsOfGrant,
  findRecord,
  findRecordBy,
  upsertRecord,
} from "../store/oauth-records.ts";
import { clientMetadata } from "./oauth-clients.ts";
import { openSealed, seal } from "./oauth-sealing.ts";

type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; exp?: number };

export interface OAuthAdapter {
  upsert(id: string, payload: Payload, expiresIn: number | undefined): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** Raised when a record is consumed twice at once; the provider answers `invalid_grant`. */
export type ReplayError = new (description: string) => Error;

/** The stored key of a provider record: HMAC of its kind and id. */
export function recordKey(tokenKey: Buffer, kind: string, id: string): { kind: string; keyHash: string } {
  return { kind, keyHash: hashSecret(tokenKey, `${kind}:${id}`) };
}

export function oauthAdapterFor(ctx: Context, replayError: ReplayError): new (kind: string) => OAuthAdapter {
  const hash = (value: string) => hashSecret(ctx.secrets.tokenKey, value);

  return class BerthOAuthAdapter implements OAuthAdapter {
    readonly kind: string;
    constructor(kind: string) {
      this.kind = kind;
    }

    key(id: string) {
      return recordKey(ctx.secrets.tokenKey, this.kind, id);
    }

    async upsert(id: string, payload: Payload, expiresIn: number | undefined): Promise<void> {
      const { jti: _id, userCode, ...kept } = payload;
      const expiresAt = expiresIn === undefined ? undefined : new Date(Date.now() + expiresIn * 1000);
      if (this.kind === "AccessToken") {
        const grantId = String(payload.grantId ?? "");
        const tokenId = grantId ? await findAppTokenId(ctx.db, grantId) : undefined;
        // Every grant gets its app token at consent; an access token without one would be unrevocable.
        if (!tokenId) throw new Error("an access token was issued for a grant without an app token");
        const exp = typeof payload.exp === "number" ? new Date(payload.exp * 1000) : expiresAt;
        await insertAccessToken(
          ctx.db,
          {
            id: newObjectId(),
            hash: hashSecret(ctx.secrets.tokenKey, id),
            tokenId,
            grantId,
            clientId: String(payload.clientId ?? ""),
            scope: typeof payload.scope === "string" ? payload.scope : "",
            payload: JSON.stringify(kept),
            expiresAt: exp ?? new Date(Date.now()),
          },
          ctx.now(),
        );
        return;
      }
      await upsertRecord(ctx.db, {
        ...this.key(id),
        payload: JSON.stringify(kept),
        grantId: this.kind === "Grant" ? id : typeof payload.grantId === "string" ? payload.grantId : undefined,
        userCodeHash: typeof userCode === "string" ? hash(`user-code:${userCode}`) : undefined,
        uidHash: typeof payload.uid === "string" ? hash(`uid:${payload.uid}`) : undefined,
        sealedId:
          typeof userCode === "string" || typeof payload.uid === "string"
            ? seal(ctx.secrets.tokenKey, "record id", id)
            : undefined,
        expiresAt,
      });
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.kind === "Client") return clientPayload(ctx, id);
      const stored =
        this.kind === "AccessToken"
          ? await findAccessTokenPayload(ctx.db, hashSecret(ctx.secrets.tokenKey, id))
          : await findRecord(ctx.db, this.key(id));
      return stored === undefined ? undefined : { ...(JSON.parse(stored) as Payload), jti: id };
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const found = await findRecordBy(ctx.db, this.kind, "user_code_hash", hash(`user-code:${userCode}`));
      const id = found?.sealedId && openSealed(ctx.secrets.tokenKey, "record id", found.sealedId);
      return found && id ? { ...(JSON.parse(found.payload) as Payload), userCode, jti: id } : undefined;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const found = await findRecordBy(ctx.db, this.kind, "uid_hash", hash(`uid:${uid}`));
      const id = found?.sealedId && openSealed(ctx.secrets.tokenKey, "record id", found.sealedId);
      return found && id ? { ...(JSON.parse(found.payload) as Payload), jti: id } : undefined;
    }

    async consume(id: string): Promise<void> {
      const key = this.key(id);
      const stored = await findRecord(ctx.db, key);
      if (stored === undefined) return;
      const payload = { ...(JSON.parse(stored) as Payload), consumed: Math.floor(Date.now() / 1000) };
      if (await consumeRecord(ctx.db, key, JSON.stringify(payload), ctx.now())) return;
      // Consumed in between by another request: a replay. The family goes, as for a later replay.
      if (typeof payload.grantId === "string") await deleteGrantFamily(ctx.db, payload.grantId);
      throw new replayError(`${this.kind === "RefreshToken" ? "refresh token" : "grant"} already used`);
    }

    async destroy(id: string): Promise<void> {
      if (this.kind === "AccessToken") return deleteAccessToken(ctx.db, hashSecret(ctx.secrets.tokenKey, id));
      if (this.kind === "Grant") {
        // The grant itself is gone: so is the app token that stands for it (and its access tokens).
        await deleteGrantFamily(ctx.db, id);
        return;
      }
      await deleteRecord(ctx.db, this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      if (this.kind === "AccessToken") return deleteAccessTokensOfGrant(ctx.db, grantId);
      await deleteRecordsOfGrant(ctx.db, this.kind, grantId);
    }
  };
}

async function clientPayload(ctx: Context, id: string): Promise<Payload | undefined> {
  const client = await findClient(ctx.db, id);
  return client && (clientMetadata(client) as Payload);
}
