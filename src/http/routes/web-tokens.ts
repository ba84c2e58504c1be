/**
 * Settings → Access Tokens as pages. Only a web session manages tokens (tokens.md §3); a token on these
 * pages is refused like on the API, and an anonymous visitor is sent to sign in.
 *
 * A value appears only in the answer to the POST that created or refreshed it (`no-store`), never in a
 * URL, a redirect or a log. Refresh and delete act only with `confirm=yes`, sent by the page's dialog;
 * without script the first post shows a confirmation page. Deep links pre-fill the form as the Hub's do:
 * `tokenType`, `ownUserPermissions`, `canReadGatedRepos`, plus `repo`/`repoPermissions` and
 * `org`/`orgPermissions` (values repeated or comma-separated).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { confirmPage } from "../../../web/pages/auth-pages.ts";
import { tokenListPage, tokenValuePage } from "../../../web/pages/token-list-page.ts";
import {
  EMPTY_TOKEN_FORM,
  EXPIRATIONS,
  type RepoScopeState,
  type TokenFormState,
  tokenNewPage,
} from "../../../web/pages/token-new-page.ts";
import type { Principal } from "../../auth/principal.ts";
import { createToken, refreshToken, revokeToken, type ScopeRequest } from "../../auth/token-service.ts";
import type { Context } from "../../context.ts";
import { parseDuration } from "../../domain/duration.ts";
import { isRepoType, type RepoType } from "../../domain/repo-id.ts";
import { isTokenRole } from "../../domain/token.ts";
import { HubError } from "../../errors.ts";
import { tokenRateLimits, usageByToken } from "../../store/inference.ts";
import { listTokens } from "../../store/tokens.ts";
import { findUserById, listMemberships } from "../../store/users.ts";
import { requireSession } from "../auth-hook.ts";
import { type FormBody, field, fields, formOf, seeOther, sendPage, viewerOf } from "../web-support.ts";

const TOKEN_ID = /^[0-9a-f]{24}$/;

type Session = Extract<Principal, { type: "session" }>;

/** The session, or a redirect to sign in for an anonymous visitor (undefined then). */
function sessionOrSignIn(request: FastifyRequest, reply: FastifyReply): Session | undefined {
  if (request.principal.type === "anonymous") {
    void seeOther(reply, `/login?next=${encodeURIComponent(request.url.split("?")[0] ?? "/")}`);
    return undefined;
  }
  return requireSession(request);
}

function list(value: unknown): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values
    .filter((v): v is string => typeof v === "string")
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v.length > 0)
    .slice(0, 200);
}

/** `alice/bert`, `datasets/alice/data`, `spaces/alice/app`, or `model:alice/bert`. */
function parseRepoRef(ref: string, fallback: RepoType = "model"): { type: RepoType; name: string } | undefined {
  const colon = ref.indexOf(":");
  if (colon > 0) {
    const type = ref.slice(0, colon);
    return isRepoType(type) ? { type, name: ref.slice(colon + 1) } : undefined;
  }
  const parts = ref.split("/");
  if (parts.length === 3) {
    const type = parts[0]?.replace(/s$/, "");
    return isRepoType(type) ? { type, name: parts.slice(1).join("/") } : undefined;
  }
  return parts.length === 2 ? { type: fallback, name: ref } : undefined;
}

function formFromQuery(query: Record<string, unknown>, orgs: readonly string[]): TokenFormState {
  const tokenType =
    typeof query.tokenType === "string" && isTokenRole(query.tokenType) ? query.tokenType : "fineGrained";
  const repoPermissions = list(query.repoPermissions);
  const orgPermissions = list(query.orgPermissions);
  const repos = list(query.repo)
    .map((ref) => parseRepoRef(ref))
    .filter((ref) => ref !== undefined)
    .map((ref) => ({ ...ref, permissions: repoPermissions.length > 0 ? repoPermissions : ["repo.content.read"] }));
  const orgEntries = list(query.org)
    .filter((org) => orgs.includes(org))
    .map((org) => [org, orgPermissions] as const);
  return {
    ...EMPTY_TOKEN_FORM,
    tokenType,
    displayName: typeof query.displayName === "string" ? query.displayName.slice(0, 100) : "",
    ownUserPermissions: list(query.ownUserPermissions),
    canReadGatedRepos: query.canReadGatedRepos === "true",
    repos,
    orgPermissions: Object.fromEntries(orgEntries),
  };
}

function formFromBody(form: FormBody, orgs: readonly string[]): TokenFormState {
  const role = field(form, "tokenType");
  const repos: RepoScopeState[] = [];
  for (const ref of fields(form, "repo")) {
    const parsed = parseRepoRef(ref);
    if (!parsed) throw new HubError("BadRequest", `Invalid repository "${ref}"`);
    if (repos.some((repo) => repo.type === parsed.type && repo.name === parsed.name)) continue;
    repos.push({ ...parsed, permissions: fields(form, `repoPermissions:${parsed.type}:${parsed.name}`) });
  }
  const typed = field(form, "newRepo", 300).trim();
  if (typed) {
    const type = field(form, "newRepoType");
    const parsed = parseRepoRef(typed, isRepoType(type) ? type : "model");
    if (!parsed) throw new HubError("BadRequest", `Invalid repository "${typed}": use namespace/name`);
    repos.push({ ...parsed, permissions: fields(form, "newRepoPermissions") });
  }
  const expiresIn = field(form, "expiresIn");
  return {
    tokenType: isTokenRole(role) ? role : "fineGrained",
    displayName: field(form, "displayName", 200),
    expiresIn: EXPIRATIONS.some(([value]) => value === expiresIn) ? expiresIn : "",
    ownUserPermissions: fields(form, "ownUserPermissions"),
    orgPermissions: Object.fromEntries(orgs.map((org) => [org, fields(form, `orgPermissions:${org}`)])),
    repos,
    canReadGatedRepos: field(form, "canReadGatedRepos") === "true",
  };
}

export function registerWebTokenRoutes(app: FastifyInstance, ctx: Context): void {
  const orgNames = async (userId: string) => (await listMemberships(ctx.db, userId)).map((m) => m.org.name);

  app.get("/settings", async (_request, reply) => seeOther(reply, "/settings/tokens"));

  app.get("/settings/tokens", async (request, reply) => {
    const session = sessionOrSignIn(request, reply);
    if (!session) return reply;
    const [tokens, usage, limits] = await Promise.all([
      listTokens(ctx.db, session.user.id),
      usageByToken(ctx.db, session.user.id),
      tokenRateLimits(ctx.db, session.user.id),
    ]);
    const usageOf = new Map(
      tokens.map((t) => {
        const summary = usage.get(t.id);
        return [
          t.id,
          { calls: summary?.calls ?? 0, lastCallAt: summary?.lastCallAt ?? null, rateLimitPerMinute: limits.get(t.id) },
        ];
      }),
    );
    return sendPage(reply, tokenListPage(viewerOf(ctx, request), tokens, ctx.now(), usageOf));
  });

  app.get("/settings/tokens/new", async (request, reply) => {
    const session = sessionOrSignIn(request, reply);
    if (!session) return reply;
    const orgs = await orgNames(session.user.id);
    const form = formFromQuery(request.query as Record<string, unknown>, orgs);
    return sendPage(reply, tokenNewPage(viewerOf(ctx, request), { userName: session.user.name, orgs, form }));
  });

  app.post("/settings/tokens", async (request, reply) => {
    const session = requireSession(request);
    const user = await findUserById(ctx.db, session.user.id);
    if (!user) throw new HubError("AuthRequired", "You must be signed in to do this");
    const orgs = await orgNames(user.id);
    const form = formFromBody(formOf(request), orgs);
    const viewer = viewerOf(ctx, request);
    const fine = form.tokenType === "fineGrained";
    const scoped: ScopeRequest[] = fine
      ? [
          { entity: { type: "user", name: user.name }, permissions: form.ownUserPermissions },
          ...orgs.map((org) => ({ entity: { type: "org", name: org }, permissions: form.orgPermissions[org] ?? [] })),
          ...form.repos.map((repo) => ({
            entity: { type: repo.type, name: repo.name },
            permissions: repo.permissions,
          })),
        ].filter((scope) => scope.permissions.length > 0)
      : [];
    try {
      const seconds = form.expiresIn ? parseDuration(form.expiresIn) : undefined;
      const { token, value } = await createToken(ctx, user, {
        displayName: form.displayName,
        role: form.tokenType,
        canReadGatedRepos: fine ? form.canReadGatedRepos : undefined,
        scoped,
        expiresAt: seconds === undefined ? undefined : new Date(ctx.now().getTime() + seconds * 1000),
      });
      return sendPage(reply, tokenValuePage(viewer, token, value, false));
    } catch (error) {
      if (!(error instanceof HubError) || error.status >= 500) throw error;
      const page = tokenNewPage(viewer, { userName: user.name, orgs, form: { ...form, error: error.message } });
      return sendPage(reply, page, error.status);
    }
  });

  async function confirmedTokenAction(
    request: FastifyRequest,
    reply: FastifyReply,
    kind: "refresh" | "delete",
  ): Promise<{ session: Session; id: string } | undefined> {
    const session = requireSession(request);
    const { id } = request.params as { id: string };
    if (!TOKEN_ID.test(id)) throw new HubError("NotFound", "Token not found");
    if (field(formOf(request), "confirm") === "yes") return { session, id };
    const token = (await listTokens(ctx.db, session.user.id)).find((t) => t.id === id);
    if (!token) throw new HubError("NotFound", "Token not found");
    const page = confirmPage(viewerOf(ctx, request), {
      title: kind === "refresh" ? "Invalidate and refresh" : "Delete token",
      message:
        kind === "refresh"
          ? `Invalidate the current value of “${token.displayName}” and show a new one? Anything using the old value stops working at once.`
          : `Delete the token “${token.displayName}”? Anything using it stops working at once.`,
      action: `/settings/tokens/${id}/${kind}`,
      button: kind === "refresh" ? "Invalidate and refresh" : "Delete",
      cancel: "/settings/tokens",
    });
    void sendPage(reply, page);
    return undefined;
  }

  app.post("/settings/tokens/:id/refresh", async (request, reply) => {
    const confirmed = await confirmedTokenAction(request, reply, "refresh");
    if (!confirmed) return reply;
    const { token, value } = await refreshToken(ctx, confirmed.session.user.id, confirmed.id);
    return sendPage(reply, tokenValuePage(viewerOf(ctx, request), token, value, true));
  });

  app.post("/settings/tokens/:id/delete", async (request, reply) => {
    const confirmed = await confirmedTokenAction(request, reply, "delete");
    if (!confirmed) return reply;
    await revokeToken(ctx, confirmed.session.user.id, confirmed.id);
    return seeOther(reply, "/settings/tokens");
  });
}
