/**
 * File downloads (hub-api.md §6): `GET|HEAD /{ns}/{name}/resolve/{rev}/{path}` and `…/raw/…`, also under
 * `/datasets/` and `/spaces/`. The bytes are served directly (no redirect): regular files from the git
 * blob, LFS files on `resolve` from the LFS store, pointers on `raw`.
 *
 * Access: the repo must be visible (`repo.info`); every file but the root README.md then needs
 * `repo.content`, so a gated repo shows its card and nothing else (tokens.md §5, hub-api.md §10); a
 * README.md stored as an LFS pointer needs it too, so the card's exemption never serves other bytes.
 * An LFS object is served only if this repo holds it (store/lfs-objects.ts): a pointer naming another
 * repo's object never opens it.
 *
 * The hot path (HEAD on a revision seen before) reads the branch ref file and the cached tree and
 * spawns no process. No compression, no Xet headers, no `Link`. Every answer, errors included, carries
 * the headers that keep a repo's HTML or SVG from running as a page of Berth (http/repo-bytes.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { requireRepo } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import { REPO_TYPES, type RepoType } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { readBlob } from "../../git/blob-reader.ts";
import { findRepoLfsObject } from "../../store/lfs-objects.ts";
import { parseByteRange } from "../byte-range.ts";
import { assertAllowed, rawTail, repoDir, resolveCommit, revisionAndPath } from "../content-request.ts";
import { contentDisposition, guardRepoBytes } from "../repo-bytes.ts";

type Kind = "resolve" | "raw";

/** Blobs up to this size are held whole in memory when served; larger ones stream. */
const SMALL_BLOB = 1024 * 1024;

export function registerFileRoutes(app: FastifyInstance, ctx: Context): void {
  for (const type of REPO_TYPES) {
    const prefix = type === "model" ? "" : `/${type}s`;
    // Segments before the tail: "", [type,] ns, name, kind.
    const tailAt = type === "model" ? 4 : 5;
    for (const kind of ["resolve", "raw"] as const) {
      app.route({
        method: ["GET", "HEAD"],
        url: `${prefix}/:ns/:name/${kind}/*`,
        onSend: guardRepoBytes,
        handler: (request, reply) => serveFile(ctx, request, reply, type, kind, rawTail(request, tailAt)),
      });
    }
  }
}

async function serveFile(
  ctx: Context,
  request: FastifyRequest,
  reply: FastifyReply,
  type: RepoType,
  kind: Kind,
  tail: string,
): Promise<FastifyReply> {
  const params = request.params as { ns: string; name: string };
  const access = await requireRepo(
    ctx,
    request.principal,
    { type, namespace: params.ns, name: params.name },
    "repo.info",
  );
  const { repo } = access;
  const { revision, path } = await revisionAndPath(ctx, repo, tail);
  // The model card stays readable on a gated repo; only as text, though: a README.md that is an LFS
  // pointer names an object like any other file, and a pull request could point it at the weights.
  const card = path === "README.md";
  if (!card) assertAllowed(ctx, request, access, "repo.content");
  const commit = await resolveCommit(ctx, repo, revision);
  const dir = repoDir(ctx, repo);
  const entry = path === "" ? undefined : (await ctx.trees.read(dir, commit)).byPath.get(path);
  const commitHeader = { "X-Repo-Commit": commit };
  if (entry?.type !== "file") {
    throw new HubError("EntryNotFound", `Entry not found: ${path} does not exist at revision ${revision}`, {
      headers: commitHeader,
    });
  }

  if (card && entry.lfs) assertAllowed(ctx, request, access, "repo.content");
  const lfs = kind === "resolve" ? entry.lfs : undefined;
  const size = lfs ? lfs.size : (entry.lfs?.pointerSize ?? entry.size);
  if (lfs) {
    const held = await findRepoLfsObject(ctx.db, repo.id, lfs.oid);
    const stored = held === undefined ? undefined : await ctx.lfs.sizeOf(lfs.oid);
    if (stored !== lfs.size) {
      throw new HubError(
        "EntryNotFound",
        `The LFS object of ${path} (sha256 ${lfs.oid}) is not in this repository's storage: it was never uploaded`,
        { headers: commitHeader },
      );
    }
  }

  reply.header("X-Repo-Commit", commit);
  reply.header("ETag", `"${lfs ? lfs.oid : entry.oid}"`);
  reply.header("Accept-Ranges", "bytes");
  const served = kind === "raw" && entry.lfs ? "text/plain; charset=utf-8" : contentType(path);
  reply.header("Content-Type", served);
  reply.header("Content-Disposition", contentDisposition(path.slice(path.lastIndexOf("/") + 1), served));

  const range = parseByteRange(request.headers.range, size);
  if (range.type === "unsatisfiable" && size === 0) {
    // JS fileDownloadInfo probes with bytes=0-0 and reads the size from Content-Range, even for 0 bytes.
    reply.code(200).header("Content-Range", "bytes */0").header("Content-Length", "0");
    return reply.send(request.method === "HEAD" ? undefined : "");
  }
  if (range.type === "unsatisfiable") {
    reply.code(416).header("Content-Range", `bytes */${size}`);
    reply.header("X-Error-Message", `Range not satisfiable for a file of ${size} bytes`);
    return reply.send(request.method === "HEAD" ? undefined : "");
  }
  const slice = range.type === "range" ? { start: range.start, end: range.end } : undefined;
  if (slice) {
    reply.code(206).header("Content-Range", `bytes ${slice.start}-${slice.end}/${size}`);
  }
  reply.header("Content-Length", String(slice ? slice.end - slice.start + 1 : size));
  if (request.method === "HEAD") return reply.send();
  if (size === 0) return reply.send("");
  if (lfs) return reply.send(ctx.lfs.read(lfs.oid, slice));
  if (entry.size <= SMALL_BLOB) {
    // Most files of a model repo are small: read through the repo's long-lived cat-file, no process.
    const blob = await ctx.objects.contents(dir, entry.oid);
    if (blob?.type !== "blob") throw new HubError("EntryNotFound", `Entry not found: ${path}`);
    return reply.send(slice ? blob.data.subarray(slice.start, slice.end + 1) : blob.data);
  }
  // A large blob streams from its own git process: take a slot, give it back when the stream is done.
  const release = await ctx.blobSlots.acquire();
  const body = readBlob(dir, entry.oid, slice);
  body.once("close", release);
  return reply.send(body);
}

const TEXT_TYPES: Record<string, string> = {
  json: "application/json",
  md: "text/markdown; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  py: "text/plain; charset=utf-8",
  yaml: "text/plain; charset=utf-8",
  yml: "text/plain; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  gitattributes: "text/plain; charset=utf-8",
};

function contentType(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const extension = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  return name.includes(".") ? (TEXT_TYPES[extension] ?? "application/octet-stream") : "application/octet-stream";
}
