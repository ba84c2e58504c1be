/**
 * Git LFS over HTTP (hub-api.md §8.2–§8.3, §11): the batch API, basic transfers through signed hrefs,
 * object verify, and `locks/verify` answered 404 so git-lfs turns lock checks off and carries on.
 *
 * The batch call asks the authorization engine (download → repo.content, upload → repo.write) and hands
 * out signed hrefs (git/lfs-signing.ts); the transfer routes accept exactly those signatures and no
 * other credential, because Python and JS send none there. Every upload is checked for SHA-256 and size
 * before it becomes visible and is linked to the repo only then.
 */
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { authorizeRepo } from "../../auth/authorize.ts";
import { bindingOf, boundCredentials } from "../../auth/credential-binding.ts";
import { type Principal, userOf } from "../../auth/principal.ts";
import { lookUpRepo } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import type { Repo } from "../../domain/entities.ts";
import { type RepoType, repoUrlPath } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { answerBatch } from "../../git/lfs-batch.ts";
import {
  LFS_HREF_TTL_SECONDS,
  type LfsOperation,
  lfsGrant,
  parseLfsSignature,
  signLfsGrant,
  verifyLfsGrant,
} from "../../git/lfs-signing.ts";
import { OID } from "../../git/lfs-store.ts";
import { findRepoLfsObject, linkLfsObject, recordLfsUpload } from "../../store/lfs-objects.ts";
import { registerBasicChallenge } from "../basic-challenge.ts";
import { parseByteRange } from "../byte-range.ts";
import { assertAllowed } from "../content-request.ts";
import { fileNameParameters, guardRepoBytes } from "../repo-bytes.ts";
import { getRepoAccess, repoFirst } from "../repo-guard.ts";
import { REPO_ROUTE_PREFIXES, repoTarget } from "./git.ts";

const LFS_JSON = "application/vnd.git-lfs+json";

const batchBody = z.object({
  operation: z.enum(["upload", "download"]),
  objects: z.array(z.object({ oid: z.unknown(), size: z.unknown() }).passthrough()).max(10_000),
  transfers: z.array(z.string()).optional(),
  hash_algo: z.string().optional(),
  ref: z.object({ name: z.string() }).passthrough().nullish(),
});

const verifyBody = z.object({ oid: z.string().regex(OID), size: z.number().int().nonnegative() });

interface RepoParams {
  ns: string;
  name: string;
}
interface ObjectParams extends RepoParams {
  oid: string;
}
interface SignedQuery {
  size?: string;
  exp?: string;
  cred?: string;
  sig?: string;
}

export function registerLfsRoutes(app: FastifyInstance, ctx: Context): void {
  app.register(async (scope) => {
    // One parser for every type: a transfer streams `request.raw` itself whatever the client labels the
    // bytes with (JS sends a JSON file as application/json), and the JSON calls are read with a limit.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (request, payload, done) => {
      if (request.method === "PUT") return done(null);
      readJson(payload, ctx.config.bodyLimit).then(
        (body) => done(null, body),
        (error: unknown) => done(error as Error, undefined),
      );
    });
    registerBasicChallenge(scope, { lfs: true });
    // git-lfs prints `message` from an error body; the clients of the Hub read `error`. Send both.
    scope.addHook("onSend", async (request, reply, payload) => {
      if (reply.statusCode < 400 || typeof payload !== "string") return payload;
      try {
        const body = JSON.parse(payload) as { error?: unknown };
        if (typeof body.error !== "string") return payload;
        return JSON.stringify({ ...body, message: body.error, request_id: request.id });
      } catch {
        return payload;
      }
    });

    for (const [prefix, type] of REPO_ROUTE_PREFIXES) {
      const base = `${prefix}/:ns/:name/info/lfs`;
      // The operation is in the body: the repo is asked for at `repo.info` before it is read.
      const beforeBody = repoFirst(ctx, (request) => repoTarget(type, request.params as RepoParams), "repo.info");
      scope.post<{ Params: RepoParams }>(`${base}/objects/batch`, { config: { beforeBody } }, (request, reply) =>
        batch(ctx, request, reply),
      );
      scope.post<{ Params: RepoParams }>(
        `${base}/objects/verify`,
        { config: { beforeBody } },
        async (request, reply) => {
          const body = verifyBody.parse(request.body);
          const access = getRepoAccess(request);
          assertAllowed(ctx, request, access, "repo.content");
          const { repo } = access;
          const held = await findRepoLfsObject(ctx.db, repo.id, body.oid);
          if (held === undefined || held !== body.size) {
            throw new HubError("NotFound", `Object ${body.oid} (${body.size} bytes) is not stored in this repository`);
          }
          return reply.type(LFS_JSON).send({ oid: body.oid, size: held });
        },
      );
      scope.post(`${base}/locks/verify`, async () => {
        throw new HubError("NotFound", "File locking is not supported");
      });
      // The signature is checked before a byte is read; the body streams to disk, never to memory.
      scope.put<{ Params: ObjectParams; Querystring: SignedQuery }>(
        `${base}/objects/:oid`,
        { config: { streamsBody: true } },
        (request, reply) => upload(ctx, request, reply, type),
      );
      scope.get<{ Params: ObjectParams; Querystring: SignedQuery }>(
        `${base}/objects/:oid`,
        { onSend: guardRepoBytes },
        (request, reply) => download(ctx, request, reply, type),
      );
    }
  });
}

async function batch(
  ctx: Context,
  request: FastifyRequest<{ Params: RepoParams }>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const body = batchBody.parse(request.body);
  if (body.hash_algo !== undefined && body.hash_algo !== "sha256" && body.hash_algo !== "sha_256") {
    throw new HubError("Unprocessable", `Unsupported hash algorithm "${body.hash_algo.slice(0, 40)}": use sha256`);
  }
  const principal = request.principal;
  const access = getRepoAccess(request);
  assertAllowed(ctx, request, access, body.operation === "upload" ? "repo.upload" : "repo.content");
  const { repo, relation } = access;
  // Someone who may upload but not read (a pull request's author on a gated repo) is never told "already
  // stored": they upload the bytes like anyone who lacks them, and that upload is what later lets their
  // commit reference the oid (git/commit-writer.ts). Knowing an oid from a tree listing opens nothing.
  const mayRead = body.operation === "download" || authorizeRepo(principal, repo, relation, "repo.content").allowed;
  const binding = bindingOf(principal);
  const now = ctx.now();
  const objects = await answerBatch(body.operation, body.objects, {
    held: async (oid) => (mayRead ? findRepoLfsObject(ctx.db, repo.id, oid) : undefined),
    href: (operation, oid, size) => {
      const grant = lfsGrant(operation, repo.id, oid, size, binding.ref, now);
      const query = signLfsGrant(ctx.secrets.tokenKey, grant, binding.secret);
      return `${ctx.config.publicUrl}${repoUrlPath(repo)}.git/info/lfs/objects/${oid}?${query}`;
    },
    expiresIn: LFS_HREF_TTL_SECONDS,
  });
  // Always basic: never multipart (`chunk_size`) and never xet, whatever the client offers (§7, §8.2).
  return reply.type(LFS_JSON).send({ transfer: "basic", objects, hash_algo: "sha256" });
}

const INVALID_LINK =
  "This LFS link is invalid, has expired, or no longer carries access: ask the batch API for a new one";

/**
 * The repo, grant and principal a signed href proves, checked again on this use: the credential that
 * obtained it must still exist unchanged (auth/credential-binding.ts) and still be allowed `action` by
 * the engine. One answer for every failure, so it reveals nothing.
 */
async function requireSignature(
  ctx: Context,
  request: FastifyRequest<{ Params: ObjectParams; Querystring: SignedQuery }>,
  type: RepoType,
  operation: LfsOperation,
): Promise<{ repo: Repo; size: number; principal: Principal }> {
  const oid = request.params.oid;
  const now = ctx.now();
  const parsed = OID.test(oid) ? parseLfsSignature(request.query, now) : undefined;
  const candidates = parsed ? await boundCredentials(ctx, parsed.credential) : [];
  const first = candidates[0];
  if (!first) throw new HubError("Forbidden", INVALID_LINK);
  const found = await lookUpRepo(ctx, repoTarget(type, request.params), userOf(first.principal)?.id);
  if (found?.via !== "name") throw new HubError("Forbidden", INVALID_LINK);
  const { repo } = found;
  const expected = { operation, repoId: repo.id, oid };
  for (const { principal, secret } of candidates) {
    const grant = verifyLfsGrant(ctx.secrets.tokenKey, expected, request.query, now, secret);
    if (!grant) continue;
    const relation = principal.type === "anonymous" ? {} : { orgRole: found.orgRole, accessStatus: found.accessStatus };
    const action = operation === "upload" ? "repo.upload" : "repo.content";
    if (!authorizeRepo(principal, repo, relation, action).allowed) break;
    return { repo, size: grant.size, principal };
  }
  throw new HubError("Forbidden", INVALID_LINK);
}

async function upload(
  ctx: Context,
  request: FastifyRequest<{ Params: ObjectParams; Querystring: SignedQuery }>,
  reply: FastifyReply,
  type: RepoType,
): Promise<FastifyReply> {
  const { repo, size, principal } = await requireSignature(ctx, request, type, "upload");
  const oid = request.params.oid;
  const declared = request.headers["content-length"];
  if (declared !== undefined && Number(declared) !== size) {
    throw new HubError("Unprocessable", `Size mismatch: expected ${size} bytes, Content-Length says ${declared}`);
  }
  // The store stops reading the moment the body outgrows the signed size, and fails the write when the
  // client hangs up mid-upload (its pipeline sees the request stream end early or error).
  await ctx.lfs.write(oid, size, request.raw);
  await linkLfsObject(ctx.db, repo.id, oid, size, ctx.now());
  const uploader = userOf(principal);
  if (uploader) await recordLfsUpload(ctx.db, repo.id, oid, uploader.id, ctx.now());
  return reply.code(200).send();
}

async function download(
  ctx: Context,
  request: FastifyRequest<{ Params: ObjectParams; Querystring: SignedQuery }>,
  reply: FastifyReply,
  type: RepoType,
): Promise<FastifyReply> {
  const { repo } = await requireSignature(ctx, request, type, "download");
  const oid = request.params.oid;
  // Re-checked so a link dies with the repo's hold on the object (the repo deleted, the object dropped).
  const held = await findRepoLfsObject(ctx.db, repo.id, oid);
  const size = held === undefined ? undefined : await ctx.lfs.sizeOf(oid);
  if (size === undefined) throw new HubError("NotFound", "Object not found");
  // The object's name and type are the commit's business, not the store's: always a download.
  reply
    .header("Accept-Ranges", "bytes")
    .header("ETag", `"${oid}"`)
    .header("Content-Disposition", `attachment; ${fileNameParameters(oid)}`)
    .type("application/octet-stream");
  const range = parseByteRange(request.headers.range, size);
  if (range.type === "unsatisfiable") {
    return reply.code(416).header("Content-Range", `bytes */${size}`).send();
  }
  const span = range.type === "range" ? { start: range.start, end: range.end } : undefined;
  if (span) {
    reply
      .code(206)
      .header("Content-Range", `bytes ${span.start}-${span.end}/${size}`)
      .header("Content-Length", span.end - span.start + 1);
  } else {
    reply.header("Content-Length", size);
  }
  if (request.method === "HEAD" || size === 0) return reply.send();
  return reply.send(ctx.lfs.read(oid, span));
}

async function readJson(stream: Readable, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += (chunk as Buffer).length;
    if (length > limit) throw new HubError("PayloadTooLarge", "Request body is too large");
    chunks.push(chunk as Buffer);
  }
  if (length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HubError("BadRequest", "The request body is not valid JSON");
  }
}
