import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Run, runBerth, spawnBerth } from "../../test/helpers/berth-cli.ts";
import { PG_URL, testDialects, testSchemaName } from "../../test/helpers/databases.ts";
import { seedOrg, seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { authenticateToken } from "../auth/authenticate.ts";
import { signIn } from "../auth/sign-in.ts";
import { loadConfig, loadSecrets } from "../config.ts";
import { type Context, createContext } from "../context.ts";
import { buildApp } from "../http/app.ts";
import { findOrgByName, findOrgRole } from "../store/orgs.ts";
import { findTokenByName, listTokens, recordTokenUse } from "../store/tokens.ts";
import { findUserByName } from "../store/users.ts";

const TOKEN = /^hf_[A-Za-z]{34}$/;
const ANY_TOKEN = /hf_[A-Za-z]{34}/;
const PASSWORD = "a long enough password";
/** Each test starts several processes (~0.5 s each, more on a busy machine). */
const SPAWNING = { timeout: 120_000 };

/** A failed command: the exit status, nothing on stdout, one `berth: error:` line and no stack trace. */
function expectError(run: Run, code: number, message: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stdout).toBe("");
  expect(run.stderr).toMatch(/^berth: error: [^\n]+\n$/);
  expect(run.stderr).toMatch(message);
}

describe("berth command line", SPAWNING, () => {
  it("prints help, and refuses unknown commands and bad options with one line and exit 2", async () => {
    const help = await runBerth(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["serve", "user", "org", "token"]) expect(help.stdout).toContain(command);
    expectError(await runBerth(["token", "creat", "alice"]), 2, /unknown command 'creat'/);
    expectError(await runBerth(["token", "create", "alice", "--role", "read"]), 2, /--name/);
    expectError(await runBerth(["serve", "--port", "99999"]), 2, /Invalid --port "99999"/);
  });
});

describe.each(testDialects())("npx berth on %s", SPAWNING, (dialect) => {
  let dataDir: string;
  let schema: string | undefined;
  let databaseUrl: string | undefined;
  let ctx: Context | undefined;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "berth-cli-"));
    if (dialect === "postgres") {
      // The CLI gets a plain URL; pg passes `options` to the server, so the schema travels inside it.
      schema = testSchemaName("cli");
      await withPg((client) => client.query(`create schema ${schema}`));
      const separator = PG_URL.includes("?") ? "&" : "?";
      databaseUrl = `${PG_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    }
  });

  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
    schema = undefined;
    databaseUrl = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  function berth(args: readonly string[], stdin?: string): Promise<Run> {
    const database = databaseUrl ? ["--database-url", databaseUrl] : [];
    return runBerth(["--data-dir", dataDir, ...database, ...args], stdin);
  }

  /** What a server on the same data dir sees: same database, same secret.key. */
  async function server(): Promise<Context> {
    if (!ctx) {
      const config = loadConfig({ dataDir, databaseUrl }, {});
      ctx = await createContext(config, { secrets: loadSecrets(config, {}), logger: pino({ level: "silent" }) });
    }
    return ctx;
  }

  async function whoAmI(value: string): Promise<string | undefined> {
    const principal = await authenticateToken(await server(), value, { ip: "127.0.0.1", userAgent: "test" });
    return principal?.type === "token" ? `${principal.user.name}/${principal.token.displayName}` : undefined;
  }

  it("creates users with a password from stdin, and refuses duplicates, bad names and short passwords", async () => {
    const alice = await berth(
      ["user", "create", "alice", "--email", "alice@example.test", "--admin", "--password-stdin"],
      `${PASSWORD}\n`,
    );
    expect(alice.code, alice.stderr).toBe(0);
    expect(alice.stdout).toBe("Created admin user alice\n");
    // The first command wrote the token key and (on SQLite) the database: the user's alone.
    const written = readdirSync(dataDir);
    expect(written).toContain("secret.key");
    for (const name of written) expect(statSync(path.join(dataDir, name)).mode & 0o077, name).toBe(0);
    expect((await signIn(await server(), "alice", PASSWORD, "127.0.0.1")).user).toMatchObject({
      name: "alice",
      isAdmin: true,
    });
    expect((await signIn(await server(), "alice@example.test", PASSWORD, "127.0.0.1")).user.name).toBe("alice");

    expectError(
      await berth(["user", "create", "ALICE", "--email", "other@example.test"]),
      1,
      /"ALICE" or that email is already taken/,
    );
    expectError(
      await berth(["user", "create", "bad..name", "--email", "b@example.test"]),
      2,
      /Invalid user name "bad\.\.name"/,
    );
    expectError(
      await berth(["user", "create", "carol", "--email", "carol@example.test", "--password-stdin"], "short\n"),
      2,
      /at least 8 characters/,
    );
    expect(await findUserByName((await server()).db, "carol")).toBeUndefined();

    const bob = await berth(["user", "create", "hub.js", "--email", "bob@example.test", "--fullname", "Bob Hub"]);
    expect(bob.code, bob.stderr).toBe(0);
    expect(await findUserByName((await server()).db, "hub.js")).toMatchObject({
      fullname: "Bob Hub",
      isAdmin: false,
    });
    await expect(signIn(await server(), "hub.js", "", "127.0.0.1")).rejects.toThrow(/Invalid username or password/);
  });

  it("creates an org and adds, changes and removes members, keeping one admin", async () => {
    const ctx = await server();
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    const created = await berth(["org", "create", "acme", "--owner", "alice", "--fullname", "Acme Inc."]);
    expect(created.code, created.stderr).toBe(0);
    const acme = await findOrgByName(ctx.db, "acme");
    expect(acme).toMatchObject({ fullname: "Acme Inc." });
    if (!acme) throw new Error("no org");
    expect(await findOrgRole(ctx.db, acme.id, alice.id)).toBe("admin");

    expect((await berth(["org", "add-member", "acme", "bob", "--role", "read"])).code).toBe(0);
    expect(await findOrgRole(ctx.db, acme.id, bob.id)).toBe("read");
    const changed = await berth(["org", "add-member", "acme", "bob", "--role", "write"]);
    expect(changed.stdout).toBe("Set bob as write member of acme (was read)\n");
    expect(await findOrgRole(ctx.db, acme.id, bob.id)).toBe("write");

    expectError(await berth(["org", "add-member", "acme", "bob", "--role", "owner"]), 2, /Unknown role "owner"/);
    expectError(await berth(["org", "remove-member", "acme", "alice"]), 1, /at least one admin/);
    const removed = await berth(["org", "remove-member", "acme", "bob"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await findOrgRole(ctx.db, acme.id, bob.id)).toBeUndefined();
    expectError(await berth(["org", "create", "other", "--owner", "nobody"]), 1, /User "nobody" not found/);
    expect(await findOrgByName(ctx.db, "other")).toBeUndefined();
  });

  it("creates read, write and fine-grained tokens that print one line and authenticate", async () => {
    const ctx = await server();
    const alice = await seedUser(ctx, "alice");
    await seedOrg(ctx, "acme", alice);
    const repo = await seedRepo(ctx, alice, "acme/bert", { private: true });

    for (const role of ["read", "write"]) {
      const run = await berth(["token", "create", "alice", "--name", `${role}-token`, "--role", role]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe("");
      expect(run.stdout.endsWith("\n") && run.stdout.split("\n").length).toBe(2);
      expect(run.stdout.trim()).toMatch(TOKEN);
      expect(await whoAmI(run.stdout.trim())).toBe(`alice/${role}-token`);
    }

    const fine = await berth([
      "token",
      "create",
      "alice",
      "--name",
      "ci",
      "--role",
      "fineGrained",
      "--scope",
      "model:acme/bert=repo.content.read",
      "--scope",
      "model:acme/bert=repo.write",
      "--scope",
      "org:acme=org.read",
      "--global",
      "discussion.write",
      "--gated",
      "--expires-in",
      "90d",
    ]);
    expect(fine.code, fine.stderr).toBe(0);
    const value = fine.stdout.trim();
    expect(fine.stdout).toBe(`${value}\n`);
    expect(value).toMatch(TOKEN);
    const app = await buildApp(ctx);
    const response = await app.inject({ url: "/api/whoami-v2", headers: { authorization: `Bearer ${value}` } });
    await app.close();
    expect(response.statusCode).toBe(200);
    const accessToken = response.json().auth.accessToken;
    expect(accessToken).toMatchObject({
      displayName: "ci",
      role: "fineGrained",
      fineGrained: {
        canReadGatedRepos: true,
        global: ["discussion.write"],
        scoped: [
          {
            entity: { _id: repo.id, type: "model", name: "acme/bert" },
            permissions: ["repo.content.read", "repo.write"],
          },
          { entity: { type: "org", name: "acme" }, permissions: ["org.read"] },
        ],
      },
    });
    const expiresIn = new Date(accessToken.expiresAt).getTime() - Date.now();
    expect(Math.abs(expiresIn - 90 * 86400_000)).toBeLessThan(60_000);
  });

  it("refuses bad token requests with one line and writes no token", async () => {
    const ctx = await server();
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    await seedRepo(ctx, bob, "bob/secret", { private: true });
    const create = (...extra: string[]) => berth(["token", "create", "alice", "--name", "t", ...extra]);

    expectError(
      await create("--role", "fineGrained", "--scope", "model:bob/x=repo.delete"),
      2,
      /Unknown permission "repo\.delete"/,
    );
    expectError(
      await create("--role", "fineGrained", "--scope", "org:acme=repo.content.read", "--global", "repo.write"),
      2,
      /"repo\.write" cannot be global/,
    );
    expectError(
      await create("--role", "fineGrained", "--scope", "models:bob/x=repo.write"),
      2,
      /Unknown entity type "models"/,
    );
    expectError(await create("--role", "admin"), 2, /Unknown token role "admin"/);
    expectError(await create("--role", "read", "--scope", "user:alice=repo.write"), 2, /only to --role fineGrained/);
    expectError(await create("--role", "read", "--expires-in", "soon"), 2, /Invalid --expires-in "soon"/);
    // Bob's private repo exists, but alice cannot see it: the same answer as a repo that does not exist.
    expectError(
      await create("--role", "fineGrained", "--scope", "model:bob/secret=repo.content.read"),
      1,
      /Unknown model "bob\/secret", or you cannot see it/,
    );
    expectError(await create("--role", "fineGrained", "--scope", "org:acme=org.read"), 1, /Unknown org "acme"/);
    expectError(
      await berth(["token", "create", "nobody", "--name", "t", "--role", "read"]),
      1,
      /User "nobody" not found/,
    );
    expect(await listTokens(ctx.db, alice.id)).toEqual([]);

    expect((await create("--role", "read")).code).toBe(0);
    expectError(await create("--role", "write"), 1, /A token named "t" already exists/);
    expect(await listTokens(ctx.db, alice.id)).toHaveLength(1);
  });

  it("lists tokens without values, refreshes one (killing the old value) and deletes it", async () => {
    const ctx = await server();
    await seedUser(ctx, "alice");
    const created = await berth([
      "token",
      "create",
      "alice",
      "--name",
      "laptop",
      "--role",
      "write",
      "--expires-in",
      "12h",
    ]);
    const old = created.stdout.trim();
    const alice = await findUserByName(ctx.db, "alice");
    const stored = alice && (await findTokenByName(ctx.db, alice.id, "laptop"));
    if (!stored) throw new Error("no token row");
    await recordTokenUse(ctx.db, stored.id, { at: new Date(), ip: "203.0.113.7", userAgent: "git/2.43" });
    // After the recorded use, so this check does not record one of its own.
    expect(await whoAmI(old)).toBe("alice/laptop");

    const table = await berth(["token", "list", "alice"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).not.toMatch(ANY_TOKEN);
    const [header, row, ...rest] = table.stdout.trimEnd().split("\n");
    expect(rest).toEqual([]);
    expect(header).toMatch(/^NAME\s+ROLE\s+HINT\s+CREATED\s+EXPIRES\s+LAST USED\s+LAST IP/);
    expect(row).toMatch(new RegExp(`^laptop\\s+write\\s+hf_…${old.slice(-4)}\\s.*203\\.0\\.113\\.7`));
    const json = await berth(["token", "list", "alice", "--json"]);
    expect(json.stdout).not.toMatch(ANY_TOKEN);
    expect(JSON.parse(json.stdout)).toMatchObject([
      { id: stored.id, displayName: "laptop", role: "write", lastUsedIp: "203.0.113.7" },
    ]);

    const refreshed = await berth(["token", "refresh", "alice", "laptop"]);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const fresh = refreshed.stdout.trim();
    expect(refreshed.stdout).toBe(`${fresh}\n`);
    expect(fresh).toMatch(TOKEN);
    expect(fresh).not.toBe(old);
    expect(await whoAmI(old)).toBeUndefined();
    expect(await whoAmI(fresh)).toBe("alice/laptop");

    expect((await berth(["token", "delete", "alice", "laptop"])).code).toBe(0);
    expect(await whoAmI(fresh)).toBeUndefined();
    expect((await berth(["token", "list", "alice"])).stdout).toBe("alice has no tokens\n");
    expectError(await berth(["token", "delete", "alice", "laptop"]), 1, /alice has no token named "laptop"/);
  });

  it("works beside a running server: its tokens authenticate there and a delete is honoured at once", async () => {
    const database = databaseUrl ? ["--database-url", databaseUrl] : [];
    const child = spawnBerth(["--data-dir", dataDir, ...database, "serve", "--port", "0"]);
    try {
      const address = await listeningAddress(child);
      expect((await berth(["user", "create", "alice", "--email", "alice@example.test"])).code).toBe(0);
      const value = (await berth(["token", "create", "alice", "--name", "api", "--role", "read"])).stdout.trim();
      const whoami = () => fetch(`${address}/api/whoami-v2`, { headers: { authorization: `Bearer ${value}` } });
      const ok = await whoami();
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({
        name: "alice",
        auth: { accessToken: { displayName: "api", role: "read" } },
      });
      expect((await berth(["token", "delete", "alice", "api"])).code).toBe(0);
      expect((await whoami()).status).toBe(401);
    } finally {
      child.kill("SIGTERM");
    }
  });
});

async function withPg<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The address the server logs once it listens (pino JSON lines on stdout). */
function listeningAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split("\n")) {
        if (!line.includes('"Berth is listening"')) continue;
        resolve((JSON.parse(line) as { address: string }).address);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
}
