/**
 * Repository settings pages: `/{ns}/{name}/settings` (models), `/datasets/…`, `/spaces/…`, and
 * `/settings/access-requests`. The browsing pages (card, files, history) are in web-repo-*.ts.
 *
 * Every decision is the engine's: the settings page needs `repo.admin` (a repo the viewer may not see
 * is the same 404 page as a missing one), the request list `repo.access.read` and its buttons
 * `repo.access.write`. The gate's request form posts to the existing `/ask-access` route.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { accessRequestsPage, repoSettingsPage } from "../../../web/pages/repo-pages.ts";
import { authorizeRepo, type RepoAction } from "../../auth/authorize.ts";
import type { Context } from "../../context.ts";
import type { AccessStatus, Gated, Repo } from "../../domain/entities.ts";
import { fullName, REPO_TYPES, type RepoType, repoUrlPath } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import { deleteRepo } from "../../git/repo-lifecycle.ts";
import { changeAccessStatus, grantAccess, listAccessRequests } from "../../store/access-requests.ts";
import { updateRepoSettings } from "../../store/repos.ts";
import { getUserByName } from "../../store/users.ts";
import { loadWebRepo } from "../web-repo.ts";
import { field, formOf, seeOther, sendPage, viewerOf } from "../web-support.ts";

const MAX_LISTED_REQUESTS = 1000;

export function registerWebRepoRoutes(app: FastifyInstance, ctx: Context): void {
  const load = (type: RepoType, request: FastifyRequest, action: RepoAction) => loadWebRepo(ctx, request, type, action);

  async function renderSettings(
    request: FastifyRequest,
    reply: FastifyReply,
    type: RepoType,
    extra: { error?: string; status?: number } = {},
  ) {
    const { repo, abilities } = await load(type, request, "repo.admin");
    const page = repoSettingsPage(viewerOf(ctx, request), { repo, abilities, error: extra.error });
    return sendPage(reply, page, extra.status ?? 200);
  }

  for (const type of REPO_TYPES) {
    const prefix = type === "model" ? "" : `/${type}s`;
    const base = `${prefix}/:ns/:name`;

    app.get(`${base}/settings`, async (request, reply) => renderSettings(request, reply, type));

    app.post(`${base}/settings/visibility`, async (request, reply) => {
      const { repo } = await load(type, request, "repo.admin");
      const visibility = field(formOf(request), "visibility");
      if (visibility !== "public" && visibility !== "private") {
        return renderSettings(request, reply, type, { error: "Choose public or private.", status: 400 });
      }
      await updateRepoSettings(ctx.db, repo.id, { private: visibility === "private", gated: undefined }, ctx.now());
      return seeOther(reply, `${repoUrlPath(repo)}/settings`);
    });

    app.post(`${base}/settings/gating`, async (request, reply) => {
      const { repo } = await load(type, request, "repo.admin");
      const choice = field(formOf(request), "gated");
      const gated: Gated | undefined =
        choice === "off" ? false : choice === "auto" || choice === "manual" ? choice : undefined;
      if (gated === undefined) {
        return renderSettings(request, reply, type, { error: "Choose off, automatic or manual.", status: 400 });
      }
      await updateRepoSettings(ctx.db, repo.id, { private: undefined, gated }, ctx.now());
      return seeOther(reply, `${repoUrlPath(repo)}/settings`);
    });

    app.post(`${base}/settings/delete`, async (request, reply) => {
      const { repo } = await load(type, request, "repo.admin");
      if (field(formOf(request), "confirmName", 300).trim() !== fullName(repo)) {
        const error = `To delete it, type the repository's full name, ${fullName(repo)}, exactly.`;
        return renderSettings(request, reply, type, { error, status: 400 });
      }
      await deleteRepo(ctx, repo);
      return seeOther(reply, `/${repo.namespace}`);
    });

    async function renderRequests(request: FastifyRequest, reply: FastifyReply, error?: string, status = 200) {
      const { repo, relation, abilities } = await load(type, request, "repo.access.read");
      const page = { limit: MAX_LISTED_REQUESTS, offset: 0 };
      const [pending, accepted, rejected] = await Promise.all(
        (["pending", "accepted", "rejected"] as const).map((s) => listAccessRequests(ctx.db, repo.id, s, page)),
      );
      const canHandle = authorizeRepo(request.principal, repo, relation, "repo.access.write").allowed;
      const lists = { pending: pending ?? [], accepted: accepted ?? [], rejected: rejected ?? [] };
      return sendPage(
        reply,
        accessRequestsPage(viewerOf(ctx, request), { repo, abilities, canHandle, lists, error }),
        status,
      );
    }

    /** A change the reviewer can correct (an unknown user, nothing to change) re-renders the list. */
    async function review(request: FastifyRequest, reply: FastifyReply, run: (repo: Repo) => Promise<void>) {
      const { repo } = await load(type, request, "repo.access.write");
      if (repo.gated === false) return renderRequests(request, reply, "This repository is not gated.", 400);
      try {
        await run(repo);
      } catch (error) {
        if (!(error instanceof HubError) || error.status >= 500 || error.status === 403) throw error;
        return renderRequests(request, reply, error.message, error.status);
      }
      return seeOther(reply, `${repoUrlPath(repo)}/settings/access-requests`);
    }

    app.get(`${base}/settings/access-requests`, async (request, reply) => renderRequests(request, reply));

    app.post(`${base}/settings/access-requests`, async (request, reply) =>
      review(request, reply, async (repo) => {
        const form = formOf(request);
        const status = field(form, "status") as AccessStatus;
        if (!["pending", "accepted", "rejected"].includes(status)) throw new HubError("BadRequest", "Unknown status");
        const user = await getUserByName(ctx.db, field(form, "user", 200));
        const outcome = await changeAccessStatus(ctx.db, repo.id, user.id, status, ctx.now());
        if (outcome === "missing") throw new HubError("NotFound", `No access request from ${user.name} on this repo`);
        if (outcome === "unchanged")
          throw new HubError("BadRequest", `The request of ${user.name} is already ${status}`);
      }),
    );

    app.post(`${base}/settings/access-requests/grant`, async (request, reply) =>
      review(request, reply, async (repo) => {
        const user = await getUserByName(ctx.db, field(formOf(request), "user", 200).trim());
        if ((await grantAccess(ctx.db, repo.id, user.id, ctx.now())) === "already-accepted") {
          throw new HubError("BadRequest", `${user.name} already has access to this repo`);
        }
      }),
    );
  }
}
