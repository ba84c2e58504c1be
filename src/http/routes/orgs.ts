/**
 * Organization membership over HTTP. Reading the member list needs `org.members.read` (members, or a
 * fine-grained token with org.read); changing it needs `org.members.write` (org admins; org.write for
 * fine-grained tokens), both decided by the engine through requireNamespace. The overview is public, as
 * on the Hub. Role changes take effect on the next request of every token the member holds, because
 * the engine reads the role afresh each time.
 *
 * Choices: POST adds or changes a member; PUT changes only an existing member (404 otherwise); DELETE
 * of a non-member is 404. An org always keeps one admin: demoting or removing the last one is 400.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { NamespaceAction } from "../../auth/authorize.ts";
import { requireNamespace } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import type { Member, Org } from "../../domain/entities.ts";
import { ORG_ROLES } from "../../domain/token.ts";
import { HubError } from "../../errors.ts";
import { changeMemberRole, countMembers, getOrgByName, listMembers, removeMember } from "../../store/orgs.ts";
import { getUserByName } from "../../store/users.ts";
import { userFirst } from "../repo-guard.ts";
import { apiAvatarUrl } from "../wire.ts";

const OrgParams = z.object({ name: z.string().min(1).max(200) });
const MemberParams = OrgParams.extend({ user: z.string().min(1).max(200) });
const Role = z.enum(ORG_ROLES, { message: `role must be one of ${ORG_ROLES.join(", ")}` });
const AddBody = z.object({ user: z.string().min(1).max(200), role: Role });
const RoleBody = z.object({ role: Role });

function apiMember(member: Member) {
  return {
    _id: member.user.id,
    user: member.user.name,
    fullname: member.user.fullname,
    type: "user",
    avatarUrl: apiAvatarUrl(member.user.name),
    role: member.role,
  };
}

export function registerOrgRoutes(app: FastifyInstance, ctx: Context): void {
  /** The org named in the path, if the caller may do `action` in it. A user's name is not an org: 404. */
  async function requireOrg(request: FastifyRequest, action: NamespaceAction): Promise<Org> {
    const { name } = OrgParams.parse(request.params);
    const org = await getOrgByName(ctx.db, name);
    await requireNamespace(ctx, request.principal, org.name, action);
    return org;
  }

  app.get("/api/organizations/:name/overview", async (request) => {
    const { name } = OrgParams.parse(request.params);
    const org = await getOrgByName(ctx.db, name);
    return {
      _id: org.id,
      name: org.name,
      fullname: org.fullname,
      avatarUrl: apiAvatarUrl(org.name),
      type: "org",
      numUsers: await countMembers(ctx.db, org.id),
    };
  });

  app.get("/api/organizations/:name/members", async (request) => {
    const org = await requireOrg(request, "org.members.read");
    return (await listMembers(ctx.db, org.id)).map(apiMember);
  });

  app.post("/api/organizations/:name/members", { config: { beforeBody: userFirst } }, async (request) => {
    const org = await requireOrg(request, "org.members.write");
    const body = AddBody.parse(request.body);
    const user = await getUserByName(ctx.db, body.user);
    await changeMemberRole(ctx.db, { orgId: org.id, userId: user.id, role: body.role, onlyExisting: false }, ctx.now());
    return apiMember({ user, role: body.role });
  });

  app.put("/api/organizations/:name/members/:user", { config: { beforeBody: userFirst } }, async (request) => {
    const org = await requireOrg(request, "org.members.write");
    const params = MemberParams.parse(request.params);
    const body = RoleBody.parse(request.body);
    const user = await getUserByName(ctx.db, params.user);
    const outcome = await changeMemberRole(
      ctx.db,
      { orgId: org.id, userId: user.id, role: body.role, onlyExisting: true },
      ctx.now(),
    );
    if (outcome === "not-member") throw new HubError("NotFound", `${user.name} is not a member of ${org.name}`);
    return apiMember({ user, role: body.role });
  });

  app.delete("/api/organizations/:name/members/:user", { config: { beforeBody: userFirst } }, async (request) => {
    const org = await requireOrg(request, "org.members.write");
    const params = MemberParams.parse(request.params);
    const user = await getUserByName(ctx.db, params.user);
    if (!(await removeMember(ctx.db, org.id, user.id))) {
      throw new HubError("NotFound", `${user.name} is not a member of ${org.name}`);
    }
    return {};
  });
}
