import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedOrg, seedRepo, seedToken, seedUser, TEST_PASSWORD } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import type { Repo } from "../../domain/entities.ts";
import { buildApp } from "../app.ts";

describe.each(testDialects())("gated access requests on %s", (dialect) => {
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

  /** What auth-check (gated content) answers the token: its status and X-Error-Message. */
  async function contentStatus(token: string, repo: Repo): Promise<{ status: number; message?: string }> {
    const url = `/api/${repo.type}s/${repo.namespace}/${repo.name}/auth-check`;
    const response = await app.inject({ url, headers: bearer(token) });
    const message = response.headers["x-error-message"];
    return { status: response.statusCode, ...(typeof message === "string" ? { message } : {}) };
  }

  async function signIn(name: string): Promise<Record<string, string>> {
    const response = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: name, password: TEST_PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
    return { cookie, "x-csrf-token": response.json().csrfToken };
  }

  const api = (repo: string, rest: string) => `/api/models/${repo}/user-access-request/${rest}`;

  async function handle(token: string, repo: string, payload: Record<string, unknown>) {
    return app.inject({ method: "POST", url: api(repo, "handle"), headers: bearer(token), payload });
  }

  async function list(token: string, repo: string, status: string) {
    return app.inject({ url: api(repo, status), headers: bearer(token) });
  }

  it("accepts at once on an auto-gated repo and lists the request with its answers", async () => {
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    const repo = await seedRepo(ctx, alice, "alice/auto", { gated: "auto" });
    const dataset = await seedRepo(ctx, alice, "alice/data", { type: "dataset", gated: "auto" });
    const owner = await seedToken(ctx, alice, { role: "read" });
    const bobToken = await seedToken(ctx, bob, { role: "read" });
    expect((await contentStatus(bobToken, repo)).status).toBe(403);

    const ask = await app.inject({
      method: "POST",
      url: "/Alice/AUTO/ask-access",
      headers: bearer(bobToken),
      payload: { company: "Initech", agree: true },
    });
    expect(ask.statusCode).toBe(303);
    expect(ask.headers.location).toBe("/alice/auto");
    expect((await contentStatus(bobToken, repo)).status).toBe(200);

    const accepted = await list(owner, "alice/auto", "accepted");
    expect(accepted.statusCode).toBe(200);
    const [entry, ...rest] = accepted.json();
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      user: { user: "bob", fullname: "bob", email: "bob@example.test", type: "user" },
      status: "accepted",
      fields: { company: "Initech", agree: true },
    });
    expect(entry.user.avatarUrl).toBeTruthy();
    expect(entry.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await list(owner, "alice/auto", "pending")).json()).toEqual([]);

    const askDataset = await app.inject({
      method: "POST",
      url: "/datasets/alice/data/ask-access",
      headers: bearer(bobToken),
    });
    expect(askDataset.statusCode).toBe(303);
    expect(askDataset.headers.location).toBe("/datasets/alice/data");
    expect((await contentStatus(bobToken, dataset)).status).toBe(200);
    const listed = await app.inject({
      url: "/api/datasets/alice/data/user-access-request/accepted",
      headers: bearer(owner),
    });
    expect(listed.json()[0]).not.toHaveProperty("fields");
  });

  it("walks a manual request through review, and a rejected user cannot requeue themselves", async () => {
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    const repo = await seedRepo(ctx, alice, "alice/manual", { gated: "manual" });
    const owner = await seedToken(ctx, alice, { role: "write" });
    const bobToken = await seedToken(ctx, bob, { role: "read" });
    const session = await signIn("bob");

    const noCsrf = await app.inject({
      method: "POST",
      url: "/alice/manual/ask-access",
      headers: { cookie: session.cookie ?? "", "content-type": "application/x-www-form-urlencoded" },
      payload: "company=Initech",
    });
    expect(noCsrf.statusCode).toBe(403);
    const ask = await app.inject({
      method: "POST",
      url: "/alice/manual/ask-access",
      headers: { ...session, "content-type": "application/x-www-form-urlencoded" },
      payload: "company=Initech&reason=research&reason=teaching",
    });
    expect(ask.statusCode).toBe(303);
    expect(ask.headers.location).toBe("/alice/manual");
    const pending = (await list(owner, "alice/manual", "pending")).json();
    expect(pending).toMatchObject([{ user: { user: "bob" }, status: "pending" }]);
    expect(pending[0].fields).toEqual({ company: "Initech", reason: ["research", "teaching"] });
    expect(await contentStatus(bobToken, repo)).toMatchObject({
      status: 403,
      message: expect.stringMatching(/awaiting/),
    });

    expect((await handle(owner, "alice/manual", { user: "bob", status: "accepted" })).statusCode).toBe(200);
    expect((await contentStatus(bobToken, repo)).status).toBe(200);
    const twice = await handle(owner, "alice/manual", { user: "bob", status: "accepted" });
    expect(twice.statusCode).toBe(400);

    const reject = await handle(owner, "alice/manual", { user: "bob", status: "rejected", rejectionReason: "no" });
    expect(reject.statusCode).toBe(200);
    expect(reject.json()).toEqual({});
    expect(await contentStatus(bobToken, repo)).toMatchObject({
      status: 403,
      message: expect.stringMatching(/rejected/),
    });
    // Asking again, or withdrawing, does not erase the rejection.
    await app.inject({ method: "POST", url: "/alice/manual/ask-access", headers: bearer(bobToken) });
    const cancelRejected = await app.inject({
      method: "POST",
      url: api("alice/manual", "cancel"),
      headers: bearer(bobToken),
    });
    expect(cancelRejected.statusCode).toBe(404);
    expect((await list(owner, "alice/manual", "rejected")).json()).toMatchObject([{ user: { user: "bob" } }]);

    // The owner puts it back to pending (Python's cancel_access_request); the requester withdraws it.
    expect((await handle(owner, "alice/manual", { user: "bob", status: "pending" })).statusCode).toBe(200);
    const cancel = await app.inject({ method: "POST", url: api("alice/manual", "cancel"), headers: bearer(bobToken) });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json()).toEqual({ ok: true });
    for (const status of ["pending", "accepted", "rejected"]) {
      expect((await list(owner, "alice/manual", status)).json()).toEqual([]);
    }
  });

  it("grants by hand without an email, once", async () => {
    const alice = await seedUser(ctx, "alice");
    const carol = await seedUser(ctx, "carol");
    const repo = await seedRepo(ctx, alice, "alice/manual", { gated: "manual" });
    const owner = await seedToken(ctx, alice, { role: "write" });
    const grant = (user: string) =>
      app.inject({ method: "POST", url: api("alice/manual", "grant"), headers: bearer(owner), payload: { user } });

    const granted = await grant("carol");
    expect(granted.statusCode).toBe(200);
    expect(granted.json()).toEqual({});
    expect((await contentStatus(await seedToken(ctx, carol, { role: "read" }), repo)).status).toBe(200);
    const [entry] = (await list(owner, "alice/manual", "accepted")).json();
    expect(entry).toMatchObject({ user: { user: "carol" }, status: "accepted" });
    expect(entry.user).not.toHaveProperty("email");
    expect(entry).not.toHaveProperty("fields");

    const again = await grant("carol");
    expect(again.statusCode).toBe(400);
    expect(again.json().error).toBe("That user already has access to this repo");
    expect((await grant("nobody")).statusCode).toBe(404);
    expect((await handle(owner, "alice/manual", { user: "nobody", status: "accepted" })).statusCode).toBe(404);
    await seedUser(ctx, "dave");
    const noRequest = await handle(owner, "alice/manual", { user: "dave", status: "rejected" });
    expect(noRequest.statusCode).toBe(404);
  });

  it("refuses every access-request action on a repo that is not gated", async () => {
    const alice = await seedUser(ctx, "alice");
    await seedUser(ctx, "bob");
    await seedRepo(ctx, alice, "alice/open");
    const owner = await seedToken(ctx, alice, { role: "write" });
    const ask = await app.inject({ method: "POST", url: "/alice/open/ask-access", headers: bearer(owner) });
    expect(ask.statusCode).toBe(400);
    expect((await handle(owner, "alice/open", { user: "bob", status: "accepted" })).statusCode).toBe(400);
    const grant = await app.inject({
      method: "POST",
      url: api("alice/open", "grant"),
      headers: bearer(owner),
      payload: { user: "bob" },
    });
    expect(grant.statusCode).toBe(400);
  });

  it("lets only those with write on the repo review, and caps tokens", async () => {
    const alice = await seedUser(ctx, "alice");
    const writer = await seedUser(ctx, "writer");
    const reader = await seedUser(ctx, "reader");
    const bob = await seedUser(ctx, "bob");
    const stranger = await seedUser(ctx, "stranger");
    await seedOrg(ctx, "acme", alice, { writer: [writer, "write"], reader: [reader, "read"] });
    const repo = await seedRepo(ctx, alice, "acme/bert", { gated: "manual" });
    await seedRepo(ctx, alice, "alice/secret", { gated: "manual", private: true });
    const bobToken = await seedToken(ctx, bob);
    await app.inject({ method: "POST", url: "/acme/bert/ask-access", headers: bearer(bobToken) });

    const strangerToken = await seedToken(ctx, stranger);
    expect((await list(strangerToken, "alice/secret", "pending")).statusCode).toBe(404);
    expect((await handle(strangerToken, "alice/secret", { user: "bob", status: "accepted" })).statusCode).toBe(404);
    expect((await list(strangerToken, "acme/bert", "pending")).statusCode).toBe(403);
    expect((await handle(strangerToken, "acme/bert", { user: "bob", status: "accepted" })).statusCode).toBe(403);
    expect((await app.inject({ url: api("acme/bert", "pending") })).statusCode).toBe(401);

    const readerToken = await seedToken(ctx, reader);
    expect((await list(readerToken, "acme/bert", "pending")).statusCode).toBe(403);
    expect((await handle(readerToken, "acme/bert", { user: "bob", status: "accepted" })).statusCode).toBe(403);

    const ownerRead = await seedToken(ctx, alice, { role: "read" });
    expect((await list(ownerRead, "acme/bert", "pending")).statusCode).toBe(200);
    const readRole = await handle(ownerRead, "acme/bert", { user: "bob", status: "accepted" });
    expect(readRole.statusCode).toBe(403);
    expect(readRole.json().error).toMatch(/read role/);

    const listOnly = await seedToken(ctx, alice, {
      role: "fineGrained",
      scoped: [{ entity: { type: "model", name: "acme/bert" }, permissions: ["repo.access.read"] }],
    });
    expect((await list(listOnly, "acme/bert", "pending")).json()).toHaveLength(1);
    const lacks = await handle(listOnly, "acme/bert", { user: "bob", status: "accepted" });
    expect(lacks.statusCode).toBe(403);
    expect(lacks.json().error).toBe("This token lacks repo.write on acme/bert");

    const writerToken = await seedToken(ctx, writer, { role: "write" });
    expect((await handle(writerToken, "acme/bert", { user: "bob", status: "accepted" })).statusCode).toBe(200);
    expect((await contentStatus(bobToken, repo)).status).toBe(200);
  });

  it("pages the list with an absolute Link", async () => {
    const alice = await seedUser(ctx, "alice");
    const owner = await seedToken(ctx, alice, { role: "read" });
    await seedRepo(ctx, alice, "alice/manual", { gated: "manual" });
    for (const name of ["u1", "u2", "u3"]) {
      const token = await seedToken(ctx, await seedUser(ctx, name));
      await app.inject({ method: "POST", url: "/alice/manual/ask-access", headers: bearer(token) });
      ctx.advance(1000);
    }
    const first = await app.inject({ url: `${api("alice/manual", "pending")}?limit=2`, headers: bearer(owner) });
    expect(first.json()).toHaveLength(2);
    const link = first.headers.link as string;
    expect(link).toBe(
      '<http://hub.test/api/models/alice/manual/user-access-request/pending?limit=2&offset=2>; rel="next"',
    );
    const next = link.slice(1, link.indexOf(">")).replace("http://hub.test", "");
    const second = await app.inject({ url: next, headers: bearer(owner) });
    expect(second.json()).toHaveLength(1);
    expect(second.headers.link).toBeUndefined();
    const names = [...first.json(), ...second.json()].map((entry: { user: { user: string } }) => entry.user.user);
    expect(names.sort()).toEqual(["u1", "u2", "u3"]);

    // Past the end is an empty page, a huge size the largest page, anything malformed a 400.
    const pending = api("alice/manual", "pending");
    for (const query of ["offset=3", "offset=99999999999999999999"]) {
      const beyond = await app.inject({ url: `${pending}?${query}`, headers: bearer(owner) });
      expect(beyond.statusCode, query).toBe(200);
      expect(beyond.json(), query).toEqual([]);
      expect(beyond.headers.link, query).toBeUndefined();
    }
    const huge = await app.inject({ url: `${pending}?limit=99999999999999999999`, headers: bearer(owner) });
    expect(huge.json()).toHaveLength(3);
    for (const query of ["offset=-1", "offset=1e3", "offset=abc", "limit=1e3", "limit=2&limit=3"]) {
      const bad = await app.inject({ url: `${pending}?${query}`, headers: bearer(owner) });
      expect(bad.statusCode, query).toBe(400);
    }
  });

  it("answers bad input with a 4xx", async () => {
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    await seedRepo(ctx, alice, "alice/manual", { gated: "manual" });
    const owner = await seedToken(ctx, alice, { role: "write" });
    const bobToken = await seedToken(ctx, bob);
    const ask = (payload: unknown, headers: Record<string, string> = bearer(bobToken)) =>
      app.inject({ method: "POST", url: "/alice/manual/ask-access", headers, payload: payload as string });

    expect((await ask({ company: "x" }, {})).statusCode).toBe(401);
    expect((await ask({ nested: { deep: 1 } })).statusCode).toBe(400);
    expect((await ask(["a"])).statusCode).toBe(400);
    const big = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, "x".repeat(3000)]));
    expect((await ask(big)).statusCode).toBe(413);
    const malformed = await app.inject({
      method: "POST",
      url: "/alice/manual/ask-access",
      headers: { ...bearer(bobToken), "content-type": "application/json" },
      payload: "{not json",
    });
    expect(malformed.statusCode).toBe(400);
    expect((await ask({}, bearer(bobToken))).statusCode).toBe(303);
    expect(
      (await app.inject({ method: "POST", url: "/alice/missing/ask-access", headers: bearer(bobToken) })).statusCode,
    ).toBe(404);

    expect((await list(owner, "alice/manual", "maybe")).statusCode).toBe(400);
    expect(
      (await app.inject({ url: `${api("alice/manual", "pending")}?limit=0`, headers: bearer(owner) })).statusCode,
    ).toBe(400);
    expect((await handle(owner, "alice/manual", { user: "bob", status: "approved" })).statusCode).toBe(400);
    expect(
      (await handle(owner, "alice/manual", { user: "bob", status: "accepted", rejectionReason: "x" })).statusCode,
    ).toBe(400);
    expect((await handle(owner, "alice/manual", { user: 42, status: "accepted" })).statusCode).toBe(400);
  });
});
