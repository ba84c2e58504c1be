import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { createOrg, findNamespace } from "./orgs.ts";
import { countUsers, createUser, findLogin, findUserByName, getUserByName, setPasswordHash } from "./users.ts";

describe.each(testDialects())("user store on %s", (dialect) => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
  });
  afterEach(async () => ctx?.dispose());

  const create = (name: string, email = `${name.toLowerCase()}@example.test`) =>
    createUser(ctx.db, { name, email }, ctx.now());

  it("creates a user and finds them by name, in any case", async () => {
    const user = await create("Alice");
    expect(user).toMatchObject({ name: "Alice", email: "alice@example.test", fullname: "Alice", isAdmin: false });
    expect(await findUserByName(ctx.db, "alice")).toEqual(user);
    expect(await findUserByName(ctx.db, "ALICE")).toEqual(user);
    expect(await findUserByName(ctx.db, "bob")).toBeUndefined();
    await expect(getUserByName(ctx.db, "bob")).rejects.toMatchObject({ code: "NotFound" });
    expect(await countUsers(ctx.db)).toBe(1);
  });

  it("shares one namespace between users and orgs, case-insensitively", async () => {
    const alice = await create("alice");
    await expect(create("ALICE", "other@example.test")).rejects.toMatchObject({ code: "Conflict" });
    await expect(createOrg(ctx.db, { name: "Alice", ownerId: alice.id }, ctx.now())).rejects.toMatchObject({
      code: "Conflict",
    });
    await createOrg(ctx.db, { name: "Acme", ownerId: alice.id }, ctx.now());
    await expect(create("acme")).rejects.toMatchObject({ code: "Conflict" });
    expect(await findNamespace(ctx.db, "ACME")).toMatchObject({ kind: "org", name: "Acme" });
    expect(await findNamespace(ctx.db, "Alice")).toMatchObject({ kind: "user", name: "alice", id: alice.id });
    expect(await findUserByName(ctx.db, "acme")).toBeUndefined();
    expect(await countUsers(ctx.db)).toBe(1);
  });

  it("refuses names Berth's own routes use, for users and orgs alike", async () => {
    const alice = await create("alice");
    for (const name of ["api", "Settings", "models", "datasets", "v1", "hf-inference"]) {
      await expect(create(name)).rejects.toMatchObject({ code: "Conflict" });
      await expect(createOrg(ctx.db, { name, ownerId: alice.id }, ctx.now())).rejects.toMatchObject({
        code: "Conflict",
      });
    }
    expect(await countUsers(ctx.db)).toBe(1);
  });

  it("keeps emails unique, case-insensitively, and leaves no half-made user behind", async () => {
    await create("alice", "Alice@Example.test");
    await expect(create("bob", "alice@example.TEST")).rejects.toMatchObject({ code: "Conflict" });
    // The namespace row of the refused user was rolled back: the name is still free.
    expect(await findNamespace(ctx.db, "bob")).toBeUndefined();
    await expect(create("bob")).resolves.toMatchObject({ name: "bob" });
  });

  it("finds a login by name or email with its password hash", async () => {
    const user = await createUser(
      ctx.db,
      { name: "alice", email: "alice@example.test", passwordHash: "$argon2id$x" },
      ctx.now(),
    );
    expect(await findLogin(ctx.db, "Alice")).toEqual({ user, passwordHash: "$argon2id$x" });
    expect(await findLogin(ctx.db, "ALICE@example.test")).toEqual({ user, passwordHash: "$argon2id$x" });
    expect(await findLogin(ctx.db, "nobody")).toBeUndefined();
    await setPasswordHash(ctx.db, user.id, "$argon2id$y");
    expect((await findLogin(ctx.db, "alice"))?.passwordHash).toBe("$argon2id$y");
  });
});
