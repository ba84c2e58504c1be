/**
 * Who may manage which OAuth app, and what a user has authorized: the service under the settings API
 * and pages. Managing apps takes a web session (like tokens, tokens.md §3); an org's apps take an
 * admin of the org, decided by the engine (`apps.write`).
 */
import type { Context } from "../context.ts";
import type { NamespaceRef } from "../domain/entities.ts";
import type { Token } from "../domain/token.ts";
import { HubError } from "../errors.ts";
import { findClient, listClientsOf, type OAuthClient } from "../store/oauth-clients.ts";
import { findNamespace, findOrgRole } from "../store/orgs.ts";
import { listTokens } from "../store/tokens.ts";
import { listMemberships } from "../store/users.ts";
import { authorizeNamespace } from "./authorize.ts";
import { denialError } from "./denial-error.ts";
import { getApp } from "./oauth-clients.ts";
import type { Principal } from "./principal.ts";

export async function requireAppsWrite(ctx: Context, principal: Principal, namespace: NamespaceRef): Promise<void> {
  const orgRole =
    namespace.kind === "org" && principal.type !== "anonymous"
      ? await findOrgRole(ctx.db, namespace.id, principal.user.id)
      : undefined;
  const decision = authorizeNamespace(principal, namespace, { orgRole }, "apps.write");
  if (!decision.allowed) throw denialError(decision.denial, principal, undefined, ctx.config.publicUrl);
}

/** The namespace an app is registered under (a user or org name); 404 for one that does not exist. */
export async function ownerNamespace(ctx: Context, name: string): Promise<NamespaceRef> {
  const namespace = await findNamespace(ctx.db, name);
  if (!namespace) throw new HubError("NotFound", `No user or organization named "${name.slice(0, 100)}"`);
  return namespace;
}

/** An app the principal may manage; any other (or none) is "not found", so nothing leaks. */
export async function getManagedApp(ctx: Context, principal: Principal, clientId: string): Promise<OAuthClient> {
  const client = await getApp(ctx, clientId);
  if (client.owner.kind === "builtin") throw new HubError("NotFound", "App not found");
  const namespace: NamespaceRef | undefined =
    client.owner.kind === "user"
      ? principal.type !== "anonymous" && principal.user.id === client.owner.id
        ? { id: principal.user.id, name: principal.user.name, kind: "user" }
        : undefined
      : { id: client.owner.id, name: "", kind: "org" };
  if (!namespace) throw new HubError("NotFound", "App not found");
  try {
    await requireAppsWrite(ctx, principal, namespace);
  } catch {
    throw new HubError("NotFound", "App not found");
  }
  return client;
}

/** The apps a user may manage: their own and those of the orgs they administer, with the owner's name. */
export async function listManagedApps(
  ctx: Context,
  user: { id: string; name: string },
): Promise<{ client: OAuthClient; ownerName: string }[]> {
  const own = (await listClientsOf(ctx.db, "user", user.id)).map((client) => ({ client, ownerName: user.name }));
  const memberships = (await listMemberships(ctx.db, user.id)).filter((m) => m.role === "admin");
  const orgApps = await Promise.all(
    memberships.map(async (m) =>
      (await listClientsOf(ctx.db, "org", m.org.id)).map((client) => ({ client, ownerName: m.org.name })),
    ),
  );
  return [...own, ...orgApps.flat()];
}

export interface AuthorizedApp {
  readonly token: Token;
  readonly client: OAuthClient | undefined;
}

/** The user's app tokens with their apps: what Settings → Connected Apps lists. */
export async function listAuthorizedApps(ctx: Context, userId: string): Promise<AuthorizedApp[]> {
  const tokens = (await listTokens(ctx.db, userId)).filter((token) => token.app !== undefined);
  return Promise.all(
    tokens.map(async (token) => ({
      token,
      client: token.app ? await findClient(ctx.db, token.app.clientId) : undefined,
    })),
  );
}
