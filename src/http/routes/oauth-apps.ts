/**
 * OAuth apps and connected apps, for the settings pages and scripts with a session (never a token):
 * register (the secret is in this answer only), list, rotate the secret, delete; list the apps the user
 * authorized and revoke one (its app token and everything the grant issued die at once).
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import {
  getManagedApp,
  listAuthorizedApps,
  listManagedApps,
  ownerNamespace,
  requireAppsWrite,
} from "../../auth/oauth-apps.ts";
import { deleteApp, registerApp, rotateAppSecret } from "../../auth/oauth-clients.ts";
import { revokeToken } from "../../auth/token-service.ts";
import type { Context } from "../../context.ts";
import type { Token } from "../../domain/token.ts";
import { HubError } from "../../errors.ts";
import type { OAuthClient } from "../../store/oauth-clients.ts";
import { requireSession } from "../auth-hook.ts";
import { userFirst } from "../repo-guard.ts";

const AppId = z.object({ id: z.string().max(64) });
const TokenId = z.object({ id: z.string().regex(/^[0-9a-f]{24}$/, "not a token id") });

export const CreateAppBody = z.object({
  name: z.string().min(1).max(100),
  homepage: z.string().max(500).optional(),
  redirectUris: z.array(z.string().max(2000)).min(1).max(20),
  scopes: z.array(z.string().max(50)).max(30).default([]),
  public: z.boolean().default(false),
  /** An org to register the app under; its admins manage it. Default: the signed-in user. */
  owner: z.string().max(100).optional(),
});

export function apiApp(client: OAuthClient, ownerName: string) {
  return {
    clientId: client.id,
    name: client.name,
    owner: ownerName,
    homepage: client.homepage ?? null,
    redirectUris: client.redirectUris,
    scopes: client.scopes,
    public: client.isPublic,
    secretHint: client.secretHint ?? null,
    createdAt: client.createdAt.toISOString(),
  };
}

function apiConnected(token: Token, client: OAuthClient | undefined) {
  return {
    tokenId: token.id,
    app: client ? { clientId: client.id, name: client.name, homepage: client.homepage ?? null } : null,
    scopes: token.app?.scopes ?? [],
    orgs: token.app?.orgs.map((org) => org.name) ?? [],
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
  };
}

export function registerOAuthAppRoutes(app: FastifyInstance, ctx: Context): void {
  app.get("/api/settings/oauth-apps", async (request) => {
    const session = requireSession(request);
    const apps = await listManagedApps(ctx, session.user);
    return apps.map(({ client, ownerName }) => apiApp(client, ownerName));
  });

  app.post("/api/settings/oauth-apps", { config: { beforeBody: userFirst } }, async (request) => {
    const session = requireSession(request);
    const body = CreateAppBody.parse(request.body);
    const namespace = await ownerNamespace(ctx, body.owner ?? session.user.name);
    await requireAppsWrite(ctx, session, namespace);
    const { client, secret } = await registerApp(
      ctx,
      { kind: namespace.kind, id: namespace.id },
      {
        name: body.name,
        homepage: body.homepage,
        redirectUris: body.redirectUris,
        scopes: body.scopes,
        isPublic: body.public,
      },
    );
    return { ...apiApp(client, namespace.name), clientSecret: secret ?? null };
  });

  app.post("/api/settings/oauth-apps/:id/secret", { config: { beforeBody: userFirst } }, async (request) => {
    const session = requireSession(request);
    const client = await getManagedApp(ctx, session, AppId.parse(request.params).id);
    return { clientId: client.id, clientSecret: await rotateAppSecret(ctx, client.id) };
  });

  app.delete("/api/settings/oauth-apps/:id", { config: { beforeBody: userFirst } }, async (request) => {
    const session = requireSession(request);
    const client = await getManagedApp(ctx, session, AppId.parse(request.params).id);
    await deleteApp(ctx, client.id);
    return {};
  });

  app.get("/api/settings/connected-apps", async (request) => {
    const session = requireSession(request);
    const authorized = await listAuthorizedApps(ctx, session.user.id);
    return authorized.map(({ token, client }) => apiConnected(token, client));
  });

  app.delete("/api/settings/connected-apps/:id", { config: { beforeBody: userFirst } }, async (request) => {
    const session = requireSession(request);
    const { id } = TokenId.parse(request.params);
    const authorized = await listAuthorizedApps(ctx, session.user.id);
    if (!authorized.some(({ token }) => token.id === id)) throw new HubError("NotFound", "Connected app not found");
    await revokeToken(ctx, session.user.id, id);
    return {};
  });
}
