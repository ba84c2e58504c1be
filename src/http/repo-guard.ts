/**
 * Authorization from the URL before the body is read (body-guard.ts): a route names its repo and
 * action, the engine decides in `preParsing`, and the handler finds the result on the request instead
 * of asking again. An action that depends on the body itself (an LFS batch's operation) is asked first
 * at `repo.info` (is the repo there for this caller at all?) and refined with `assertAllowed` after.
 */
import type { FastifyRequest } from "fastify";
import type { Relation, RepoAction } from "../auth/authorize.ts";
import { type RepoRequest, requireRepo } from "../auth/repo-access.ts";
import type { Context } from "../context.ts";
import type { Repo } from "../domain/entities.ts";
import { HubError } from "../errors.ts";
import { csrfRefused } from "./auth-hook.ts";

export interface RepoAccess {
  readonly repo: Repo;
  readonly relation: Relation;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by `repoFirst` before the body was read. */
    repoAccess: RepoAccess | undefined;
  }
}

export function repoFirst(
  ctx: Context,
  target: (request: FastifyRequest) => RepoRequest,
  action: RepoAction | ((request: FastifyRequest) => RepoAction),
): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    refusePendingSession(request);
    const asked = typeof action === "function" ? action(request) : action;
    request.repoAccess = await requireRepo(ctx, request.principal, target(request), asked);
  };
}

/** The access `repoFirst` established for this request. */
export function getRepoAccess(request: FastifyRequest): RepoAccess {
  if (request.repoAccess === undefined) throw new HubError("Internal", "route registered without repoFirst");
  return request.repoAccess;
}

/**
 * A session whose CSRF token could only be in a form body: routes that decide before the body take it
 * in the `X-CSRF-Token` header only (the web pages post their forms elsewhere), so refuse it as the
 * auth hook would have.
 */
function refusePendingSession(request: FastifyRequest): void {
  if (request.pendingSession !== undefined && !request.routeOptions.config.anonymousWithoutCsrf) throw csrfRefused();
}

/** Refuses anonymous callers before the body is read (the route needs a user whatever it says). */
export async function userFirst(request: FastifyRequest): Promise<void> {
  refusePendingSession(request);
  if (request.principal.type === "anonymous") {
    throw new HubError("AuthRequired", "You must be authenticated to do this");
  }
}
