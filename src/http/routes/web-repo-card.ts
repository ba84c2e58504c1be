/**
 * A repository's front page, `/{ns}/{name}` (models), `/datasets/…`, `/spaces/…`: the model card of
 * `main`, its metadata, snippets, clone URL and counts. It needs `repo.info` only (the engine's answer):
 * a gated repo shows its card to everyone who may see the repo, as the Hub does, but only when README.md
 * is text; an LFS README.md opens with the files.
 *
 * Fast on large repos: the branch is a ref-file read, README.md comes from the tree cache (or one path
 * lookup, never a listing of the whole tree), and the rendered card, the head commit and the commit
 * count are kept by blob and commit id (both immutable), so a page seen before spawns no process.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { cardImageSources, type RenderedCard, renderCard } from "../../../web/model-card.ts";
import { type CardState, repoCardPage } from "../../../web/pages/repo-card-page.ts";
import type { Context } from "../../context.ts";
import { REPO_TYPES, type RepoType, repoUrlPath } from "../../domain/repo-id.ts";
import { readBlobBytes } from "../../git/blob-reader.ts";
import { type CommitInfo, countCommits, readCommit } from "../../git/commit-log.ts";
import { lookupPaths } from "../../git/path-lookup.ts";
import { listRefNames } from "../../git/ref-store.ts";
import type { TreeEntry } from "../../git/tree-reader.ts";
import { findRepoLfsObject } from "../../store/lfs-objects.ts";
import { repoDir } from "../content-request.ts";
import { LruCache } from "../lru-cache.ts";
import { loadWebRepo, type WebRepo } from "../web-repo.ts";
import { contentSecurityPolicy, RESERVED_NAMES, sendPage, viewerOf } from "../web-support.ts";

/** Larger cards are linked, not rendered: Markdown costs grow with the text. */
export const MAX_CARD_BYTES = 512 * 1024;

export interface RepoPageCaches {
  readonly cards: LruCache<string, RenderedCard>;
  readonly heads: LruCache<string, CommitInfo>;
  readonly counts: LruCache<string, number>;
  /** README.md of a commit ("none" when it has none). */
  readonly readmes: LruCache<string, TreeEntry | "none">;
}

export function makeRepoPageCaches(): RepoPageCaches {
  return {
    cards: new LruCache(500),
    heads: new LruCache(2000),
    counts: new LruCache(5000),
    readmes: new LruCache(5000),
  };
}

export function registerWebRepoCardRoutes(app: FastifyInstance, ctx: Context, caches: RepoPageCaches): void {
  async function readme(web: WebRepo, entry: TreeEntry | undefined): Promise<CardState> {
    const { repo, abilities } = web;
    if (entry?.type !== "file") return { type: "missing" };
    if (entry.size > MAX_CARD_BYTES) return { type: "too-large", size: entry.size };
    // The key names everything the rendering depends on: the bytes, the links' base, what the viewer reads.
    const key = `${repo.id}\0${repoUrlPath(repo)}\0${entry.lfs?.oid ?? entry.oid}\0${abilities.content}`;
    const hit = caches.cards.get(key);
    if (hit) return { type: "rendered", card: hit };
    let bytes: Buffer;
    if (entry.lfs) {
      if (!abilities.content) return { type: "hidden" };
      if ((await findRepoLfsObject(ctx.db, repo.id, entry.lfs.oid)) !== entry.lfs.size) return { type: "missing" };
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.lfs.read(entry.lfs.oid)) chunks.push(chunk as Buffer);
      bytes = Buffer.concat(chunks);
    } else {
      const release = await ctx.blobSlots.acquire();
      try {
        bytes = await readBlobBytes(repoDir(ctx, repo), entry.oid, MAX_CARD_BYTES);
      } finally {
        release();
      }
    }
    const card = renderCard(bytes.toString("utf8"), {
      repoPath: repoUrlPath(repo),
      revision: "main",
      remoteImages: ctx.config.cardImages,
      localImages: abilities.content,
    });
    caches.cards.set(key, card);
    return { type: "rendered", card };
  }

  /**
   * README.md of the commit: from the tree cache when the commit's tree is there, else one path lookup,
   * so a first view of a huge repo does not list all its files just for the card.
   */
  async function readmeEntry(dir: string, commit: string): Promise<TreeEntry | undefined> {
    if (ctx.trees.has(dir, commit)) return (await ctx.trees.read(dir, commit)).byPath.get("README.md");
    const entry = await caches.readmes.getOrCompute(`${dir}\0${commit}`, async (): Promise<TreeEntry | "none"> => {
      const found = (await lookupPaths(dir, commit, ["README.md"])).get("README.md");
      if (!found) return "none";
      const lfs = found.lfs ? { ...found.lfs, pointerSize: found.size } : undefined;
      return {
        type: "file",
        path: "README.md",
        oid: found.blob,
        size: lfs ? lfs.size : found.size,
        ...(lfs ? { lfs } : {}),
      };
    });
    return entry === "none" ? undefined : entry;
  }

  async function renderCardPage(request: FastifyRequest, reply: FastifyReply, type: RepoType) {
    const web = await loadWebRepo(ctx, request, type, "repo.info");
    const { repo } = web;
    const dir = repoDir(ctx, repo);
    const commit = await ctx.storage.resolveRevision(repo.type, repo.id, "main");
    let card: CardState = { type: "empty-repo" };
    let head: CommitInfo | undefined;
    let commitCount = 0;
    if (commit) {
      [card, head, commitCount] = await Promise.all([
        readmeEntry(dir, commit).then((entry) => readme(web, entry)),
        caches.heads.getOrCompute(`${dir}\0${commit}`, async () => {
          const details = await readCommit(dir, commit);
          if (!details) throw new Error(`commit ${commit} of ${repo.id} cannot be read`);
          return details;
        }),
        caches.counts.getOrCompute(`${dir}\0${commit}\0`, () => countCommits(dir, commit)),
      ]);
    }
    const names = await listRefNames(dir);
    const page = repoCardPage(viewerOf(ctx, request), {
      repo,
      abilities: web.abilities,
      accessStatus: web.relation.accessStatus,
      card,
      publicUrl: ctx.config.publicUrl,
      head,
      commitCount,
      branches: names.filter((n) => n.startsWith("refs/heads/")).length,
      tags: names.filter((n) => n.startsWith("refs/tags/")).length,
    });
    const images = cardImageSources(ctx.config.cardImages);
    if (images.length > 0) reply.header("Content-Security-Policy", contentSecurityPolicy(images));
    return sendPage(reply, page);
  }

  for (const type of REPO_TYPES) {
    const prefix = type === "model" ? "" : `/${type}s`;
    app.get(`${prefix}/:ns/:name`, async (request, reply) => {
      const { ns } = request.params as { ns: string };
      // `/api/…` and the other page prefixes are not repos: leave them to their own 404.
      if (type === "model" && RESERVED_NAMES.has(ns.toLowerCase())) return reply.callNotFound();
      return renderCardPage(request, reply, type);
    });
  }
}
