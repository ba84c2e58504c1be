/**
 * Repository lifecycle (hub-api.md §3): create, delete, move, settings. Every decision goes through
 * requireNamespace / requireRepo (the engine); this file only parses the wire shapes.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { repoNotFound } from "../../auth/denial-error.ts";
import type { Principal } from "../../auth/principal.ts";
import { requireNamespace, requireRepo } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import { defaultGitattributes } from "../../domain/gitattributes.ts";
import { isValidName, nameKey, nameProblem } from "../../domain/names.ts";
import { fullName, REPO_TYPES, type RepoType, repoUrlPath } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { pathProblem } from "../../git/path-rules.ts";
import { createRepo, deleteRepo, moveRepo } from "../../git/repo-lifecycle.ts";
import type { InitialFile } from "../../git/repo-storage.ts";
import { findRepo, repoExists, updateRepoSettings } from "../../store/repos.ts";
import { requireUser } from "../auth-hook.ts";
import { userFirst } from "../repo-guard.ts";

const SPACE_SDKS = ["gradio", "streamlit", "docker", "static"] as const;
// "protected" is a Space whose app is public but whose files are not: Berth keeps the files private.
const Visibility = z.enum(["public", "private", "protected"]);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const InitialFileInput = z.object({
  path: z
    .string()
    .max(1000)
    .superRefine((path, check) => {
      const problem = pathProblem(path);
      if (problem) check.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
  content: z.string().refine((value) => value.length % 4 === 0 && BASE64.test(value), "base64 content"),
  encoding: z.literal("base64").optional(),
});

const CreateBody = z.object({
  name: z.string().min(1).max(200),
  organization: z.string().min(1).max(200).nullish(),
  type: z.enum(REPO_TYPES).nullish(),
  private: z.boolean().nullish(),
  visibility: Visibility.nullish(),
  sdk: z.enum(SPACE_SDKS).nullish(),
  files: z.array(InitialFileInput).max(1000).nullish(),
  license: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a license id such as mit or apache-2.0")
    .nullish(),
});

const RepoRef = z.object({
  name: z.string().min(1).max(200),
  organization: z.string().min(1).max(200).nullish(),
  type: z.enum(REPO_TYPES).nullish(),
});

const MoveBody = z.object({
  fromRepo: z.string().min(1).max(300),
  toRepo: z.string().min(1).max(300),
  type: z.enum(REPO_TYPES).nullish(),
});

const SettingsBody = z.object({
  private: z.boolean().nullish(),
  visibility: Visibility.nullish(),
  gated: z.union([z.literal(false), z.enum(["auto", "manual"])]).nullish(),
  // Sent by Python 0.36 (`xetEnabled`) and the web settings; accepted and ignored.
  xetEnabled: z.unknown().optional(),
  discussionsDisabled: z.unknown().optional(),
});

export function registerRepoRoutes(app: FastifyInstance, ctx: Context): void {
  app.post("/api/repos/create", { config: { beforeBody: userFirst } }, async (request) => {
    const principal = requireUser(request);
    const body = CreateBody.parse(request.body);
    const type = body.type ?? "model";
    const { namespace, name } = targetOf(principal, body.name, body.organization);
    const problem = nameProblem(namespace, "namespace") ?? nameProblem(name, "repository name");
    if (problem) throw new HubError("BadRequest", problem);
    const files = initialFiles(type, body.files ?? [], body.license ?? undefined);
    const target = await requireNamespace(ctx, principal, namespace, "repo.create", type);
    const repo = await createRepo(ctx, principal.user, {
      type,
      namespace: target.namespace.name,
      name,
      private: body.visibility ? body.visibility !== "public" : (body.private ?? false),
      sdk: type === "space" ? (body.sdk ?? "static") : undefined,
      files,
    });
    return { url: `${ctx.config.publicUrl}${repoUrlPath(repo)}`, name: fullName(repo), id: repo.id };
  });

  app.delete("/api/repos/delete", { config: { beforeBody: userFirst } }, async (request) => {
    const principal = request.principal;
    const body = RepoRef.parse(request.body ?? {});
    const bare = body.name.includes("/") || principal.type === "anonymous" ? undefined : principal.user.name;
    const target = splitId(body.name, body.organization) ?? (bare ? { namespace: bare, name: body.name } : undefined);
    // A name that cannot exist is "not found", so Python's delete_repo(missing_ok=True) still succeeds.
    if (!target || !isValidName(target.namespace) || !isValidName(target.name)) throw repoNotFound(principal);
    const { repo } = await requireRepo(ctx, principal, { type: body.type ?? "model", ...target }, "repo.admin");
    await deleteRepo(ctx, repo);
    return {};
  });

  app.post("/api/repos/move", { config: { beforeBody: userFirst } }, async (request) => {
    const principal = requireUser(request);
    const body = MoveBody.parse(request.body);
    const type = body.type ?? "model";
    const from = splitId(body.fromRepo, undefined);
    if (!from || !isValidName(from.namespace) || !isValidName(from.name)) throw repoNotFound(principal);
    const to = splitId(body.toRepo, undefined);
    if (!to) throw new HubError("BadRequest", `Invalid target repository id "${body.toRepo}": use namespace/name`);
    const problem = nameProblem(to.namespace, "namespace") ?? nameProblem(to.name, "repository name");
    if (problem) throw new HubError("BadRequest", problem);
    // A rename stays in the namespace (repo admin rights); leaving it takes admin rights on the
    // namespace it leaves, so an org member cannot carry an org's repo off (the engine's repo.transfer).
    const leaves = nameKey(to.namespace) !== nameKey(from.namespace);
    const { repo } = await requireRepo(ctx, principal, { type, ...from }, leaves ? "repo.transfer" : "repo.admin");
    const target = await requireNamespace(ctx, principal, to.namespace, "repo.create", type);
    const existing = await findRepo(ctx.db, type, to.namespace, to.name);
    // A change of case only finds the repo itself, and is a rename like any other.
    if (existing && existing.id !== repo.id) throw repoExists(type, fullName(existing));
    await moveRepo(ctx, repo, target.namespace, to.name);
    return {};
  });

  for (const type of REPO_TYPES) {
    app.put(`/api/${type}s/:ns/:name/settings`, { config: { beforeBody: userFirst } }, async (request) => {
      const params = request.params as { ns: string; name: string };
      const body = SettingsBody.parse(request.body ?? {});
      if (!isValidName(params.ns) || !isValidName(params.name)) throw repoNotFound(request.principal);
      const { repo } = await requireRepo(
        ctx,
        request.principal,
        { type, namespace: params.ns, name: params.name },
        "repo.admin",
      );
      const isPrivate = body.visibility ? body.visibility !== "public" : (body.private ?? undefined);
      const gated = body.gated ?? undefined;
      await updateRepoSettings(ctx.db, repo.id, { private: isPrivate, gated }, ctx.now());
      return { private: isPrivate ?? repo.private, gated: gated ?? repo.gated };
    });
  }
}

/** The repo a create or delete names: `ns/name`, or a bare name in `organization` or the caller's namespace. */
function targetOf(
  principal: Exclude<Principal, { type: "anonymous" }>,
  name: string,
  organization: string | null | undefined,
): { namespace: string; name: string } {
  const split = splitId(name, organization);
  if (split) return split;
  if (name.includes("/")) throw new HubError("BadRequest", `Invalid repository id "${name}": use namespace/name`);
  return { namespace: principal.user.name, name };
}

/** `ns/name` (optionally with a matching `organization`), or `organization` + bare name; else undefined. */
function splitId(
  name: string,
  organization: string | null | undefined,
): { namespace: string; name: string } | undefined {
  const parts = name.split("/");
  if (parts.length === 1) return organization ? { namespace: organization, name } : undefined;
  if (parts.length !== 2) return undefined;
  const [namespace, bare] = parts as [string, string];
  if (organization && nameKey(organization) !== nameKey(namespace)) {
    throw new HubError("BadRequest", `The repository id "${name}" does not belong to organization "${organization}"`);
  }
  return { namespace, name: bare };
}

/**
 * The first commit: the JS client's `files` if any, plus the Hub's default `.gitattributes` unless they
 * bring their own, plus a README.md carrying `license` in its front matter when one is asked for.
 */
export function initialFiles(
  type: RepoType,
  files: readonly z.infer<typeof InitialFileInput>[],
  license: string | undefined,
): InitialFile[] {
  const out: InitialFile[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) throw new HubError("BadRequest", `The file "${file.path}" is given twice`);
    seen.add(file.path);
    out.push({ path: file.path, content: Buffer.from(file.content, "base64") });
  }
  if (!seen.has(".gitattributes"))
    out.unshift({ path: ".gitattributes", content: Buffer.from(defaultGitattributes(type)) });
  if (license && !seen.has("README.md")) {
    out.push({ path: "README.md", content: Buffer.from(`---\nlicense: ${license}\n---\n`) });
  }
  return out;
}
