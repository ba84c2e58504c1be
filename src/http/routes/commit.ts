/**
 * `POST /api/{type}s/{ns}/{name}/commit/{rev}[?create_pr=1]` (hub-api.md §8.4): an HTTP commit as NDJSON
 * (what JS and Python send) or as the older JSON object form, written by git/commit-writer.ts.
 *
 * Access: `repo.write` on the repo; with `create_pr=1`, `repo.discussion.write` (read access for the
 * user; a write token or a fine-grained one holding discussion.write). The body limit is
 * COMMIT_BODY_LIMIT: regular files arrive base64-encoded inline, and a Python test sends 12 × 9 MiB in
 * one commit (about 150 MB of base64); larger files go through LFS and are not in the body at all.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { authorizeRepo } from "../../auth/authorize.ts";
import { requireRepo } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import { REPO_TYPES, type RepoType, repoUrlPath } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { type CommitOperation, writeCommit } from "../../git/commit-writer.ts";
import { folderPath } from "../../git/path-rules.ts";
import { requireUser } from "../auth-hook.ts";
import { parseBoolean } from "../query-params.ts";
import { commitRef, writeTarget } from "./repo-write-target.ts";

export const COMMIT_BODY_LIMIT = 256 * 1024 * 1024;

const path = z.string().max(10_000);
const oid = z.string().regex(/^[0-9a-fA-F]{64}$/, "must be a SHA-256 in hex");
const header = z.object({
  summary: z.string().max(100_000).default(""),
  description: z.string().max(1_000_000).nullish(),
  parentCommit: z
    .string()
    .regex(/^[0-9a-fA-F]{40}$/, "must be a 40-hex commit id")
    .nullish(),
});
const file = z.object({
  path,
  content: z.string(),
  encoding: z.enum(["base64", "utf-8", "utf8"]).default("base64"),
  oldPath: path.nullish(),
});
const lfsFile = z.object({
  path,
  algo: z.literal("sha256").default("sha256"),
  oid,
  size: z.number().int().nonnegative().nullish(),
  oldPath: path.nullish(),
});
const deleted = z.object({ path });

const line = z.discriminatedUnion("key", [
  z.object({ key: z.literal("header"), value: header }),
  z.object({ key: z.literal("file"), value: file }),
  z.object({ key: z.literal("lfsFile"), value: lfsFile }),
  z.object({ key: z.literal("deletedFile"), value: deleted }),
  z.object({ key: z.literal("deletedFolder"), value: deleted }),
]);
type Line = z.infer<typeof line>;

/** The JSON object form older clients sent. */
const jsonBody = header.extend({
  files: z.array(file).default([]),
  lfsFiles: z.array(lfsFile).default([]),
  deletedFiles: z.array(deleted).default([]),
  deletedFolders: z.array(deleted).default([]),
});

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;

export function registerCommitRoutes(app: FastifyInstance, ctx: Context): void {
  // Encapsulated so the NDJSON parser serves these routes only.
  void app.register(async (scope) => {
    scope.addContentTypeParser("application/x-ndjson", { parseAs: "buffer" }, (_request, body, done) =>
      done(null, body),
    );
    for (const type of REPO_TYPES) {
      scope.post(`/api/${type}s/:ns/:name/commit/*`, { bodyLimit: COMMIT_BODY_LIMIT }, async (request) =>
        commit(ctx, type, request),
      );
    }
  });
}

async function commit(ctx: Context, type: RepoType, request: FastifyRequest) {
  const { repo: target, revision } = writeTarget(request, type);
  const createPr = parseBoolean((request.query as Record<string, unknown>).create_pr);
  const action = createPr ? "repo.discussion.write" : "repo.write";
  const access = await requireRepo(ctx, request.principal, target, action);
  const { repo } = access;
  const principal = requireUser(request);
  // Someone who may not read the content (a stranger's pull request on a gated repo) may point only at
  // LFS objects whose bytes they uploaded themselves (git/commit-writer.ts).
  const mayRead = authorizeRepo(principal, repo, access.relation, "repo.content").allowed;
  const ref = commitRef(revision);
  const lines = parseBody(request.body);
  const first = lines[0];
  if (first?.key !== "header") throw new HubError("BadRequest", "The first line must have the key `header`");
  const operations = lines.slice(1).flatMap(toOperations);

  const result = await writeCommit(ctx, repo, {
    target: createPr ? { type: "pull-request", from: ref } : { type: "ref", ref },
    operations,
    summary: first.value.summary,
    description: first.value.description ?? "",
    author: { name: principal.user.name, email: principal.user.email },
    parentCommit: first.value.parentCommit ?? undefined,
    lfsReferences: mayRead ? "readable" : { uploadedBy: principal.user.id },
  });
  const base = `${ctx.config.publicUrl}${repoUrlPath(repo)}`;
  return {
    success: true,
    commitOid: result.commit,
    commitUrl: `${base}/commit/${result.commit}`,
    hookOutput: "",
    ...(result.pullRequest === undefined ? {} : { pullRequestUrl: `${base}/discussions/${result.pullRequest}` }),
  };
}

function parseBody(body: unknown): Line[] {
  if (Buffer.isBuffer(body)) return parseNdjson(body);
  if (body !== null && typeof body === "object") {
    const parsed = jsonBody.parse(body);
    return [
      { key: "header", value: parsed },
      ...parsed.files.map((value) => ({ key: "file" as const, value })),
      ...parsed.lfsFiles.map((value) => ({ key: "lfsFile" as const, value })),
      ...parsed.deletedFiles.map((value) => ({ key: "deletedFile" as const, value })),
      ...parsed.deletedFolders.map((value) => ({ key: "deletedFolder" as const, value })),
    ];
  }
  throw new HubError("UnsupportedMediaType", "Send the commit as application/x-ndjson");
}

function parseNdjson(body: Buffer): Line[] {
  const lines: Line[] = [];
  let at = 0;
  let number = 0;
  while (at < body.length) {
    let end = body.indexOf(10, at);
    if (end < 0) end = body.length;
    const text = body.subarray(at, end).toString("utf8").trim();
    at = end + 1;
    number++;
    if (text === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new HubError("BadRequest", `Line ${number} is not valid JSON`);
    }
    const result = line.safeParse(json);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` (${issue.path.join(".")})` : "";
      throw new HubError("BadRequest", `Line ${number} is not a valid commit line${where}: ${issue?.message ?? ""}`);
    }
    lines.push(result.data);
  }
  return lines;
}

function toOperations(entry: Line): CommitOperation[] {
  switch (entry.key) {
    case "header":
      throw new HubError("BadRequest", "Only the first line may be a header");
    case "file": {
      const { value } = entry;
      if (value.encoding === "base64" && !BASE64.test(value.content)) {
        throw new HubError("BadRequest", `Content of "${value.path}" is not valid base64`);
      }
      const content = Buffer.from(value.content, value.encoding === "base64" ? "base64" : "utf8");
      return [{ type: "file", path: value.path, content }, ...renamed(value.oldPath, value.path)];
    }
    case "lfsFile": {
      const { value } = entry;
      const size = value.size ?? undefined;
      return [
        { type: "lfsFile", path: value.path, oid: value.oid.toLowerCase(), size },
        ...renamed(value.oldPath, value.path),
      ];
    }
    case "deletedFile":
      return [{ type: "delete", path: entry.value.path }];
    case "deletedFolder":
      return [{ type: "delete", path: folderPath(entry.value.path) }];
  }
}

/** `oldPath` moves a file: the new path is written above, the old one goes. */
function renamed(oldPath: string | null | undefined, path: string): CommitOperation[] {
  return oldPath && oldPath !== path ? [{ type: "delete", path: oldPath }] : [];
}
