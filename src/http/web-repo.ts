/**
 * What the repository pages share: loading the repo of the URL through the engine (a name that cannot
 * exist, a missing repo and one the viewer may not see are the same 404), what the viewer may do there,
 * the revision of the URL with the branches and tags to switch to, and the `?p=` page number.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { html } from "../../web/html.ts";
import { layout } from "../../web/layout.ts";
import { gateNotice, type RepoAbilities, type RevisionChoices, repoChrome } from "../../web/pages/repo-chrome.ts";
import { authorizeRepo, type Relation, type RepoAction } from "../auth/authorize.ts";
import { denialError, repoNotFound } from "../auth/denial-error.ts";
import type { Principal } from "../auth/principal.ts";
import { requireRepo } from "../auth/repo-access.ts";
import type { Context } from "../context.ts";
import type { Repo } from "../domain/entities.ts";
import { isValidName } from "../domain/names.ts";
import { fullName, type RepoType } from "../domain/repo-id.ts";
import { HubError } from "../errors.ts";
import { listRefNames } from "../git/ref-store.ts";
import { repoDir } from "./content-request.ts";
import { sendPage, viewerOf } from "./web-support.ts";

export interface WebRepo {
  readonly repo: Repo;
  readonly relation: Relation;
  readonly abilities: RepoAbilities;
}

/** The most pages a listing offers; a page number past the end is an empty page. */
export const MAX_PAGE = 10_000;

export function abilitiesOf(principal: Principal, repo: Repo, relation: Relation): RepoAbilities {
  const can = (action: RepoAction) => authorizeRepo(principal, repo, relation, action).allowed;
  return { content: can("repo.content"), admin: can("repo.admin"), accessRead: can("repo.access.read") };
}

/** The repo of the path if the engine allows `action`; its HubError (404 for the unseen) otherwise. */
export async function loadWebRepo(
  ctx: Context,
  request: FastifyRequest,
  type: RepoType,
  action: RepoAction,
): Promise<WebRepo> {
  const { ns, name } = request.params as { ns: string; name: string };
  if (!isValidName(ns) || !isValidName(name)) throw repoNotFound(request.principal);
  const access = await requireRepo(ctx, request.principal, { type, namespace: ns, name }, action);
  return { ...access, abilities: abilitiesOf(request.principal, access.repo, access.relation) };
}

/** Branch and tag names for the revision switcher, `main` first, read from the ref files (no process). */
export async function revisionChoices(
  ctx: Context,
  repo: Repo,
  current: string,
  commit: string,
): Promise<RevisionChoices> {
  const names = await listRefNames(repoDir(ctx, repo));
  const short = (prefix: string) =>
    names
      .filter((name) => name.startsWith(prefix))
      .map((name) => name.slice(prefix.length))
      .sort((a, b) => (a === "main" ? -1 : b === "main" ? 1 : a.localeCompare(b)));
  return { current, commit, branches: short("refs/heads/"), tags: short("refs/tags/") };
}

/** `?p=`: a page number from 0; anything else is a 400. */
export function pageNumber(request: FastifyRequest): number {
  const value = (request.query as Record<string, unknown>).p;
  if (value === undefined || value === "") return 0;
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== "string" || !/^\d{1,6}$/.test(text))
    throw new HubError("BadRequest", "The page number p must be 0 or more");
  return Math.min(Number(text), MAX_PAGE);
}

/**
 * For a page that shows content: undefined when the viewer may read it. A viewer stopped by the gate
 * gets the repo's tabs with the gate's notice (403); any other refusal is the engine's error.
 */
export function gatedPage(
  ctx: Context,
  request: FastifyRequest,
  reply: FastifyReply,
  web: WebRepo,
): FastifyReply | undefined {
  const decision = authorizeRepo(request.principal, web.repo, web.relation, "repo.content");
  if (decision.allowed) return undefined;
  if (decision.denial.type !== "gated")
    throw denialError(decision.denial, request.principal, web.repo, ctx.config.publicUrl);
  const viewer = viewerOf(ctx, request);
  const page = layout({
    title: fullName(web.repo),
    viewer,
    body: html`${repoChrome(web.repo, web.abilities, "files")}${gateNotice(viewer, web.repo, web.relation.accessStatus)}`,
  });
  return sendPage(reply, page, 403);
}
