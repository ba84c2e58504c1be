/**
 * Seeds a benchmark data directory: users, tokens and repos, written straight into the store in
 * batched transactions (row-at-a-time inserts through the services would take minutes, and the
 * benchmark measures reads, not seeding). Token values use the real format and keyed hash, so the
 * server authenticates them exactly as it would tokens made by `berth token create`.
 */
import { cpSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { MultiBar, Presets } from "cli-progress";
import pino from "pino";
import { loadConfig } from "../src/config.ts";
import { createContext } from "../src/context.ts";
import { defaultGitattributes } from "../src/domain/gitattributes.ts";
import { nameKey } from "../src/domain/names.ts";
import { newObjectId } from "../src/domain/object-id.ts";
import { generateTokenValue, hashSecret, tokenHint } from "../src/domain/token-format.ts";
import { RepoStorage } from "../src/git/repo-storage.ts";
import { repoKey } from "../src/store/repos.ts";
import type { RepoTable, TokenTable, UserTable } from "../src/store/schema.ts";

export interface SeedCounts {
  readonly users: number;
  readonly tokens: number;
  readonly repos: number;
}

/** A token the load generator may present, with the one repo of its owner. */
export interface SeededToken {
  readonly value: string;
  readonly repo: string;
}

export interface SeedResult {
  /** Every seeded token with a repo of its owner (tokens of users without repos are left out). */
  readonly tokens: readonly SeededToken[];
  readonly seconds: number;
}

const BATCH = 500;

export async function seed(dataDir: string, secret: string, counts: SeedCounts): Promise<SeedResult> {
  const started = Date.now();
  const config = loadConfig({ dataDir, databaseUrl: undefined, logLevel: "silent" }, {});
  const ctx = await createContext(config, {
    secrets: { tokenKey: Buffer.from(secret, "utf8") },
    logger: pino({ level: "silent" }),
  });
  const bars = new MultiBar(
    {
      format: " {task} [{bar}] {value}/{total} {eta_formatted}",
      hideCursor: true,
      clearOnComplete: false,
      // Without a terminal (CI, a pipe) cli-progress would skip the bars; print a line every few seconds.
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 5000,
    },
    Presets.shades_classic,
  );
  try {
    const now = new Date().toISOString();
    const users = Array.from({ length: counts.users }, (_, i) => ({ id: newObjectId(), name: `user-${i}` }));

    const userBar = bars.create(counts.users, 0, { task: "users " });
    await ctx.db.transaction().execute(async (trx) => {
      for (const batch of chunks(users, BATCH)) {
        const rows: UserTable[] = batch.map((user) => ({
          id: user.id,
          name: user.name,
          email: `${user.name}@bench.test`,
          fullname: user.name,
          // Nobody signs in during the benchmark; 10,000 argon2 hashes would only slow seeding down.
          password_hash: null,
          is_admin: 0,
          created_at: now,
        }));
        await trx
          .insertInto("namespace")
          .values(batch.map((user) => ({ key: nameKey(user.name), kind: "user" as const, entity_id: user.id })))
          .execute();
        await trx.insertInto("user").values(rows).execute();
        userBar.increment(batch.length);
      }
    });

    const tokenBar = bars.create(counts.tokens, 0, { task: "tokens" });
    const tokenOwners: number[] = [];
    const values: string[] = [];
    await ctx.db.transaction().execute(async (trx) => {
      for (const batch of chunks(range(counts.tokens), BATCH)) {
        const rows: TokenTable[] = batch.map((i) => {
          const owner = i % counts.users;
          const value = generateTokenValue();
          tokenOwners.push(owner);
          values.push(value);
          return {
            id: newObjectId(),
            user_id: (users[owner] as { id: string }).id,
            display_name: `token-${i}`,
            role: i % 3 === 0 ? "read" : "write",
            fine_grained: null,
            hash: hashSecret(ctx.secrets.tokenKey, value),
            hint: tokenHint(value),
            created_at: now,
            expires_at: null,
            last_used_at: null,
            last_used_ip: null,
            last_used_user_agent: null,
          };
        });
        await trx.insertInto("token").values(rows).execute();
        tokenBar.increment(batch.length);
      }
    });

    // One real bare repo made the way createRepo makes it, then copied: spawning git three times per
    // repo would take minutes for 10,000 repos, and every copy is a valid repo with the same first commit.
    const repoBar = bars.create(counts.repos, 0, { task: "repos " });
    const template = await makeTemplate(dataDir);
    const storage = new RepoStorage(dataDir);
    const repoOwner: string[] = [];
    await ctx.db.transaction().execute(async (trx) => {
      for (const batch of chunks(range(counts.repos), BATCH)) {
        const rows: RepoTable[] = batch.map((i) => {
          const owner = users[i % counts.users] as { id: string; name: string };
          const name = `model-${Math.floor(i / counts.users)}`;
          const id = newObjectId();
          cpSync(template, storage.pathOf("model", id), { recursive: true });
          repoOwner[i % counts.users] ??= `${owner.name}/${name}`;
          return {
            id,
            type: "model",
            namespace_id: owner.id,
            namespace_kind: "user",
            namespace: owner.name,
            name,
            key: repoKey("model", owner.name, name),
            private: i % 2,
            gated: "false",
            sdk: null,
            created_by: owner.id,
            created_at: now,
            last_modified: now,
          };
        });
        await trx.insertInto("repo").values(rows).execute();
        repoBar.increment(batch.length);
      }
    });
    rmSync(template, { recursive: true, force: true });

    const tokens: SeededToken[] = [];
    values.forEach((value, i) => {
      const repo = repoOwner[tokenOwners[i] as number];
      if (repo) tokens.push({ value, repo });
    });
    return { tokens, seconds: (Date.now() - started) / 1000 };
  } finally {
    bars.stop();
    await ctx.close();
  }
}

/** A bare repo built by RepoStorage.create (the code path of createRepo), without git's sample hooks. */
async function makeTemplate(dataDir: string): Promise<string> {
  const scratch = path.join(dataDir, "bench-template");
  mkdirSync(scratch, { recursive: true });
  const storage = new RepoStorage(scratch);
  const id = newObjectId();
  await storage.create(
    "model",
    id,
    [{ path: ".gitattributes", content: Buffer.from(defaultGitattributes("model")) }],
    { name: "bench", email: "bench@bench.test" },
    new Date(),
  );
  const repo = storage.pathOf("model", id);
  rmSync(path.join(repo, "hooks"), { recursive: true, force: true });
  const template = path.join(dataDir, "template.git");
  cpSync(repo, template, { recursive: true });
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.join(dataDir, "repos", "models"), { recursive: true });
  return template;
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
