/**
 * Gated access (hub-api.md §10): users ask through the web form route, the repo's writers review.
 *
 * Every decision goes through requireRepo: asking and withdrawing need `repo.request-access` (any
 * signed-in user who can see the repo), listing `repo.access.read`, reviewing and granting
 * `repo.access.write`. Choices where the Hub's contract is silent:
 * - Asking again after a rejection leaves the request rejected (a rejected user cannot requeue
 *   themselves); asking again while pending replaces the answers; asking once accepted changes nothing.
 * - `handle` for a user with no request on file is 404, like an unknown user; `cancel` withdraws only
 *   a pending request (404 when none is pending), so it cannot erase a rejection either.
 * - `rejectionReason` is validated but not stored: there is no page yet that would show it.
 * - Answers are stored as sent (bounded in count and size); the card's extra_gated_fields are not
 *   enforced, since the repo's README lives in git and the form is Berth's own.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { requireRepo } from "../../auth/repo-access.ts";
import type { Context } from "../../context.ts";
import type { AccessRequest, Repo } from "../../domain/entities.ts";
import { REPO_TYPES, type RepoType, repoUrlPath } from "../../domain/repo-id.ts";
import { HubError } from "../../errors.ts";
import {
  changeAccessStatus,
  deletePendingAccessRequest,
  grantAccess,
  listAccessRequests,
  recordAccessRequest,
} from "../../store/access-requests.ts";
import { getUserByName } from "../../store/users.ts";
import { requireUser } from "../auth-hook.ts";
import { parseOffset, parsePageSize } from "../query-params.ts";
import { userFirst } from "../repo-guard.ts";
import { apiAvatarUrl } from "../wire.ts";

const MAX_FIELDS = 50;
const MAX_FIELDS_BYTES = 16 * 1024;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

const FieldValue = z.union([
  z.string().max(4000),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.string().max(4000)).max(MAX_FIELDS),
]);
/** The form's answers; `csrf` is the web form's own and never stored. */
const AskBody = z
  .record(z.string().min(1).max(200), FieldValue)
  .refine((fields) => Object.keys(fields).length <= MAX_FIELDS + 1, `at most ${MAX_FIELDS} fields`);

const Status = z.enum(["pending", "accepted", "rejected"]);
const RepoParams = z.object({ ns: z.string(), name: z.string() });
const ListParams = RepoParams.extend({ status: Status });
const UserName = z.string().min(1).max(200);
const HandleBody = z.object({ user: UserName, status: Status, rejectionReason: z.string().max(1000).optional() });
const GrantBody = z.object({ user: UserName });

function target(type: RepoType, request: FastifyRequest) {
  const params = RepoParams.parse(request.params);
  return { type, namespace: params.ns, name: params.name };
}

function assertGated(repo: Repo): void {
  if (repo.gated === false)
    throw new HubError("BadRequest", `The ${repo.type} ${repo.namespace}/${repo.name} is not gated`);
}

function askedFields(body: unknown): Record<string, unknown> | undefined {
  if (body === undefined || body === null) return undefined;
  const { csrf: _csrf, ...fields } = AskBody.parse(body);
  if (Object.keys(fields).length === 0) return undefined;
  if (Buffer.byteLength(JSON.stringify(fields)) > MAX_FIELDS_BYTES) {
    throw new HubError("PayloadTooLarge", `The answers must fit in ${MAX_FIELDS_BYTES} bytes`);
  }
  return fields;
}

/** The Hub's shape; a user granted by hand shared no email and no answers, so neither key is sent. */
function apiAccessRequest(request: AccessRequest) {
  const user = request.user;
  return {
    user: {
      user: user.name,
      fullname: user.fullname,
      ...(request.grantedByHand ? {} : { email: user.email }),
      avatarUrl: apiAvatarUrl(user.name),
      type: "user",
    },
    status: request.status,
    timestamp: request.createdAt.toISOString(),
    ...(request.fields ? { fields: request.fields } : {}),
  };
}

export function registerAccessRequestRoutes(app: FastifyInstance, ctx: Context): void {
  for (const type of REPO_TYPES) {
    const webPrefix = type === "model" ? "" : `/${type}s`;
    const api = `/api/${type}s/:ns/:name/user-access-request`;

    app.post(`${webPrefix}/:ns/:name/ask-access`, async (request, reply) => {
      const { repo } = await requireRepo(ctx, request.principal, target(type, request), "repo.request-access");
      const principal = requireUser(request);
      assertGated(repo);
      const fields = askedFields(request.body);
      await recordAccessRequest(
        ctx.db,
        { repoId: repo.id, userId: principal.user.id, status: repo.gated === "auto" ? "accepted" : "pending", fields },
        ctx.now(),
      );
      return reply.code(303).header("Location", repoUrlPath(repo)).send();
    });

    app.post(`${api}/cancel`, { config: { beforeBody: userFirst } }, async (request) => {
      const { repo } = await requireRepo(ctx, request.principal, target(type, request), "repo.request-access");
      const principal = requireUser(request);
      assertGated(repo);
      if (!(await deletePendingAccessRequest(ctx.db, repo.id, principal.user.id))) {
        throw new HubError("NotFound", "You have no pending access request on this repo");
      }
      return { ok: true };
    });

    app.get(`${api}/:status`, async (request, reply) => {
      const params = ListParams.parse(request.params);
      const raw = request.query as Record<string, unknown>;
      const query = {
        limit: parsePageSize(raw.limit, "limit", DEFAULT_PAGE, MAX_PAGE),
        offset: parseOffset(raw.offset, "offset"),
      };
      const { repo } = await requireRepo(ctx, request.principal, target(type, request), "repo.access.read");
      // One more than asked tells whether a next page exists without counting.
      const rows = await listAccessRequests(ctx.db, repo.id, params.status, {
        limit: query.limit + 1,
        offset: query.offset,
      });
      if (rows.length > query.limit) {
        const path = `/api/${type}s/${repo.namespace}/${repo.name}/user-access-request/${params.status}`;
        const search = new URLSearchParams({ limit: String(query.limit), offset: String(query.offset + query.limit) });
        reply.header("Link", `<${ctx.config.publicUrl}${path}?${search}>; rel="next"`);
      }
      return rows.slice(0, query.limit).map(apiAccessRequest);
    });

    app.post(`${api}/handle`, { config: { beforeBody: userFirst } }, async (request) => {
      const { repo } = await requireRepo(ctx, request.principal, target(type, request), "repo.access.write");
      const body = HandleBody.parse(request.body);
      if (body.rejectionReason !== undefined && body.status !== "rejected") {
        throw new HubError("BadRequest", "rejectionReason goes only with status rejected");
      }
      assertGated(repo);
      const user = await getUserByName(ctx.db, body.user);
      const outcome = await changeAccessStatus(ctx.db, repo.id, user.id, body.status, ctx.now());
      if (outcome === "missing") throw new HubError("NotFound", `No access request from ${user.name} on this repo`);
      if (outcome === "unchanged")
        throw new HubError("BadRequest", `The request of ${user.name} is already ${body.status}`);
      return {};
    });

    app.post(`${api}/grant`, { config: { beforeBody: userFirst } }, async (request) => {
      const { repo } = await requireRepo(ctx, request.principal, target(type, request), "repo.access.write");
      const body = GrantBody.parse(request.body);
      assertGated(repo);
      const user = await getUserByName(ctx.db, body.user);
      if ((await grantAccess(ctx.db, repo.id, user.id, ctx.now())) === "already-accepted") {
        throw new HubError("BadRequest", "That user already has access to this repo");
      }
      return {};
    });
  }
}
