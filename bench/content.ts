/**
 * Repos with real content for the issue-3 measurements, made through the same services a user's calls
 * reach (createUser, createToken, createRepo) and committed with real git plumbing (`git fast-import`
 * through test/helpers/repo-content.ts): a public and a private repo whose `main` holds a config.json
 * (the HEAD rows), a repo of many small files (the clone row), and empty repos the LFS upload fills.
 */
import { randomBytes } from "node:crypto";
import pino from "pino";
import { createToken } from "../src/auth/token-service.ts";
import { loadConfig } from "../src/config.ts";
import { type Context, createContext } from "../src/context.ts";
import type { User } from "../src/domain/entities.ts";
import { createRepo } from "../src/git/repo-lifecycle.ts";
import { createUser } from "../src/store/users.ts";
import { commitFiles, type SeedFile } from "../test/helpers/repo-content.ts";

export const CONTENT_OWNER = "bench-owner";

export interface BenchContent {
  /** A write token of the owner of every repo below. */
  readonly token: string;
  /** `ns/name` of a public repo, so any seeded token may HEAD its files. */
  readonly publicConfigRepo: string;
  /** `ns/name` of a private repo only the owner's token reaches. */
  readonly privateConfigRepo: string;
  readonly cloneRepo: string;
  /** The bare git repository of `cloneRepo`, for the local clone baselines. */
  readonly cloneRepoDir: string;
  readonly cloneFiles: number;
  /** Empty repos, one per LFS upload run (an object already held by a repo is not uploaded again). */
  readonly lfsRepos: readonly string[];
}

/** A config.json of the size and shape `from_pretrained` reads first. */
const CONFIG_JSON = JSON.stringify(
  {
    architectures: ["BertForMaskedLM"],
    model_type: "bert",
    hidden_size: 768,
    num_attention_heads: 12,
    num_hidden_layers: 12,
    intermediate_size: 3072,
    vocab_size: 30522,
    max_position_embeddings: 512,
    torch_dtype: "float32",
    transformers_version: "4.44.0",
  },
  null,
  2,
);

export async function seedContent(
  dataDir: string,
  secret: string,
  options: { cloneFiles: number; lfsRuns: number },
): Promise<BenchContent> {
  const config = loadConfig({ dataDir, databaseUrl: undefined, logLevel: "silent" }, {});
  const ctx = await createContext(config, {
    secrets: { tokenKey: Buffer.from(secret, "utf8") },
    logger: pino({ level: "silent" }),
  });
  try {
    const owner = await createUser(ctx.db, { name: CONTENT_OWNER, email: "owner@bench.test" }, ctx.now());
    const { value: token } = await createToken(ctx, owner, { displayName: "bench content", role: "write" });
    const modelFiles: SeedFile[] = [
      { path: "config.json", content: CONFIG_JSON },
      { path: "README.md", content: "---\nlicense: mit\n---\n# Bench model\n" },
    ];
    const publicConfigRepo = await repoWith(ctx, owner, "config-public", false, modelFiles);
    const privateConfigRepo = await repoWith(ctx, owner, "config-private", true, modelFiles);
    const cloneRepo = await repoWith(ctx, owner, `files-${options.cloneFiles}`, false, manyFiles(options.cloneFiles));
    const lfsRepos: string[] = [];
    for (let i = 1; i <= options.lfsRuns; i++) lfsRepos.push((await repoWith(ctx, owner, `lfs-${i}`, false, [])).name);
    return {
      token,
      publicConfigRepo: publicConfigRepo.name,
      privateConfigRepo: privateConfigRepo.name,
      cloneRepo: cloneRepo.name,
      cloneRepoDir: cloneRepo.dir,
      cloneFiles: options.cloneFiles,
      lfsRepos,
    };
  } finally {
    await ctx.close();
  }
}

async function repoWith(
  ctx: Context,
  owner: User,
  name: string,
  isPrivate: boolean,
  files: readonly SeedFile[],
): Promise<{ name: string; dir: string }> {
  const repo = await createRepo(ctx, owner, { type: "model", namespace: owner.name, name, private: isPrivate });
  if (files.length > 0) await commitFiles(ctx, repo, files, { author: owner.name, message: "add files" });
  return { name: `${owner.name}/${name}`, dir: ctx.storage.pathOf(repo.type, repo.id) };
}

/** Small text files of 1–6 KiB in 20 directories, like a dataset of JSON shards; ~7 MiB in all. */
function manyFiles(count: number): SeedFile[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `data/part-${String(i % 20).padStart(2, "0")}/shard-${String(i).padStart(5, "0")}.json`,
    content: JSON.stringify({ id: i, text: randomBytes(768 + ((i * 2654435761) % 3840)).toString("base64") }),
  }));
}
