import type { FastifyInstance } from "fastify";
import type { Context } from "../../context.ts";
import { listMemberships } from "../../store/users.ts";
import { requireUser } from "../auth-hook.ts";
import { apiAccessToken, apiAvatarUrl, apiOrgSummary } from "../wire.ts";

export function registerWhoamiRoutes(app: FastifyInstance, ctx: Context): void {
  app.get("/api/whoami-v2", async (request) => {
    const principal = requireUser(request);
    const user = principal.user;
    const memberships = await listMemberships(ctx.db, user.id);
    return {
      type: "user",
      id: user.id,
      name: user.name,
      fullname: user.fullname,
      email: user.email,
      emailVerified: true,
      isPro: false,
      canPay: false,
      avatarUrl: apiAvatarUrl(user.name),
      periodEnd: null,
      billingMode: "postpaid",
      orgs: memberships.map((membership) => ({ ...apiOrgSummary(membership.org), roleInOrg: membership.role })),
      // JS reads auth.accessToken?.createdAt without a guard on auth, so auth is always present.
      auth:
        principal.type === "token"
          ? { type: "access_token", accessToken: apiAccessToken(principal.token) }
          : { type: "session" },
    };
  });
}
