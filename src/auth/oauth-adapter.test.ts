import { sql } from "kysely";
import { errors } from "oidc-provider";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { generateOAuthTokenValue } from "../domain/token-format.ts";
import { findAppTokenId } from "../store/app-tokens.ts";
import { recordConsent } from "./oauth-account.ts";
import { oauthAdapterFor } from "./oauth-adapter.ts";
import { currentKeySet } from "./oauth-keys.ts";

const DAY = 24 * 3600 * 1000;

describe.each(testDialects())("OAuth storage on %s", (dialect) => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
  });
  afterEach(async () => ctx.dispose());

  async function dump(): Promise<string> {
    const tables = ["oauth_record", "oauth_access_token", "token", "oauth_signing_key"];
    const rows = await Promise.all(tables.map((table) => sql`select * from ${sql.table(table)}`.execute(ctx.db)));
    return JSON.stringify(rows.map((result) => result.rows));
  }

  it("keeps no code, token, user code or session id in the database, only their keyed hashes", async () => {
    const Adapter = oauthAdapterFor(ctx, errors.InvalidGrant);
    const alice = await seedUser(ctx, "alice");
    const client = { id: "c1", name: "App", scopes: ["openid"] } as never;
    await recordConsent(ctx, { user: alice, client, grantId: "grant-1", scopes: ["openid", "read-repos"], orgIds: [] });
    const code = "code-value-that-is-a-bearer-secret";
    const refresh = "refresh-token-value-that-is-secret";
    const device = "device-code-value-that-is-secret";
    const session = "session-cookie-value-that-is-secret";
    const access = generateOAuthTokenValue();
    const exp = Math.floor(Date.now() / 1000) + 600;
    await new Adapter("AuthorizationCode").upsert(code, { jti: code, grantId: "grant-1", clientId: "c1", exp }, 60);
    await new Adapter("RefreshToken").upsert(refresh, { jti: refresh, grantId: "grant-1", exp }, 600);
    await new Adapter("DeviceCode").upsert(device, { jti: device, userCode: "BCDFGHJK", grantId: "grant-1", exp }, 300);
    await new Adapter("Session").upsert(session, { jti: session, uid: "uid-1", exp }, 600);
    await new Adapter("AccessToken").upsert(
      access,
      { jti: access, grantId: "grant-1", clientId: "c1", scope: "openid", exp },
      600,
    );

    const stored = await dump();
    for (const secret of [code, refresh, device, session, access, "BCDFGHJK"]) expect(stored).not.toContain(secret);
    // And the provider finds each again by its value, the device code by its user code.
    expect((await new Adapter("AuthorizationCode").find(code))?.clientId).toBe("c1");
    expect((await new Adapter("DeviceCode").findByUserCode("BCDFGHJK"))?.jti).toBe(device);
    expect((await new Adapter("Session").findByUid("uid-1"))?.jti).toBe(session);
    expect((await new Adapter("AccessToken").find(access))?.scope).toBe("openid");
    expect(await new Adapter("RefreshToken").find("another value")).toBeUndefined();
  });

  it("lets exactly one of two racing uses consume a refresh token, and revokes the family for the other", async () => {
    const Adapter = oauthAdapterFor(ctx, errors.InvalidGrant);
    const alice = await seedUser(ctx, "alice");
    await recordConsent(ctx, {
      user: alice,
      client: { id: "c1", name: "App", scopes: ["openid"] } as never,
      grantId: "grant-2",
      scopes: ["openid"],
      orgIds: [],
    });
    const exp = Math.floor(Date.now() / 1000) + 600;
    await new Adapter("RefreshToken").upsert("rt", { jti: "rt", grantId: "grant-2", exp }, 600);
    const results = await Promise.allSettled([
      new Adapter("RefreshToken").consume("rt"),
      new Adapter("RefreshToken").consume("rt"),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((result) => result.status === "rejected");
    expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(errors.InvalidGrant);
    expect(await findAppTokenId(ctx.db, "grant-2")).toBeUndefined();
    expect(await new Adapter("RefreshToken").find("rt")).toBeUndefined();
  });

  it("signs with the same keys in every process, and rotates by publishing the next key a day ahead", async () => {
    const first = await currentKeySet(ctx, 90);
    expect(first.keys).toHaveLength(1);
    expect(await currentKeySet(ctx, 90)).toEqual(first);
    // The private key is sealed: no RSA private exponent in the clear.
    expect(await dump()).not.toContain(String(first.keys[0]?.d));

    ctx.advance(91 * DAY);
    const rotated = await currentKeySet(ctx, 90);
    expect(rotated.keys).toHaveLength(2);
    expect(rotated.keys[0]?.kid).toBe(first.keys[0]?.kid);
    ctx.advance(DAY + 1000);
    const next = await currentKeySet(ctx, 90);
    expect(next.keys[0]?.kid).not.toBe(first.keys[0]?.kid);
    expect(next.keys.map((key) => key.kid)).toContain(first.keys[0]?.kid);
  });
});
