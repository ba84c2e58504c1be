/**
 * The home page `/` and the listings `/models`, `/datasets`, `/spaces`. Which private repos appear is
 * the listing scope's answer (auth/listing-scope.ts), the same as `GET /api/models`; which review
 * notifications appear is the engine's (`repo.access.write`, repo by repo).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { homePage } from "../../../web/pages/home-page.ts";
import { LISTING_SORTS, type ListingSort, listingPage } from "../../../web/pages/listing-page.ts";
import { authorizeRepo } from "../../auth/authorize.ts";
import { listingScope } from "../../auth/listing-scope.ts";
import type { Principal } from "../../auth/principal.ts";
import type { Context } from "../../context.ts";
import type { Membership } from "../../domain/entities.ts";
import { isValidName } from "../../domain/names.ts";
import { REPO_TYPES } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { countRepos, listPendingRequests, listRecentRepos, listRequestsOfUser } from "../../store/repo-listings.ts";
import { listRepos, type PrivateScope, type RepoSort } from "../../store/repos.ts";
import { listMemberships } from "../../store/users.ts";
import { MAX_PAGE, pageNumber } from "../web-repo.ts";
import { sendPage, viewerOf } from "../web-support.ts";

export const LISTING_PAGE_SIZE = 30;
const SORTS: Record<ListingSort, { sort: RepoSort; descending: boolean }> = {
  modified: { sort: "lastModified", descending: true },
  created: { sort: "createdAt", descending: true },
  alphabetical: { sort: "id", descending: false },
};

async function scopeOf(
  ctx: Context,
  principal: Principal,
): Promise<{ memberships: Membership[]; scope: PrivateScope }> {
  const memberships = principal.type === "anonymous" ? [] : await listMemberships(ctx.db, principal.user.id);
  return { memberships, scope: listingScope(principal, memberships) };
}

function text(request: FastifyRequest, key: string, max: number): string {
  const value = (request.query as Record<string, unknown>)[key];
  const one = Array.isArray(value) ? value[0] : value;
  if (one === undefined) return "";
  if (typeof one !== "string" || one.length > max)
    throw new HubError("BadRequest", `The ${key} must be text of at most ${max} characters`);
  return one.trim();
}

export function registerWebHomeRoutes(app: FastifyInstance, ctx: Context): void {
  app.get("/", async (request, reply) => {
    const principal = request.principal;
    const { memberships, scope } = await scopeOf(ctx, principal);
    const publicRecent = await listRecentRepos(ctx.db, { namespaceIds: undefined, privateScope: scope, limit: 12 });
    if (principal.type === "anonymous") {
      return sendPage(
        reply,
        homePage(viewerOf(ctx, request), { publicUrl: ctx.config.publicUrl, signedIn: undefined, publicRecent }),
      );
    }
    const user = principal.user;
    const namespaceIds = [user.id, ...memberships.map((m) => m.org.id)];
    const roles = new Map(memberships.map((m) => [m.org.id, m.role]));
    const [recent, requests, pending] = await Promise.all([
      listRecentRepos(ctx.db, { namespaceIds, privateScope: scope, limit: 20 }),
      listRequestsOfUser(ctx.db, user.id, 20),
      listPendingRequests(ctx.db, namespaceIds, 50),
    ]);
    const reviews = pending.filter(
      ({ repo }) =>
        authorizeRepo(principal, repo, { orgRole: roles.get(repo.namespaceId) }, "repo.access.write").allowed,
    );
    const signedIn = { recent, memberships, requests, reviews, publicRecent };
    return sendPage(
      reply,
      homePage(viewerOf(ctx, request), { publicUrl: ctx.config.publicUrl, signedIn, publicRecent }),
    );
  });

  for (const type of REPO_TYPES) {
    app.get(`/${type}s`, async (request, reply) => {
      const search = text(request, "search", 200);
      const author = text(request, "author", 96);
      if (author !== "" && !isValidName(author))
        throw new HubError("BadRequest", `"${author}" is not a user or organization name`);
      const sortText = text(request, "sort", 20) || "modified";
      const sort = LISTING_SORTS.find(([value]) => value === sortText)?.[0];
      if (!sort) throw new HubError("BadRequest", `Sort by ${LISTING_SORTS.map(([value]) => value).join(", ")}`);
      const page = Math.min(pageNumber(request), MAX_PAGE);
      const { scope } = await scopeOf(ctx, request.principal);
      const filter = { type, search: search ? [search] : [], author: author || undefined, privateScope: scope };
      const [repos, total] = await Promise.all([
        listRepos(ctx.db, { ...filter, ...SORTS[sort], limit: LISTING_PAGE_SIZE, offset: page * LISTING_PAGE_SIZE }),
        countRepos(ctx.db, filter),
      ]);
      const body = listingPage(viewerOf(ctx, request), {
        type,
        query: { search, author, sort, page },
        repos,
        total,
        pageSize: LISTING_PAGE_SIZE,
      });
      return sendPage(reply, body);
    });
  }
}
