import { afterEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedOrg, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import { postForm, webSignIn } from "../../../test/helpers/web-session.ts";
import { recordAccessRequest } from "../../store/access-requests.ts";
import { buildApp } from "../app.ts";

describe.each(testDialects())("home, listings and creation pages on %s", (dialect) => {
  let ctx: TestContext;
  afterEach(async () => ctx?.dispose());

  async function setup() {
    ctx = await makeTestContext(dialect);
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    const carol = await seedUser(ctx, "carol");
    await seedOrg(ctx, "acme", alice, { bob: [bob, "read"], carol: [carol, "write"] });
    await seedRepo(ctx, alice, "alice/public-bert");
    await seedRepo(ctx, alice, "alice/private-bert", { private: true });
    await seedRepo(ctx, alice, "acme/org-private", { private: true });
    await seedRepo(ctx, alice, "acme/data", { type: "dataset" });
    const app = await buildApp(ctx);
    return { app, alice, bob, carol };
  }

  it("shows a visitor public repos and this hub's URL for the tools, and no private repo", async () => {
    const { app } = await setup();
    const home = await app.inject({ url: "/" });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain("export HF_ENDPOINT=http://hub.test");
    expect(home.body).toContain("alice/public-bert");
    expect(home.body).toContain("datasets/</span>acme/data");
    expect(home.body).not.toContain("private-bert");
    expect(home.body).not.toContain("org-private");
  });

  it("shows a user their own and their orgs' repos, their requests, and reviews only the engine lets them do", async () => {
    const { app, alice, bob, carol } = await setup();
    const gated = await seedRepo(ctx, alice, "acme/gated", { gated: "manual" });
    await seedUser(ctx, "dave");
    const dave = (await ctx.db.selectFrom("user").select("id").where("name", "=", "dave").executeTakeFirstOrThrow()).id;
    await recordAccessRequest(
      ctx.db,
      { repoId: gated.id, userId: dave, status: "pending", fields: undefined },
      ctx.now(),
    );
    await recordAccessRequest(
      ctx.db,
      { repoId: gated.id, userId: bob.id, status: "pending", fields: undefined },
      ctx.now(),
    );

    const bobHome = await (await webSignIn(app, "bob")).get("/");
    expect(bobHome.body).toContain("Welcome, bob");
    expect(bobHome.body).toContain("acme/org-private");
    expect(bobHome.body).not.toContain("alice/private-bert");
    // bob asked; as an org `read` member he may not review, so no notification.
    expect(bobHome.body).toMatch(/acme\/gated<\/a>: <span class="badge">pending/);
    expect(bobHome.body).not.toContain("/acme/gated/settings/access-requests");

    const carolHome = await (await webSignIn(app, "carol")).get("/");
    expect(carolHome.body).toContain(
      '<a href="/acme/gated/settings/access-requests">2 access requests on acme/gated</a>',
    );
    expect(carolHome.body).toContain('href="/new"');
    expect(carol.name).toBe("carol");
  });

  it("lists models with search, author, sort and pages, private ones only for those who may see them", async () => {
    const { app, alice } = await setup();
    for (let i = 0; i < 31; i++) await seedRepo(ctx, alice, `alice/m${String(i).padStart(2, "0")}`);
    const anonymous = await app.inject({ url: "/models?author=alice&sort=alphabetical" });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.body).toMatch(/Models <span class="count">32<\/span>/);
    expect(anonymous.body).toContain("alice/m00");
    expect(anonymous.body).not.toContain("alice/public-bert");
    expect(anonymous.body).toContain('href="/models?author=alice&amp;sort=alphabetical&amp;p=1"');
    const second = await app.inject({ url: "/models?author=alice&sort=alphabetical&p=1" });
    expect(second.body).toContain("alice/public-bert");
    expect(second.body).not.toContain("alice/m00");
    const search = await app.inject({ url: "/models?search=bert" });
    expect(search.body).toContain("alice/public-bert");
    expect(search.body).not.toContain("private-bert");
    const owner = await webSignIn(app, "alice");
    expect((await owner.get("/models?search=bert")).body).toContain("alice/private-bert");
    // A fine-grained token sees only what its scope lists, like GET /api/models.
    const scoped = await seedToken(ctx, alice, { role: "fineGrained", scoped: [] });
    expect((await app.inject({ url: "/models?search=bert", headers: bearer(scoped) })).body).not.toContain(
      "private-bert",
    );
    expect((await app.inject({ url: "/datasets" })).body).toContain("acme/data");
    for (const bad of ["/models?sort=likes", "/models?author=a%2Fb", "/models?p=-2"]) {
      expect((await app.inject({ url: bad })).statusCode, bad).toBe(400);
    }
  });

  it("offers as owners only the namespaces where the engine allows creating, and creates through it", async () => {
    const { app } = await setup();
    const bob = await webSignIn(app, "bob");
    const form = await bob.get("/new");
    expect(form.body).toContain('<option value="bob"');
    expect(form.body).not.toContain('<option value="acme"');
    const refused = await bob.post("/new", { owner: "acme", name: "sneaky", visibility: "public", license: "" });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain("You don&#39;t have the rights to create a model under namespace");
    expect((await app.inject({ url: "/acme/sneaky" })).statusCode).toBe(404);

    const carol = await webSignIn(app, "carol");
    expect((await carol.get("/new-dataset?owner=acme")).body).toMatch(/<option value="acme" selected>/);
    const created = await carol.post("/new", { owner: "acme", name: "tiny", visibility: "private", license: "mit" });
    expect(created.statusCode).toBe(303);
    expect(created.headers.location).toBe("/acme/tiny");
    const card = await carol.get("/acme/tiny");
    expect(card.body).toMatch(/<span class="tag-key">License<\/span> mit/);
    expect(card.body).toContain("Private");
    expect((await app.inject({ url: "/acme/tiny" })).statusCode).toBe(404);
    const again = await carol.post("/new", { owner: "acme", name: "tiny", visibility: "public", license: "" });
    expect(again.statusCode).toBe(409);
    const space = await carol.post("/new-space", {
      owner: "carol",
      name: "demo",
      visibility: "public",
      license: "",
      sdk: "docker",
    });
    expect(space.headers.location).toBe("/spaces/carol/demo");
    const badName = await carol.post("/new", { owner: "carol", name: "a--b", visibility: "public", license: "" });
    expect(badName.statusCode).toBe(400);
    expect(badName.body).toContain('value="a--b"');
    expect((await carol.post("/new", { owner: "carol", name: "x", license: "wtfpl" })).statusCode).toBe(400);
  });

  it("creates an organization with its creator as admin, and refuses a taken or reserved name", async () => {
    const { app } = await setup();
    const bob = await webSignIn(app, "bob");
    const created = await bob.post("/organizations/new", { name: "bobs-lab", fullname: "Bob's <Lab>" });
    expect(created.statusCode).toBe(303);
    expect(created.headers.location).toBe("/bobs-lab");
    const page = await bob.get("/bobs-lab");
    expect(page.body).toContain("Bob&#39;s &lt;Lab&gt;");
    expect(page.body).toMatch(/id="role-bob"[\s\S]*?<option value="admin" selected>/);
    for (const name of ["acme", "alice", "new", "models", "Settings"]) {
      const taken = await bob.post("/organizations/new", { name, fullname: "" });
      expect(taken.statusCode, name).toBe(409);
    }
    expect((await bob.post("/organizations/new", { name: "-bad", fullname: "" })).statusCode).toBe(400);
  });

  it("sends a visitor to sign in from the creation pages, and takes no form without a session's CSRF token", async () => {
    const { app, bob } = await setup();
    for (const url of ["/new", "/new-dataset", "/new-space", "/organizations/new"]) {
      const visitor = await app.inject({ url });
      expect(visitor.statusCode, url).toBe(303);
      expect(visitor.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
    }
    const session = await webSignIn(app, "bob");
    for (const url of ["/new", "/organizations/new"]) {
      const forged = await postForm(app, url, session.cookie, {
        name: "x1",
        owner: "bob",
        visibility: "public",
        license: "",
      });
      expect(forged.statusCode, url).toBe(403);
      expect(forged.body).toContain("CSRF");
    }
    const token = await seedToken(ctx, bob, { role: "write" });
    const withToken = await app.inject({
      method: "POST",
      url: "/organizations/new",
      headers: { ...bearer(token), "content-type": "application/x-www-form-urlencoded" },
      payload: "name=tokens-org",
    });
    expect(withToken.statusCode).toBe(403);
    expect((await app.inject({ url: "/tokens-org" })).statusCode).toBe(404);
  });

  it("shows a user's organizations only to those who may see the org's members", async () => {
    const { app } = await setup();
    await seedUser(ctx, "erin");
    expect((await app.inject({ url: "/bob" })).body).not.toContain('href="/acme"');
    expect((await (await webSignIn(app, "erin")).get("/bob")).body).not.toContain('href="/acme"');
    expect((await (await webSignIn(app, "carol")).get("/bob")).body).toContain('href="/acme"');
    expect((await (await webSignIn(app, "bob")).get("/bob")).body).toContain('href="/acme"');
  });
});
