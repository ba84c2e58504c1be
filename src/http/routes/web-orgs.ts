/**
 * The pages of a namespace: `/{name}` shows an org (members and roles; admins manage them there) or a
 * user, and `/organizations/{name}` leads to the same org page. Reading the member list is
 * `org.members.read` and changing it `org.members.write`, both asked of the engine through
 * requireNamespace; repo lists use the same listing scope as `GET /api/models`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { confirmPage } from "../../../web/pages/auth-pages.ts";
import { orgPage, userPage } from "../../../web/pages/org-page.ts";
import { authorizeNamespace, type NamespaceAction } from "../../auth/authorize.ts";
import { listingScope } from "../../auth/listing-scope.ts";
import type { Principal } from "../../auth/principal.ts";
import { requireNamespace } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import type { Org, Repo } from "../../domain/entities.ts";
import { isValidName } from "../../domain/names.ts";
import { REPO_TYPES } from "../../domain/repo-id.ts";
import { isOrgRole } from "../../domain/token.ts";
import { HubError } from "../../errors.ts";
import { changeMemberRole, countMembers, findOrgByName, listMembers, removeMember } from "../../store/orgs.ts";
import { listRepos } from "../../store/repos.ts";
import { findUserByName, getUserByName, listMemberships } from "../../store/users.ts";
import { field, formOf, RESERVED_NAMES, seeOther, sendPage, viewerOf } from "../web-support.ts";

const PAGE_REPOS = 50;

/** The namespace's repos the principal may see, newest first, every type. */
async function visibleRepos(ctx: Context, principal: Principal, author: string): Promise<Repo[]> {
  const memberships = principal.type === "anonymous" ? [] : await listMemberships(ctx.db, principal.user.id);
  const privateScope = listingScope(principal, memberships);
  const lists = await Promise.all(
    REPO_TYPES.map((type) =>
      listRepos(ctx.db, {
        type,
        search: [],
        author,
        sort: "lastModified",
        descending: true,
        limit: PAGE_REPOS,
        offset: 0,
        privateScope,
      }),
    ),
  );
  return lists.flat().sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
}

async function isAllowed(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (error) {
    if (error instanceof HubError && error.status < 500) return false;
    throw error;
  }
}

export function registerWebOrgRoutes(app: FastifyInstance, ctx: Context): void {
  async function renderOrg(
    request: FastifyRequest,
    reply: FastifyReply,
    org: Org,
    extra: { error?: string; status?: number; form?: { user: string; role: string } } = {},
  ) {
    const principal = request.principal;
    const may = (action: NamespaceAction) => isAllowed(() => requireNamespace(ctx, principal, org.name, action));
    const [canRead, canManage, canCreate] = await Promise.all([
      may("org.members.read"),
      may("org.members.write"),
      may("repo.create"),
    ]);
    const page = orgPage(viewerOf(ctx, request), {
      org,
      memberCount: await countMembers(ctx.db, org.id),
      members: canRead ? await listMembers(ctx.db, org.id) : undefined,
      canManage,
      canCreate,
      repos: await visibleRepos(ctx, principal, org.name),
      error: extra.error,
      form: extra.form,
    });
    return sendPage(reply, page, extra.status ?? 200);
  }

  /** The org of the path, if the caller may manage its members (the engine decides). */
  async function manageableOrg(request: FastifyRequest): Promise<Org> {
    const { name } = request.params as { name: string };
    const org = isValidName(name) ? await findOrgByName(ctx.db, name) : undefined;
    if (!org) throw new HubError("NotFound", "Organization not found");
    await requireNamespace(ctx, request.principal, org.name, "org.members.write");
    return org;
  }

  /** Runs a membership change; a refusal the admin can fix re-renders the org page with the message. */
  async function change(request: FastifyRequest, reply: FastifyReply, org: Org, run: () => Promise<void>) {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof HubError) || error.status >= 500 || error.status === 403) throw error;
      const form = formOf(request);
      return renderOrg(request, reply, org, {
        error: error.message,
        status: error.status,
        form: { user: field(form, "user", 200), role: field(form, "role", 20) },
      });
    }
    return seeOther(reply, `/${org.name}`);
  }

  app.get("/:name", async (request, reply) => {
    const { name } = request.params as { name: string };
    if (RESERVED_NAMES.has(name.toLowerCase())) return reply.callNotFound();
    if (!isValidName(name)) throw new HubError("NotFound", "There is no user or organization with that name");
    const org = await findOrgByName(ctx.db, name);
    if (org) return renderOrg(request, reply, org);
    const user = await findUserByName(ctx.db, name);
    if (!user) throw new HubError("NotFound", "There is no user or organization with that name");
    // A membership shows only to those who may read the org's member list (the engine's org.members.read):
    // the org page hides it from strangers, so the profile must too.
    const principal = request.principal;
    const viewerRoles = new Map(
      principal.type === "anonymous"
        ? []
        : (await listMemberships(ctx.db, principal.user.id)).map((m) => [m.org.id, m.role] as const),
    );
    const orgs = (await listMemberships(ctx.db, user.id))
      .map((membership) => membership.org)
      .filter(
        (org) =>
          authorizeNamespace(
            principal,
            { id: org.id, name: org.name, kind: "org" },
            { orgRole: viewerRoles.get(org.id) },
            "org.members.read",
          ).allowed,
      );
    return sendPage(
      reply,
      userPage(viewerOf(ctx, request), user, await visibleRepos(ctx, request.principal, user.name), orgs),
    );
  });

  app.get("/organizations/:name", async (request, reply) => {
    const { name } = request.params as { name: string };
    const org = isValidName(name) ? await findOrgByName(ctx.db, name) : undefined;
    if (!org) throw new HubError("NotFound", "Organization not found");
    return seeOther(reply, `/${org.name}`);
  });

  app.post("/organizations/:name/members", async (request, reply) => {
    const org = await manageableOrg(request);
    const form = formOf(request);
    return change(request, reply, org, async () => {
      const role = field(form, "role");
      if (!isOrgRole(role)) throw new HubError("BadRequest", "Choose a role: read, contributor, write or admin");
      const user = await getUserByName(ctx.db, field(form, "user", 200).trim());
      await changeMemberRole(ctx.db, { orgId: org.id, userId: user.id, role, onlyExisting: false }, ctx.now());
    });
  });

  app.post("/organizations/:name/members/:user/role", async (request, reply) => {
    const org = await manageableOrg(request);
    const form = formOf(request);
    const params = request.params as { user: string };
    return change(request, reply, org, async () => {
      const role = field(form, "role");
      if (!isOrgRole(role)) throw new HubError("BadRequest", "Choose a role: read, contributor, write or admin");
      const user = await getUserByName(ctx.db, params.user);
      const outcome = await changeMemberRole(
        ctx.db,
        { orgId: org.id, userId: user.id, role, onlyExisting: true },
        ctx.now(),
      );
      if (outcome === "not-member") throw new HubError("NotFound", `${user.name} is not a member of ${org.name}`);
    });
  });

  app.post("/organizations/:name/members/:user/remove", async (request, reply) => {
    const org = await manageableOrg(request);
    const params = request.params as { user: string };
    if (field(formOf(request), "confirm") !== "yes") {
      const page = confirmPage(viewerOf(ctx, request), {
        title: "Remove member",
        message: `Remove ${params.user} from ${org.name}? Their tokens lose access to the organization at once.`,
        action: `/organizations/${org.name}/members/${params.user}/remove`,
        button: "Remove",
        cancel: `/${org.name}`,
      });
      return sendPage(reply, page);
    }
    return change(request, reply, org, async () => {
      const user = await getUserByName(ctx.db, params.user);
      if (!(await removeMember(ctx.db, org.id, user.id))) {
        throw new HubError("NotFound", `${user.name} is not a member of ${org.name}`);
      }
    });
  });
}
