/**
 * Generated junk against every route buildApp registers (issue 2, item 9): random JSON, malformed
 * JSON, wrong content types, bodies over the limit, junk path segments, query strings and credentials,
 * sent anonymously, with a valid write token, and with a valid session + CSRF token. No answer may be
 * a 5xx, and every 4xx must be the JSON error shape the Hub clients parse.
 *
 * BERTH_FUZZ_RUNS (default 30 per route) and BERTH_FUZZ_SEED reproduce or widen a run.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import type { FastifyInstance, HTTPMethods } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfTokenFor, SESSION_COOKIE } from "../src/auth/authenticate.ts";
import type { Context } from "../src/context.ts";
import type { User } from "../src/domain/entities.ts";
import { hashSecret } from "../src/domain/token-format.ts";
import { buildApp } from "../src/http/app.ts";
import { insertSession } from "../src/store/sessions.ts";
import { testDialects } from "./helpers/databases.ts";
import { seedOrg, seedRepo, seedToken, seedUser, TEST_PASSWORD } from "./helpers/seed.ts";
import { makeTestContext, type TestContext } from "./helpers/test-context.ts";

const NUM_RUNS = Number(process.env.BERTH_FUZZ_RUNS ?? 30);
const SEED = process.env.BERTH_FUZZ_SEED === undefined ? undefined : Number(process.env.BERTH_FUZZ_SEED);
/** Small, so that "over the limit" bodies stay cheap to build. */
const BODY_LIMIT = 64 * 1024;

interface FuzzRoute {
  readonly method: HTTPMethods;
  readonly url: string;
  readonly bodyLimit: number | undefined;
}

/** Every route of the app, collected as buildApp registers them. */
async function collectRoutes(): Promise<FuzzRoute[]> {
  const ctx = await makeTestContext("sqlite");
  const routes = new Map<string, FuzzRoute>();
  try {
    const app = await buildApp(ctx, {
      onRoute(route) {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        for (const method of methods as HTTPMethods[]) {
          routes.set(`${method} ${route.url}`, { method, url: route.url, bodyLimit: route.bodyLimit });
        }
      },
    });
    await app.ready();
    await app.close();
  } finally {
    await ctx.dispose();
  }
  return [...routes.values()].sort((a, b) => `${a.url} ${a.method}`.localeCompare(`${b.url} ${b.method}`));
}

const ROUTES = await collectRoutes();

// ---- generators ---------------------------------------------------------------------------------

const PLAUSIBLE_SEGMENTS = [
  "alice",
  "acme",
  "bob",
  "public-model",
  "secret-model",
  "gated-model",
  "data",
  "models",
  "datasets",
  "spaces",
  "main",
  "HEAD",
  "refs%2Fpr%2F1",
  "pending",
  "accepted",
  "rejected",
  "000000000000000000000000",
];
const JUNK_SEGMENTS = [
  "..",
  ".",
  "%2e%2e",
  "%00",
  "a%00b",
  "%2F",
  "%",
  "%zz",
  "%C0%AF",
  "%FF%FE",
  "a".repeat(200),
  "--",
  "-a",
  "a--b",
  "a..b",
  "__proto__",
  "constructor",
  "%F0%9F%98%80",
  "%C3%BC",
  "%20",
  "null",
  "1e309",
];

const encodedString = fc.string({ unit: "binary", maxLength: 40 }).map(encodeURIComponent);
const segment = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...PLAUSIBLE_SEGMENTS) },
  { weight: 2, arbitrary: fc.constantFrom(...JUNK_SEGMENTS) },
  { weight: 1, arbitrary: encodedString },
);
const wildcard = fc.array(segment, { minLength: 0, maxLength: 4 }).map((parts) => parts.join("/"));

/** Path params that name things of the seeded world, so that some requests get past the lookups. */
const coherentParams = fc.record({
  repo: fc.constantFrom("alice/public-model", "alice/secret-model", "alice/gated-model", "alice/data", "acme/nothing"),
  org: fc.constantFrom("acme", "alice"),
  user: fc.constantFrom("alice", "bob"),
  status: fc.constantFrom("pending", "accepted", "rejected"),
  rest: fc.constantFrom("main", "HEAD", "refs%2Fpr%2F1", ""),
});

function pathFor(url: string): fc.Arbitrary<string> {
  const parts = url.split("/");
  const junk = fc
    .tuple(
      ...parts.map((part): fc.Arbitrary<string> => {
        if (part === "*") return wildcard;
        // `:name`, possibly with a regex or a suffix: the whole segment becomes generated text.
        if (part.includes(":")) return segment;
        if (part.endsWith("*")) return wildcard.map((rest) => part.slice(0, -1) + rest);
        return fc.constant(part);
      }),
    )
    .map((values) => values.join("/"));
  const coherent = coherentParams.map((world) => {
    const [namespace, name] = world.repo.split("/") as [string, string];
    const inOrgRoute = url.includes("/organizations/");
    return parts
      .map((part) => {
        if (part.endsWith("*")) return part.slice(0, -1) + world.rest;
        if (!part.startsWith(":")) return part;
        const param = part.slice(1);
        if (param === "ns") return namespace;
        if (param === "name") return inOrgRoute ? world.org : name;
        if (param === "user") return world.user;
        if (param === "status") return world.status;
        return "000000000000000000000000";
      })
      .join("/");
  });
  return fc.oneof(junk, coherent);
}

const QUERY_KEYS = [
  "expand",
  "expand[]",
  "limit",
  "search",
  "author",
  "sort",
  "direction",
  "full",
  "cursor",
  "p",
  "filter",
  "blobs",
  "revision",
  "type",
  "__proto__",
  "constructor",
];
const scalarText = fc.oneof(
  fc.constantFrom("", "-1", "0", "1", "1e400", "NaN", "true", "True", "false", "null", "%zz", "a".repeat(2000)),
  encodedString,
);
const queryString = fc.oneof(
  { weight: 3, arbitrary: fc.constant("") },
  fc.constantFrom("?&&==&", "?%", "?a=%zz", "?expand[]=%00", "?limit=99999999999999999999"),
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), encodedString), scalarText), { maxLength: 6 })
    .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([key, value]) => `${key}=${value}`).join("&")}`)),
);

const BODY_KEYS = [
  "name",
  "organization",
  "type",
  "private",
  "visibility",
  "gated",
  "sdk",
  "files",
  "fromRepo",
  "toRepo",
  "displayName",
  "role",
  "fineGrained",
  "expiresAt",
  "expiresIn",
  "username",
  "password",
  "user",
  "users",
  "status",
  "rejectionReason",
  "fields",
  "csrf",
  "__proto__",
];
const PLAUSIBLE_VALUES = [
  "alice",
  "acme",
  "bob",
  "alice/public-model",
  "alice/secret-model",
  "acme/new",
  "alice/x",
  "model",
  "dataset",
  "space",
  "public",
  "private",
  "protected",
  "auto",
  "manual",
  "read",
  "write",
  "contributor",
  "admin",
  "fineGrained",
  "repo.write",
  "no.such.permission",
  "pending",
  "accepted",
  "rejected",
  "90d",
  "-5d",
  TEST_PASSWORD,
];
const bodyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...PLAUSIBLE_VALUES),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.constant("a".repeat(5000)),
  fc.record({
    global: fc.array(fc.string()),
    scoped: fc.array(
      fc.record({ entity: fc.record({ type: fc.string(), name: fc.string() }), permissions: fc.array(fc.string()) }),
    ),
  }),
  fc.array(fc.record({ path: fc.string(), content: fc.string(), encoding: fc.constantFrom("base64", "utf-8", "x") })),
);
const junkObject = fc.dictionary(fc.constantFrom(...BODY_KEYS), bodyValue, { maxKeys: 6 });
/** Bodies the routes accept, so that generated changes reach the code behind validation. */
const VALID_BODIES: readonly Record<string, unknown>[] = [
  { name: "fuzzed", organization: "alice", type: "model", private: false },
  { name: "fuzzed", organization: "acme", type: "dataset", visibility: "private" },
  { name: "public-model", organization: "alice", type: "model" },
  { fromRepo: "alice/public-model", toRepo: "alice/renamed", type: "model" },
  { private: true },
  { gated: "auto" },
  { visibility: "public", gated: false },
  { displayName: "fuzz", role: "write" },
  {
    displayName: "fuzz",
    role: "fineGrained",
    fineGrained: { scoped: [{ entity: { type: "user", name: "alice" }, permissions: ["repo.write"] }] },
  },
  { username: "alice", password: TEST_PASSWORD },
  { user: "bob", role: "write" },
  { role: "contributor" },
  { user: "bob", status: "accepted" },
  { user: "bob", status: "rejected", rejectionReason: "no" },
  { fields: { company: "x" } },
];
/** A valid body with some fields replaced or added by junk. */
const nearValidObject = fc
  .tuple(fc.constantFrom(...VALID_BODIES), fc.dictionary(fc.constantFrom(...BODY_KEYS), bodyValue, { maxKeys: 2 }))
  .map(([valid, changes]) => ({ ...valid, ...changes }));
const plausibleObject = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...VALID_BODIES) },
  { weight: 3, arbitrary: nearValidObject },
  { weight: 2, arbitrary: junkObject },
);

interface Body {
  readonly payload: string | undefined;
  readonly contentType: string | undefined;
}

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/octet-stream",
  "application/x-ndjson",
  "junk",
  ";;;",
];

function bodyFor(limit: number): fc.Arbitrary<Body> {
  const json = "application/json";
  return fc.oneof(
    fc.constant<Body>({ payload: undefined, contentType: undefined }),
    plausibleObject.map((value): Body => ({ payload: JSON.stringify(value), contentType: json })),
    plausibleObject.map((value): Body => ({ payload: JSON.stringify(value), contentType: json })),
    fc.jsonValue().map((value): Body => ({ payload: JSON.stringify(value) ?? "null", contentType: json })),
    fc
      .oneof(fc.string(), fc.constantFrom('{"name":', "[", "{", '{"a":1}}', "NaN", "\u0000", '"\\ud800"'))
      .map((text): Body => ({ payload: text, contentType: json })),
    fc
      .tuple(plausibleObject, fc.constantFrom(...CONTENT_TYPES))
      .map(([value, contentType]): Body => ({ payload: JSON.stringify(value), contentType })),
    plausibleObject.map(
      (value): Body => ({
        payload: new URLSearchParams(
          Object.entries(value).map(([k, v]) => [k, typeof v === "string" ? v : (JSON.stringify(v) ?? "")]),
        ).toString(),
        contentType: "application/x-www-form-urlencoded",
      }),
    ),
    fc
      .constantFrom(json, "application/x-www-form-urlencoded", "text/plain")
      .map((contentType): Body => ({ payload: `"${"x".repeat(limit + 1)}"`, contentType })),
  );
}

interface Credentials {
  readonly writeToken: string;
  readonly sessionCookie: string;
  readonly csrfToken: string;
}

type Auth =
  | { kind: "none" }
  | { kind: "token" }
  | { kind: "session"; csrf: "valid" | "missing" | "junk" }
  | { kind: "junk"; header: string };

const authArb: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Auth>({ kind: "none" }) },
  { weight: 3, arbitrary: fc.constant<Auth>({ kind: "token" }) },
  { weight: 2, arbitrary: fc.constant<Auth>({ kind: "session", csrf: "valid" }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Auth>({ kind: "session", csrf: "missing" }, { kind: "session", csrf: "junk" }),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constantFrom(
          "Bearer",
          "Bearer ",
          "Bearer hf_",
          "Bearer hf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // fake: bad check letters
          "Basic",
          "Basic !!!",
          `Basic ${Buffer.from("user").toString("base64")}`,
          `Basic ${Buffer.from(":").toString("base64")}`,
          "Token abc",
          "bearer  hf_x y z",
        ),
        fc.string({ maxLength: 100 }).map((text) => `Bearer ${text}`),
        fc.string({ unit: "binary", maxLength: 60 }).map((text) => `Basic ${Buffer.from(text).toString("base64")}`),
      )
      // Node refuses header values with control or non-Latin-1 characters before a server sees them.
      .filter((header) => /^[\x20-\x7e]*$/.test(header))
      .map((header): Auth => ({ kind: "junk", header })),
  },
);

function headersFor(auth: Auth, body: Body, credentials: Credentials): Record<string, string> {
  const headers: Record<string, string> = {};
  if (body.contentType !== undefined) headers["content-type"] = body.contentType;
  switch (auth.kind) {
    case "token":
      headers.authorization = `Bearer ${credentials.writeToken}`;
      break;
    case "session":
      headers.cookie = `${SESSION_COOKIE}=${credentials.sessionCookie}`;
      if (auth.csrf === "valid") headers["x-csrf-token"] = credentials.csrfToken;
      if (auth.csrf === "junk") headers["x-csrf-token"] = "junk";
      break;
    case "junk":
      headers.authorization = auth.header;
      break;
    case "none":
      break;
  }
  return headers;
}

// ---- the property -------------------------------------------------------------------------------

const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

describe.each(testDialects())("fuzzing every route on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  /** Error log lines of the app: the stack of a 5xx, for the failure message. */
  const errorLog: string[] = [];

  beforeAll(async () => {
    ctx = await makeTestContext(dialect, { bodyLimit: BODY_LIMIT });
    alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    await seedOrg(ctx, "acme", alice, { bob: [bob, "read"] });
    await seedRepo(ctx, alice, "alice/public-model");
    await seedRepo(ctx, alice, "alice/secret-model", { private: true });
    await seedRepo(ctx, alice, "alice/gated-model", { gated: "manual" });
    await seedRepo(ctx, alice, "alice/data", { type: "dataset" });
    const logger = pino({ level: "error" }, { write: (line: string) => void errorLog.push(line) });
    app = await buildApp({ ...ctx, logger } as Context);
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await ctx?.dispose();
  });

  /** Fresh credentials per route: a fuzzed logout or token deletion must not blunt the next route. */
  async function freshCredentials(): Promise<Credentials> {
    const writeToken = await seedToken(ctx, alice, { role: "write" });
    const sessionCookie = randomBytes(32).toString("base64url");
    await insertSession(
      ctx.db,
      {
        hash: hashSecret(ctx.secrets.tokenKey, sessionCookie),
        userId: alice.id,
        expiresAt: new Date(Date.now() + 3600_000),
      },
      ctx.now(),
    );
    return { writeToken, sessionCookie, csrfToken: csrfTokenFor(ctx, sessionCookie) };
  }

  /**
   * Paths outside the API and inference, whose errors the web pages may answer with HTML. Under
   * `/models`, inference takes posts to `/models/{ns}/{name}` and `…/v1/…`; the rest is the listing or
   * a page of a repo in a namespace called "models" (which none can be).
   */
  function isPageRoute(template: string, method: string): boolean {
    if (/^\/(api|v1|v2|pipeline|hf-inference)(\/|$)/.test(template)) return false;
    return method === "GET" || !/^\/models\/[^/]*\/[^/]*(\/v1(\/.*)?)?\/?$/.test(template);
  }

  /** git smart HTTP answers errors in plain text, which git prints to its user. */
  const isGitRoute = (template: string) => /\/(info\/refs|git-upload-pack|git-receive-pack)$/.test(template);

  it("found routes to fuzz", () => {
    expect(ROUTES.map((route) => `${route.method} ${route.url}`)).toContain("GET /api/whoami-v2");
  });

  it.each(ROUTES.map((route) => [`${route.method} ${route.url}`, route] as const))("%s", async (_label, route) => {
    const credentials = await freshCredentials();
    const hasBody = BODY_METHODS.has(route.method);
    const limit = Math.max(route.bodyLimit ?? BODY_LIMIT, BODY_LIMIT);
    const request = fc.record({
      path: pathFor(route.url),
      query: queryString,
      auth: authArb,
      body: hasBody ? bodyFor(limit) : fc.constant<Body>({ payload: undefined, contentType: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ path, query, auth, body }) => {
        errorLog.length = 0;
        const response = await app.inject({
          method: route.method,
          url: path + query,
          headers: headersFor(auth, body, credentials),
          ...(body.payload === undefined ? {} : { payload: body.payload }),
        });
        const context = `${route.method} ${path}${query} → ${response.statusCode}\n${errorLog.join("\n")}`;
        expect(response.statusCode, context).toBeLessThan(500);
        if (response.statusCode >= 400 && route.method !== "HEAD") {
          const html = String(response.headers["content-type"]).startsWith("text/html");
          // The path as the router saw it: dot segments are resolved on the way (`/api/x/../../refs` is `/refs`),
          // and repeated slashes count as one (a leading `//` would otherwise read as a host).
          const routed = new URL(path.replace(/\/{2,}/g, "/"), "http://fuzz.test").pathname;
          const plain = String(response.headers["content-type"]).startsWith("text/plain");
          if (html && isPageRoute(routed, route.method)) {
            // Web pages (and paths the router hands to them) answer errors with a page saying what is wrong.
            expect(response.body, context).toContain("<h1");
          } else if (plain && isGitRoute(route.url)) {
            expect(response.body.trim().length, context).toBeGreaterThan(0);
            expect(response.body.trim(), context).not.toContain("\n");
          } else {
            expect(response.headers["content-type"], context).toMatch(/^application\/json/);
            expect(typeof response.json().error, context).toBe("string");
          }
        }
      }),
      { numRuns: NUM_RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  });
});
