/**
 * History pages: `/{repo}/commits/{rev}[/{path}]` (a page of commits, `?p=`), and `/{repo}/commit/{id}`,
 * the page behind the API's `commitUrl`: the commit's message and what it changed. Both are content
 * (`repo.content`, the gate included), as the API's commit list is. A commit id that names nothing in
 * this repo is the page's 404; each repo is its own object store, so another repo's ids name nothing.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { repoCommitPage } from "../../../web/pages/repo-commit-page.ts";
import { repoCommitsPage } from "../../../web/pages/repo-commits-page.ts";
import type { Context } from "../../context.ts";
import { REPO_TYPES, type RepoType, repoUrlPath } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { type CommitChanges, readCommitChanges } from "../../git/commit-diff.ts";
import { countCommits, listCommits, readCommit } from "../../git/commit-log.ts";
import { rawTail, repoDir, resolveCommit, revisionAndPath } from "../content-request.ts";
import { LruCache } from "../lru-cache.ts";
import { gatedPage, loadWebRepo, pageNumber, revisionChoices } from "../web-repo.ts";
import { seeOther, sendPage, viewerOf } from "../web-support.ts";
import type { RepoPageCaches } from "./web-repo-card.ts";

export const COMMITS_PAGE_SIZE = 50;
const COMMIT_ID = /^[0-9a-f]{7,40}$/;

export function registerWebRepoHistoryRoutes(app: FastifyInstance, ctx: Context, caches: RepoPageCaches): void {
  const changes = new LruCache<string, CommitChanges>(50);

  async function history(request: FastifyRequest, reply: FastifyReply, type: RepoType, tailAt: number) {
    const web = await loadWebRepo(ctx, request, type, "repo.info");
    const gated = gatedPage(ctx, request, reply, web);
    if (gated) return gated;
    const { repo } = web;
    const { revision, path } = await revisionAndPath(ctx, repo, rawTail(request, tailAt));
    const page = pageNumber(request);
    const commit = await resolveCommit(ctx, repo, revision);
    const dir = repoDir(ctx, repo);
    const [total, commits] = await Promise.all([
      caches.counts.getOrCompute(`${dir}\0${commit}\0${path}`, () => countCommits(dir, commit, path || undefined)),
      listCommits(dir, commit, { skip: page * COMMITS_PAGE_SIZE, limit: COMMITS_PAGE_SIZE }, path || undefined),
    ]);
    return sendPage(
      reply,
      repoCommitsPage(viewerOf(ctx, request), {
        repo,
        abilities: web.abilities,
        revision: await revisionChoices(ctx, repo, revision, commit),
        path,
        commits,
        total,
        page,
        pageSize: COMMITS_PAGE_SIZE,
      }),
    );
  }

  async function oneCommit(request: FastifyRequest, reply: FastifyReply, type: RepoType) {
    const web = await loadWebRepo(ctx, request, type, "repo.info");
    const gated = gatedPage(ctx, request, reply, web);
    if (gated) return gated;
    const { repo } = web;
    const { id } = request.params as { id: string };
    const notFound = () => new HubError("RevisionNotFound", `No commit ${id.slice(0, 40)} in this repository`);
    if (!COMMIT_ID.test(id)) throw notFound();
    const dir = repoDir(ctx, repo);
    const full = await ctx.storage.resolveRevision(repo.type, repo.id, id);
    const commit = full ? await readCommit(dir, full) : undefined;
    if (!commit) throw notFound();
    if (commit.id !== id) return seeOther(reply, `${repoUrlPath(repo)}/commit/${commit.id}`);
    const changed = await changes.getOrCompute(`${dir}\0${commit.id}`, () =>
      readCommitChanges(dir, commit.id, commit.parents[0]),
    );
    return sendPage(
      reply,
      repoCommitPage(viewerOf(ctx, request), { repo, abilities: web.abilities, commit, changes: changed }),
    );
  }

  for (const type of REPO_TYPES) {
    const prefix = type === "model" ? "" : `/${type}s`;
    const tailAt = type === "model" ? 4 : 5;
    const base = `${prefix}/:ns/:name`;
    app.get(`${base}/commits`, async (request, reply) => {
      const { repo } = await loadWebRepo(ctx, request, type, "repo.info");
      return seeOther(reply, `${repoUrlPath(repo)}/commits/main`);
    });
    app.get(`${base}/commits/*`, (request, reply) => history(request, reply, type, tailAt));
    app.get(`${base}/commit/:id`, (request, reply) => oneCommit(request, reply, type));
  }
}
