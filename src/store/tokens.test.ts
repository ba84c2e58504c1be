import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import type { User } from "../domain/entities.ts";
import { newObjectId } from "../domain/object-id.ts";
import { HubError } from "../errors.ts";
import {
  deleteToken,
  findToken,
  findTokenByHash,
  findTokenByName,
  insertToken,
  listTokens,
  type NewToken,
  recordTokenUse,
  replaceTokenHash,
} from "./tokens.ts";

describe.each(testDialects())("token store on %s", (dialect) => {
  let ctx: TestContext;
  let alice: User;
  let bob: User;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    alice = await seedUser(ctx, "alice");
    bob = await seedUser(ctx, "bob");
  });
  afterEach(async () => ctx?.dispose());

  const newToken = (user: User, overrides: Partial<NewToken> = {}): NewToken => ({
    id: newObjectId(),
    userId: user.id,
    displayName: "ci",
    role: "write",
    fineGrained: undefined,
    hash: `h-${newObjectId()}`,
    hint: "hf_…abcd",
    expiresAt: undefined,
    ...overrides,
  });

  it("inserts a token and finds it by hash with its owner", async () => {
    const fineGrained = {
      canReadGatedRepos: true,
      global: ["discussion.write" as const],
      scoped: [
        { entity: { _id: alice.id, type: "user" as const, name: "alice" }, permissions: ["repo.write" as const] },
      ],
    };
    const input = newToken(alice, { role: "fineGrained", fineGrained, expiresAt: new Date("2030-01-01T00:00:00Z") });
    const created = await insertToken(ctx.db, input, ctx.now());
    const found = await findTokenByHash(ctx.db, input.hash);
    expect(found?.token).toEqual(created);
    expect(found?.token).toMatchObject({ id: input.id, role: "fineGrained", fineGrained, hint: "hf_…abcd" });
    expect(found?.token.expiresAt?.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect(found?.user).toEqual(alice);
    expect(await findTokenByHash(ctx.db, "h-unknown")).toBeUndefined();
  });

  it("lists a user's tokens oldest first, and only theirs", async () => {
    await insertToken(ctx.db, newToken(alice, { displayName: "first" }), ctx.now());
    ctx.advance(1000);
    await insertToken(ctx.db, newToken(alice, { displayName: "second", role: "read" }), ctx.now());
    await insertToken(ctx.db, newToken(bob, { displayName: "bobs" }), ctx.now());
    expect((await listTokens(ctx.db, alice.id)).map((token) => token.displayName)).toEqual(["first", "second"]);
    expect((await listTokens(ctx.db, bob.id)).map((token) => token.displayName)).toEqual(["bobs"]);
  });

  it("finds a token by id or name only for its owner", async () => {
    const input = newToken(alice);
    await insertToken(ctx.db, input, ctx.now());
    expect((await findToken(ctx.db, alice.id, input.id))?.id).toBe(input.id);
    expect(await findToken(ctx.db, bob.id, input.id)).toBeUndefined();
    expect((await findTokenByName(ctx.db, alice.id, "ci"))?.id).toBe(input.id);
    expect(await findTokenByName(ctx.db, bob.id, "ci")).toBeUndefined();
  });

  it("replaces the hash so the old one finds nothing", async () => {
    const input = newToken(alice);
    await insertToken(ctx.db, input, ctx.now());
    await recordTokenUse(ctx.db, input.id, { at: ctx.now(), ip: "192.0.2.1", userAgent: "old" });
    expect(await replaceTokenHash(ctx.db, bob.id, input.id, "h-bob", "hf_…bbbb")).toBe(false);
    expect(await replaceTokenHash(ctx.db, alice.id, input.id, "h-new", "hf_…wxyz")).toBe(true);
    expect(await findTokenByHash(ctx.db, input.hash)).toBeUndefined();
    const found = await findTokenByHash(ctx.db, "h-new");
    expect(found?.token).toMatchObject({ id: input.id, displayName: "ci", hint: "hf_…wxyz" });
    expect(found?.token).toMatchObject({ lastUsedAt: undefined, lastUsedIp: undefined, lastUsedUserAgent: undefined });
  });

  it("deletes a token only for its owner", async () => {
    const input = newToken(alice);
    await insertToken(ctx.db, input, ctx.now());
    expect(await deleteToken(ctx.db, bob.id, input.id)).toBe(false);
    expect(await findTokenByHash(ctx.db, input.hash)).toBeDefined();
    expect(await deleteToken(ctx.db, alice.id, input.id)).toBe(true);
    expect(await findTokenByHash(ctx.db, input.hash)).toBeUndefined();
    expect(await deleteToken(ctx.db, alice.id, input.id)).toBe(false);
  });

  it("keeps names unique per user, not across users", async () => {
    await insertToken(ctx.db, newToken(alice, { displayName: "laptop" }), ctx.now());
    const duplicate = insertToken(ctx.db, newToken(alice, { displayName: "laptop" }), ctx.now());
    await expect(duplicate).rejects.toBeInstanceOf(HubError);
    await expect(insertToken(ctx.db, newToken(alice, { displayName: "laptop" }), ctx.now())).rejects.toMatchObject({
      code: "Conflict",
      status: 409,
    });
    await expect(insertToken(ctx.db, newToken(bob, { displayName: "laptop" }), ctx.now())).resolves.toBeDefined();
  });

  it("records the last use", async () => {
    const input = newToken(alice);
    await insertToken(ctx.db, input, ctx.now());
    const at = new Date("2026-02-03T04:05:06.000Z");
    await recordTokenUse(ctx.db, input.id, { at, ip: "203.0.113.9", userAgent: "x".repeat(600) });
    const token = await findToken(ctx.db, alice.id, input.id);
    expect(token?.lastUsedAt).toEqual(at);
    expect(token?.lastUsedIp).toBe("203.0.113.9");
    expect(token?.lastUsedUserAgent).toHaveLength(512);
  });
});
