import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedOrg, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import { buildApp } from "../app.ts";

describe.each(testDialects())("organization members on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  const members = "/api/organizations/acme/members";
  const add = (token: string, user: unknown, role: unknown, org = "acme") =>
    app.inject({
      method: "POST",
      url: `/api/organizations/${org}/members`,
      headers: bearer(token),
      payload: { user, role },
    });
  const setRole = (token: string, user: string, role: unknown) =>
    app.inject({ method: "PUT", url: `${members}/${user}`, headers: bearer(token), payload: { role } });
  const remove = (token: string, user: string) =>
    app.inject({ method: "DELETE", url: `${members}/${user}`, headers: bearer(token) });
  const roles = async (token: string) =>
    Object.fromEntries(
      (await app.inject({ url: members, headers: bearer(token) }))
        .json()
        .map((member: { user: string; role: string }) => [member.user, member.role]),
    );

  let created = 0;
  /** POST /api/repos/create in acme with this token: the status. */
  async function createStatus(token: string): Promise<number> {
    const payload = { name: `repo-${++created}`, organization: "acme", type: "model" };
    const response = await app.inject({ method: "POST", url: "/api/repos/create", headers: bearer(token), payload });
    return response.statusCode;
  }

  it("shows a public overview", async () => {
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    const org = await seedOrg(ctx, "acme", alice, { bob: [bob, "read"] });
    const overview = await app.inject({ url: "/api/organizations/ACME/overview" });
    expect(overview.statusCode).toBe(200);
    expect(overview.json()).toMatchObject({ _id: org.id, name: "acme", fullname: "acme", type: "org", numUsers: 2 });
    expect(overview.json().avatarUrl).toBeTruthy();
    expect((await app.inject({ url: "/api/organizations/nope/overview" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/api/organizations/alice/overview" })).statusCode).toBe(404);
  });

  it("lets an admin add, change and remove members", async () => {
    const alice = await seedUser(ctx, "alice");
    await seedUser(ctx, "bob");
    await seedOrg(ctx, "acme", alice);
    const admin = await seedToken(ctx, alice, { role: "write" });

    const added = await add(admin, "Bob", "read");
    expect(added.statusCode).toBe(200);
    expect(added.json()).toMatchObject({ user: "bob", fullname: "bob", type: "user", role: "read" });
    const listed = (await app.inject({ url: members, headers: bearer(admin) })).json();
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({ user: "alice", type: "user", role: "admin" });
    expect(listed[0].avatarUrl).toBeTruthy();

    expect((await add(admin, "bob", "contributor")).json().role).toBe("contributor");
    expect((await setRole(admin, "bob", "write")).statusCode).toBe(200);
    expect(await roles(admin)).toEqual({ alice: "admin", bob: "write" });
    const removed = await remove(admin, "bob");
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({});
    expect(await roles(admin)).toEqual({ alice: "admin" });

    expect((await remove(admin, "bob")).statusCode).toBe(404);
    expect((await setRole(admin, "bob", "read")).statusCode).toBe(404);
    expect((await add(admin, "nobody", "read")).statusCode).toBe(404);
    expect((await setRole(admin, "nobody", "read")).statusCode).toBe(404);
    expect((await add(admin, "bob", "owner")).statusCode).toBe(400);
    expect((await setRole(admin, "bob", 3)).statusCode).toBe(400);
    expect((await add(admin, 7, "read")).statusCode).toBe(400);
    expect((await add(admin, "bob", "read", "nope")).statusCode).toBe(404);
    expect((await add(admin, "bob", "read", "alice")).statusCode).toBe(404);
    expect((await app.inject({ url: "/api/organizations/nope/members", headers: bearer(admin) })).statusCode).toBe(404);
  });

  it("refuses member changes to non-admins and to read tokens", async () => {
    const alice = await seedUser(ctx, "alice");
    const writer = await seedUser(ctx, "writer");
    const stranger = await seedUser(ctx, "stranger");
    await seedUser(ctx, "bob");
    await seedOrg(ctx, "acme", alice, { writer: [writer, "write"] });

    const writerToken = await seedToken(ctx, writer, { role: "write" });
    expect((await app.inject({ url: members, headers: bearer(writerToken) })).statusCode).toBe(200);
    const refused = await add(writerToken, "bob", "read");
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toBe("You must be an admin of acme to manage its members");
    expect((await remove(writerToken, "alice")).statusCode).toBe(403);
    expect((await setRole(writerToken, "writer", "admin")).statusCode).toBe(403);

    const adminRead = await seedToken(ctx, alice, { role: "read" });
    expect((await app.inject({ url: members, headers: bearer(adminRead) })).statusCode).toBe(200);
    const readRole = await add(adminRead, "bob", "read");
    expect(readRole.statusCode).toBe(403);
    expect(readRole.json().error).toMatch(/read role/);
    expect((await remove(adminRead, "writer")).statusCode).toBe(403);

    const strangerToken = await seedToken(ctx, stranger);
    expect((await app.inject({ url: members, headers: bearer(strangerToken) })).statusCode).toBe(403);
    expect((await add(strangerToken, "bob", "read")).statusCode).toBe(403);
    expect((await app.inject({ url: members })).statusCode).toBe(401);
    expect(await roles(adminRead)).toEqual({ alice: "admin", writer: "write" });
  });

  it("needs org.read to list and org.write to manage with a fine-grained token", async () => {
    const alice = await seedUser(ctx, "alice");
    await seedUser(ctx, "bob");
    await seedOrg(ctx, "acme", alice);
    const scoped = (permissions: string[]) =>
      seedToken(ctx, alice, { role: "fineGrained", scoped: [{ entity: { type: "org", name: "acme" }, permissions }] });
    const none = await scoped(["repo.content.read"]);
    const reader = await scoped(["org.read"]);
    const writer = await scoped(["org.read", "org.write"]);

    const lacksRead = await app.inject({ url: members, headers: bearer(none) });
    expect(lacksRead.statusCode).toBe(403);
    expect(lacksRead.json().error).toBe("This token lacks org.read on acme");
    expect((await app.inject({ url: members, headers: bearer(reader) })).statusCode).toBe(200);
    const lacksWrite = await add(reader, "bob", "read");
    expect(lacksWrite.statusCode).toBe(403);
    expect(lacksWrite.json().error).toBe("This token lacks org.write on acme");
    expect((await add(writer, "bob", "read")).statusCode).toBe(200);
    expect((await remove(writer, "bob")).statusCode).toBe(200);
  });

  it("never leaves the org without an admin", async () => {
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    await seedOrg(ctx, "acme", alice, { bob: [bob, "write"] });
    const admin = await seedToken(ctx, alice);

    const last = await remove(admin, "alice");
    expect(last.statusCode).toBe(400);
    expect(last.json().error).toBe("An organization must keep at least one admin");
    expect((await setRole(admin, "alice", "write")).statusCode).toBe(400);
    expect((await add(admin, "alice", "read")).statusCode).toBe(400);
    expect((await setRole(admin, "alice", "admin")).statusCode).toBe(200);
    expect(await roles(admin)).toEqual({ alice: "admin", bob: "write" });

    expect((await setRole(admin, "bob", "admin")).statusCode).toBe(200);
    expect((await setRole(admin, "alice", "read")).statusCode).toBe(200);
    expect(await roles(admin)).toEqual({ alice: "read", bob: "admin" });
  });

  it("applies a role change to the member's existing tokens at once", async () => {
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    await seedUser(ctx, "carol");
    await seedOrg(ctx, "acme", alice, { bob: [bob, "admin"] });
    const admin = await seedToken(ctx, alice);
    const bobToken = await seedToken(ctx, bob, { role: "write" });

    expect((await add(bobToken, "carol", "read")).statusCode).toBe(200);
    expect((await setRole(admin, "bob", "write")).statusCode).toBe(200);
    expect((await add(bobToken, "carol", "write")).statusCode).toBe(403);
    expect(await createStatus(bobToken)).toBe(200);

    expect((await setRole(admin, "bob", "read")).statusCode).toBe(200);
    expect(await createStatus(bobToken)).toBe(403);
    expect((await app.inject({ url: members, headers: bearer(bobToken) })).statusCode).toBe(200);

    expect((await remove(admin, "bob")).statusCode).toBe(200);
    expect((await app.inject({ url: members, headers: bearer(bobToken) })).statusCode).toBe(403);
  });
});
