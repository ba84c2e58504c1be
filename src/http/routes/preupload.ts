/**
 * `POST /api/{type}s/{ns}/{name}/preupload/{rev}[?create_pr=1]` (hub-api.md §8.1): for each file the
 * client means to commit, whether it goes through LFS or inline, whether a `.gitignore` ignores it, and
 * the id of the file already at that path (Python skips a file whose local id equals it, so it is exact
 * or absent: the blob SHA-1 for a regular file, the SHA-256 for an LFS pointer).
 *
 * LFS when a `filter=lfs` pattern matches (the request's `gitAttributes`, else the revision's), when the
 * file is 10 MB or more, or when its sample holds a NUL byte; empty files are always regular.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { authorizeRepo } from "../../auth/authorize.ts";
import type { Context } from "../../context.ts";
import { defaultGitattributes } from "../../domain/gitattributes.ts";
import { REPO_TYPES, type RepoType } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { lookupPaths } from "../../git/path-lookup.ts";
import { GitIgnore, LfsAttributes, looksBinary, pathProblem } from "../../git/path-rules.ts";
import { parseBoolean } from "../query-params.ts";
import { getRepoAccess, repoFirst } from "../repo-guard.ts";
import { writeTarget } from "./repo-write-target.ts";

export const LFS_SIZE_THRESHOLD = 10_000_000;
const MAX_FILES = 1000;

const body = z.object({
  files: z
    .array(
      z.object({
        path: z.string().max(10_000),
        size: z.number().int().nonnegative(),
        sample: z.string().max(4096).default(""),
      }),
    )
    .max(MAX_FILES),
  gitAttributes: z.string().max(1_000_000).nullish(),
  gitIgnore: z.string().max(1_000_000).nullish(),
});

export function registerPreuploadRoutes(app: FastifyInstance, ctx: Context): void {
  for (const type of REPO_TYPES) {
    const beforeBody = repoFirst(
      ctx,
      (request) => writeTarget(request, type).repo,
      (request) => (isPullRequest(request) ? "repo.discussion.write" : "repo.write"),
    );
    app.post(
      `/api/${type}s/:ns/:name/preupload/*`,
      { bodyLimit: 16 * 1024 * 1024, config: { beforeBody } },
      async (request) => preupload(ctx, type, request),
    );
  }
}

function isPullRequest(request: FastifyRequest): boolean {
  return parseBoolean((request.query as Record<string, unknown>).create_pr);
}

async function preupload(ctx: Context, type: RepoType, request: FastifyRequest) {
  const { revision } = writeTarget(request, type);
  const access = getRepoAccess(request);
  const { repo } = access;
  // The repo's `.gitattributes` and `.gitignore` are files like any other: behind the gate. Someone who
  // may open a pull request but not read the content gets the Hub's default rules instead of the repo's.
  const mayRead = authorizeRepo(request.principal, repo, access.relation, "repo.content").allowed;
  const input = body.parse(request.body);
  for (const file of input.files) {
    const problem = pathProblem(file.path);
    if (problem) throw new HubError("Unprocessable", `Invalid path "${file.path.slice(0, 200)}": ${problem}`);
  }
  const commit = await ctx.storage.resolveRevision(repo.type, repo.id, revision);
  if (!commit) throw new HubError("RevisionNotFound", `Invalid rev id: ${revision.slice(0, 100)}`);

  const dir = ctx.storage.pathOf(repo.type, repo.id);
  const special = new Set<string>();
  if (input.gitAttributes == null && mayRead) special.add(".gitattributes");
  if (input.gitIgnore == null && mayRead) special.add(".gitignore");
  const entries = await lookupPaths(dir, commit, [...special, ...input.files.map((f) => f.path)], special);
  const repoAttributes = mayRead ? entries.get(".gitattributes")?.content?.toString("utf8") : undefined;
  const attributes = new LfsAttributes(
    input.gitAttributes ?? repoAttributes ?? (mayRead ? "" : defaultGitattributes(repo.type)),
  );
  const ignore = new GitIgnore(input.gitIgnore ?? entries.get(".gitignore")?.content?.toString("utf8") ?? "");

  return {
    files: input.files.map((file) => {
      const lfs =
        file.size > 0 &&
        (attributes.isLfs(file.path) ||
          file.size >= LFS_SIZE_THRESHOLD ||
          looksBinary(Buffer.from(file.sample, "base64")));
      const existing = entries.get(file.path);
      const oid = existing ? (existing.lfs?.oid ?? existing.blob) : undefined;
      return {
        path: file.path,
        uploadMode: lfs ? "lfs" : "regular",
        shouldIgnore: ignore.isIgnored(file.path),
        ...(oid ? { oid } : {}),
      };
    }),
    commitOid: commit,
  };
}
