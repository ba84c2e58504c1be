/**
 * Creation pages: `/new`, `/new-dataset`, `/new-space` (as on the Hub) and `/organizations/new`.
 *
 * The owner picker offers the namespaces where the engine allows `repo.create`, and the post asks the
 * engine again (requireNamespace), exactly as `POST /api/repos/create` does, with the same first commit
 * (the default `.gitattributes`, and a README.md whose front matter names the license). An organization
 * is created by a signed-in user in a web session (there is no API for it, as on the Hub), who becomes
 * its first admin.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  LICENSES,
  NEW_PATHS,
  type NewRepoForm,
  newOrgPage,
  newRepoPage,
  SPACE_SDKS,
} from "../../../web/pages/new-pages.ts";
import { authorizeNamespace } from "../../auth/authorize.ts";
import type { Principal } from "../../auth/principal.ts";
import { requireNamespace } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import { nameProblem } from "../../domain/names.ts";
import { REPO_TYPES, type RepoType, repoUrlPath } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { createRepo } from "../../git/repo-lifecycle.ts";
import { createOrg, findNamespace } from "../../store/orgs.ts";
import { listMemberships } from "../../store/users.ts";
import { requireSession, requireUser } from "../auth-hook.ts";
import { field, formOf, RESERVED_NAMES, seeOther, sendPage, viewerOf } from "../web-support.ts";
import { initialFiles } from "./repos.ts";

type SignedIn = Exclude<Principal, { type: "anonymous" }>;

/** The namespaces where the engine lets this principal create a repo: their own, then their orgs'. */
async function ownersOf(ctx: Context, principal: SignedIn, type: RepoType): Promise<string[]> {
  const user = principal.user;
  const owners: string[] = [];
  if (authorizeNamespace(principal, { id: user.id, name: user.name, kind: "user" }, {}, "repo.create", type).allowed) {
    owners.push(user.name);
  }
  for (const { org, role } of await listMemberships(ctx.db, user.id)) {
    const namespace = { id: org.id, name: org.name, kind: "org" as const };
    if (authorizeNamespace(principal, namespace, { orgRole: role }, "repo.create", type).allowed) owners.push(org.name);
  }
  return owners;
}

function signInFirst(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if (request.principal.type !== "anonymous") return undefined;
  return seeOther(reply, `/login?next=${encodeURIComponent(request.url)}`);
}

export function registerWebNewRoutes(app: FastifyInstance, ctx: Context): void {
  for (const type of REPO_TYPES) {
    const path = NEW_PATHS[type];

    app.get(path, async (request, reply) => {
      const redirect = signInFirst(request, reply);
      if (redirect) return redirect;
      const principal = requireUser(request);
      const owners = await ownersOf(ctx, principal, type);
      const wanted = (request.query as { owner?: unknown }).owner;
      const owner = typeof wanted === "string" && owners.includes(wanted) ? wanted : (owners[0] ?? "");
      const form: NewRepoForm = { owner, name: "", visibility: "public", license: "", sdk: "gradio" };
      return sendPage(reply, newRepoPage(viewerOf(ctx, request), type, owners, form));
    });

    app.post(path, async (request, reply) => {
      const principal = requireUser(request);
      const body = formOf(request);
      const form: NewRepoForm = {
        owner: field(body, "owner", 200),
        name: field(body, "name", 200).trim(),
        visibility: field(body, "visibility") === "private" ? "private" : "public",
        license: field(body, "license", 100),
        sdk: field(body, "sdk", 40) || "gradio",
      };
      const refuse = async (error: string, status: number) =>
        sendPage(
          reply,
          newRepoPage(viewerOf(ctx, request), type, await ownersOf(ctx, principal, type), { ...form, error }),
          status,
        );
      const problem = nameProblem(form.name, "name");
      if (problem) return refuse(problem, 400);
      if (!LICENSES.some(([value]) => value === form.license)) return refuse("Choose a license from the list.", 400);
      if (type === "space" && !(SPACE_SDKS as readonly string[]).includes(form.sdk))
        return refuse("Choose an SDK from the list.", 400);
      try {
        const target = await requireNamespace(ctx, principal, form.owner, "repo.create", type);
        const repo = await createRepo(ctx, principal.user, {
          type,
          namespace: target.namespace.name,
          name: form.name,
          private: form.visibility === "private",
          sdk: type === "space" ? form.sdk : undefined,
          files: initialFiles(type, [], form.license || undefined),
        });
        return seeOther(reply, repoUrlPath(repo));
      } catch (error) {
        if (!(error instanceof HubError) || error.status >= 500) throw error;
        return refuse(error.message, error.status);
      }
    });
  }

  app.get("/organizations/new", async (request, reply) => {
    const redirect = signInFirst(request, reply);
    if (redirect) return redirect;
    requireSession(request);
    return sendPage(reply, newOrgPage(viewerOf(ctx, request), { name: "", fullname: "" }));
  });

  app.post("/organizations/new", async (request, reply) => {
    const principal = requireSession(request);
    const body = formOf(request);
    const form = { name: field(body, "name", 200).trim(), fullname: field(body, "fullname", 200).trim() };
    const refuse = (error: string, status: number) =>
      sendPage(reply, newOrgPage(viewerOf(ctx, request), { ...form, error }), status);
    const problem = nameProblem(form.name, "organization name");
    if (problem) return refuse(problem, 400);
    const taken = () => refuse(`The name "${form.name}" is not available. Choose another one.`, 409);
    if (RESERVED_NAMES.has(form.name.toLowerCase()) || (await findNamespace(ctx.db, form.name))) return taken();
    try {
      const org = await createOrg(
        ctx.db,
        { name: form.name, fullname: form.fullname || undefined, ownerId: principal.user.id },
        ctx.now(),
      );
      return seeOther(reply, `/${org.name}`);
    } catch (error) {
      if (error instanceof HubError && error.code === "Conflict") return taken();
      throw error;
    }
  });
}
