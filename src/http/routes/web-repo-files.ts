/**
 * Files and versions: `/{repo}/tree/{rev}[/{path}]` lists a directory at any branch, tag or commit, and
 * `/{repo}/blob/{rev}/{path}` shows one file. The revision and path are parsed from the raw URL as the
 * downloads parse them (`refs%2Fpr%2F1`, branch names with `/`).
 *
 * Access as on the API: the tree needs `repo.info` (a gated repo lists its files); a file needs
 * `repo.content`, except a README.md that is text; a viewer stopped by the gate sees the gate's notice.
 * Last commits per entry come from one bounded `git log` walk per page, kept by commit id.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { languageOf, tokenLines } from "../../../web/highlight.ts";
import { type BlobView, repoBlobPage } from "../../../web/pages/repo-blob-page.ts";
import { repoViewUrl } from "../../../web/pages/repo-chrome.ts";
import { repoTreePage } from "../../../web/pages/repo-tree-page.ts";
import type { Context } from "../../context.ts";
import { REPO_TYPES, type RepoType, repoUrlPath } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { hashBlob, readBlobBytes } from "../../git/blob-reader.ts";
import { asText } from "../../git/commit-diff.ts";
import { type LastCommit, lastCommits } from "../../git/commit-log.ts";
import type { TreeEntry } from "../../git/tree-reader.ts";
import { rawTail, repoDir, resolveCommit, revisionAndPath } from "../content-request.ts";
import { LruCache } from "../lru-cache.ts";
import { gatedPage, loadWebRepo, pageNumber, revisionChoices } from "../web-repo.ts";
import { seeOther, sendPage, viewerOf } from "../web-support.ts";

export const TREE_PAGE_SIZE = 200;
/**
 * The last-commit column is shown "where cheap": git's walk costs about (commits walked) × (entries of
 * the trees under the listed paths) tree entries read, so the walk is cut to this much of that work
 * (about 0.1 s on a small machine), at most `MAX_LAST_COMMIT_WALK` commits and at least 10. An entry
 * not reached in the walk shows no last commit.
 */
const LAST_COMMIT_WORK = 300_000;
const MAX_LAST_COMMIT_WALK = 2000;
const MAX_TEXT_BYTES = 1024 * 1024;
const MAX_HIGHLIGHT_BYTES = 256 * 1024;
/** Git blobs hashed for the page when it cannot show them (LFS objects carry their SHA-256). */
const MAX_HASHED_BYTES = 64 * 1024 * 1024;
const IMAGE = /\.(png|jpe?g|gif|webp|bmp|ico|avif)$/i;
const MAX_LFS_IMAGE_BYTES = 20 * 1024 * 1024;

/**
 * The tree entries git reads per commit to find the last commits of `listed` (children of `directory`):
 * the whole directory, and everything below the listed subdirectories.
 */
export function walkWork(all: readonly TreeEntry[], directory: string, listed: ReadonlySet<string>): number {
  const prefix = directory === "" ? "" : `${directory}/`;
  let count = 0;
  for (const entry of all) {
    if (!entry.path.startsWith(prefix)) continue;
    const slash = entry.path.indexOf("/", prefix.length);
    // A child of the directory, or a descendant of a listed subdirectory.
    if (slash < 0 || listed.has(entry.path.slice(0, slash))) count++;
  }
  return count;
}

export function registerWebRepoFileRoutes(app: FastifyInstance, ctx: Context): void {
  const lastCommitPages = new LruCache<string, Map<string, LastCommit>>(500);
  const hashes = new LruCache<string, string>(2000);

  async function tree(request: FastifyRequest, reply: FastifyReply, type: RepoType, tailAt: number) {
    const web = await loadWebRepo(ctx, request, type, "repo.info");
    const { repo } = web;
    const { revision, path } = await revisionAndPath(ctx, repo, rawTail(request, tailAt));
    const page = pageNumber(request);
    const commit = await resolveCommit(ctx, repo, revision);
    const dir = repoDir(ctx, repo);
    const commitTree = await ctx.trees.read(dir, commit);
    const entry = path === "" ? undefined : commitTree.byPath.get(path);
    if (entry?.type === "file") return seeOther(reply, repoViewUrl(repo, "blob", revision, path));
    if (path !== "" && !entry) throw new HubError("EntryNotFound", `${path} does not exist at revision ${revision}`);
    const children = commitTree.children.get(path) ?? [];
    // Directories first, then files, each in git's order (a stable partition, linear).
    const sorted = [...children.filter((e) => e.type === "directory"), ...children.filter((e) => e.type === "file")];
    const entries = sorted.slice(page * TREE_PAGE_SIZE, (page + 1) * TREE_PAGE_SIZE);
    const last = await lastCommitPages.getOrCompute(`${dir}\0${commit}\0${path}\0${page}`, () => {
      const work = walkWork(commitTree.entries, path, new Set(entries.map((e) => e.path)));
      const walk = Math.max(10, Math.min(MAX_LAST_COMMIT_WALK, Math.floor(LAST_COMMIT_WORK / Math.max(1, work))));
      return lastCommits(
        dir,
        commit,
        entries.map((e) => e.path),
        walk,
      );
    });
    return sendPage(
      reply,
      repoTreePage(viewerOf(ctx, request), {
        repo,
        abilities: web.abilities,
        accessStatus: web.relation.accessStatus,
        revision: await revisionChoices(ctx, repo, revision, commit),
        path,
        entries,
        total: sorted.length,
        page,
        pageSize: TREE_PAGE_SIZE,
        lastCommits: last,
        cloneUrl: `${ctx.config.publicUrl}${repoUrlPath(repo)}`,
      }),
    );
  }

  async function viewOf(dir: string, entry: TreeEntry, path: string): Promise<BlobView> {
    if (entry.lfs) {
      return IMAGE.test(path) && entry.lfs.size <= MAX_LFS_IMAGE_BYTES
        ? { type: "image" }
        : { type: "download", reason: "lfs", sha256: entry.lfs.oid };
    }
    if (IMAGE.test(path)) return { type: "image" };
    const hashed = () =>
      entry.size > MAX_HASHED_BYTES
        ? Promise.resolve(undefined)
        : hashes.getOrCompute(entry.oid, () => hashBlob(dir, entry.oid));
    if (entry.size > MAX_TEXT_BYTES) return { type: "download", reason: "too-large", sha256: await hashed() };
    const release = await ctx.blobSlots.acquire();
    let bytes: Buffer;
    try {
      bytes = await readBlobBytes(dir, entry.oid, MAX_TEXT_BYTES);
    } finally {
      release();
    }
    const text = asText(bytes);
    if (text === undefined) return { type: "download", reason: "binary", sha256: await hashed() };
    const highlighted = bytes.length <= MAX_HIGHLIGHT_BYTES;
    return { type: "text", lines: tokenLines(text, highlighted ? languageOf(path) : undefined), highlighted };
  }

  async function blob(request: FastifyRequest, reply: FastifyReply, type: RepoType, tailAt: number) {
    const web = await loadWebRepo(ctx, request, type, "repo.info");
    const { repo } = web;
    const { revision, path } = await revisionAndPath(ctx, repo, rawTail(request, tailAt));
    const commit = await resolveCommit(ctx, repo, revision);
    const dir = repoDir(ctx, repo);
    const entry = path === "" ? undefined : (await ctx.trees.read(dir, commit)).byPath.get(path);
    if (entry?.type === "directory" || path === "") return seeOther(reply, repoViewUrl(repo, "tree", revision, path));
    if (!entry) throw new HubError("EntryNotFound", `${path} does not exist at revision ${revision}`);
    // The card stays readable on a gated repo, as a download does; only as text (files.ts says why).
    if (!(path === "README.md" && !entry.lfs)) {
      const gated = gatedPage(ctx, request, reply, web);
      if (gated) return gated;
    }
    return sendPage(
      reply,
      repoBlobPage(viewerOf(ctx, request), {
        repo,
        abilities: web.abilities,
        accessStatus: web.relation.accessStatus,
        revision: await revisionChoices(ctx, repo, revision, commit),
        entry,
        view: await viewOf(dir, entry, path),
      }),
    );
  }

  for (const type of REPO_TYPES) {
    const prefix = type === "model" ? "" : `/${type}s`;
    // Segments before the tail: "", [type,] ns, name, view.
    const tailAt = type === "model" ? 4 : 5;
    const base = `${prefix}/:ns/:name`;
    const toMain = (view: string) => async (request: FastifyRequest, reply: FastifyReply) => {
      const { repo } = await loadWebRepo(ctx, request, type, "repo.info");
      return seeOther(reply, `${repoUrlPath(repo)}/${view}/main`);
    };
    app.get(`${base}/tree`, toMain("tree"));
    app.get(`${base}/tree/*`, (request, reply) => tree(request, reply, type, tailAt));
    app.get(`${base}/blob/*`, (request, reply) => blob(request, reply, type, tailAt));
  }
}
