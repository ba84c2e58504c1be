/**
 * git smart HTTP: `/{ns}/{name}[.git]/info/refs?service=…`, `…/git-upload-pack`, `…/git-receive-pack`,
 * also under `/datasets/` and `/spaces/` (hub-api.md §11). Fetch needs `repo.content`, push `repo.write`
 * and `repo.content`, all asked of the authorization engine before git sees a byte. Permission is per repo, so a push is
 * refused as a whole or handed to git as a whole.
 *
 * A push is checked by git before any ref moves: Berth's pre-receive hook refuses every path the commit
 * API would refuse (pushed-paths.ts), and `receive.fsckObjects` refuses malformed objects (smart-http.ts).
 *
 * Registered in its own encapsulated plugin: its content-type parser hands the raw request stream through
 * with no body limit (packs can be gigabytes), its 401s carry `WWW-Authenticate`, and its errors are
 * plain text, which git shows to the user, without changing anything for the rest of the app.
 */
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { authorizeRepo } from "../../auth/authorize.ts";
import { denialError } from "../../auth/denial-error.ts";
import { requireRepo } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import type { RepoType } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { receiveHooksDir } from "../../git/receive-hooks.ts";
import { type GitService, runSmartHttp } from "../../git/smart-http.ts";
import { touchRepo } from "../../store/repos.ts";
import { registerBasicChallenge, registerPlainTextErrors } from "../basic-challenge.ts";
import { readUploadPackBody, receivePackBody } from "../git-request-body.ts";

export const REPO_ROUTE_PREFIXES: ReadonlyArray<readonly [string, RepoType]> = [
  ["", "model"],
  ["/datasets", "dataset"],
  ["/spaces", "space"],
];

interface RepoParams {
  ns: string;
  name: string;
}

/** The repo a git or LFS URL names: `name` may carry the `.git` suffix git-lfs and many remotes add. */
export function repoTarget(type: RepoType, params: RepoParams): { type: RepoType; namespace: string; name: string } {
  const name = params.name.endsWith(".git") ? params.name.slice(0, -4) : params.name;
  return { type, namespace: params.ns, name };
}

export function registerGitRoutes(app: FastifyInstance, ctx: Context): void {
  app.register(async (scope) => {
    // Leave every body unread: the handler streams `request.raw` into git, or refuses it unread.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null));
    registerBasicChallenge(scope, { lfs: false });
    registerPlainTextErrors(scope);

    for (const [prefix, type] of REPO_ROUTE_PREFIXES) {
      const base = `${prefix}/:ns/:name`;
      scope.get<{ Params: RepoParams; Querystring: { service?: string } }>(`${base}/info/refs`, (request, reply) => {
        const service = request.query.service;
        if (service !== "git-upload-pack" && service !== "git-receive-pack") {
          throw new HubError("BadRequest", "Only the smart HTTP protocol is served: add ?service=git-upload-pack");
        }
        return serveGit(ctx, request, reply, type, service, "advertisement");
      });
      // Authorized before a byte is read; the handler bounds and streams the body itself.
      scope.post<{ Params: RepoParams }>(
        `${base}/git-upload-pack`,
        { config: { streamsBody: true } },
        (request, reply) => serveGit(ctx, request, reply, type, "git-upload-pack", "rpc"),
      );
      scope.post<{ Params: RepoParams }>(
        `${base}/git-receive-pack`,
        { config: { streamsBody: true } },
        (request, reply) => serveGit(ctx, request, reply, type, "git-receive-pack", "rpc"),
      );
    }
  });
}

async function serveGit(
  ctx: Context,
  request: FastifyRequest<{ Params: RepoParams }>,
  reply: FastifyReply,
  type: RepoType,
  service: GitService,
  kind: "advertisement" | "rpc",
): Promise<FastifyReply> {
  const push = service === "git-receive-pack";
  const principal = request.principal;
  const expectedType = `application/x-git-${service.slice(4)}-request`;
  if (kind === "rpc" && request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase() !== expectedType) {
    throw new HubError("UnsupportedMediaType", `Expected Content-Type: ${expectedType}`);
  }
  const { repo, relation } = await requireRepo(
    ctx,
    principal,
    repoTarget(type, request.params),
    push ? "repo.write" : "repo.content",
  );
  // A push may reference any object the repo already has by its id, without sending it (a tree naming
  // an existing blob as README.md, which gated repos serve to all): pushing takes the right to read too.
  const read = push ? authorizeRepo(principal, repo, relation, "repo.content") : undefined;
  if (read && !read.allowed) throw denialError(read.denial, principal, repo, ctx.config.publicUrl);

  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === "string" ? value : undefined;
  };
  // The body is made ready before a process starts (git-request-body.ts): a fetch's negotiation is read
  // whole and decompressed within bounds; a push's pack streams, decompressed and capped.
  let body: Readable | undefined;
  let contentLength: string | undefined;
  if (kind === "rpc" && push) {
    const pack = receivePackBody(request.raw, ctx.config.gitMaxPushBytes);
    body = pack.body;
    contentLength = pack.decoded ? undefined : header("content-length");
  } else if (kind === "rpc") {
    const negotiation = await readUploadPackBody(request.raw, request.server.bodyBudget, bodyTimeoutMs(ctx));
    reply.raw.once("close", negotiation.release);
    body = Readable.from([negotiation.bytes]);
    contentLength = String(negotiation.bytes.length);
  }
  const release = await ctx.gitSlots.acquire();
  let response: Awaited<ReturnType<typeof runSmartHttp>>;
  try {
    response = await runSmartHttp(
      {
        repoDir: ctx.storage.pathOf(repo.type, repo.id),
        service,
        kind,
        contentType: header("content-type"),
        contentLength,
        gitProtocol: header("git-protocol"),
        // Only receive-pack gets the hook: fetch and clone stay exactly as fast as before.
        hooksDir: push ? await receiveHooksDir(ctx.config.dataDir) : undefined,
        remoteUser: principal.type === "anonymous" ? undefined : principal.user.name,
        remoteAddr: request.ip,
        body,
      },
      ctx.logger,
    );
  } catch (error) {
    release();
    throw error;
  }
  void response.exited.finally(release);
  // A client that hangs up must not leave git running.
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) response.kill();
  });
  if (push && kind === "rpc") {
    void response.exited.then(async (code) => {
      if (code !== 0) return;
      try {
        await touchRepo(ctx.db, repo.id, ctx.now());
      } catch (error) {
        ctx.logger.warn({ err: error, repoId: repo.id }, "could not record the push time");
      }
    });
  }
  reply.code(response.status);
  for (const [name, value] of response.headers) reply.header(name, value);
  return reply.send(response.body);
}

function bodyTimeoutMs(ctx: Context): number {
  return ctx.config.bodyTimeoutSeconds * 1000;
}
