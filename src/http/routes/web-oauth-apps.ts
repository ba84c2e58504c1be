/**
 * Settings → OAuth Apps and Connected Apps as pages (the API is routes/oauth-apps.ts). A web session
 * only; forms carry the session's CSRF token. The client secret appears only in the answer to the
 * POST that created or replaced it (`no-store`). Rotating, deleting and revoking act with `confirm=yes`
 * (the page's dialog); without script the first post shows a confirmation page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { confirmPage } from "../../../web/pages/auth-pages.ts";
import {
  type AppForm,
  appListPage,
  appNewPage,
  appSecretPage,
  connectedAppsPage,
  EMPTY_APP_FORM,
} from "../../../web/pages/oauth-app-pages.ts";
import {
  getManagedApp,
  listAuthorizedApps,
  listManagedApps,
  ownerNamespace,
  requireAppsWrite,
} from "../../auth/oauth-apps.ts";
import { deleteApp, registerApp, rotateAppSecret } from "../../auth/oauth-clients.ts";
import type { Principal } from "../../auth/principal.ts";
import { revokeToken } from "../../auth/token-service.ts";
import type { Context } from "../../context.ts";
import { HubError } from "../../errors.ts";
import { listMemberships } from "../../store/users.ts";
import { requireSession } from "../auth-hook.ts";
import { field, fields, formOf, seeOther, sendPage, viewerOf } from "../web-support.ts";

type Session = Extract<Principal, { type: "session" }>;

function sessionOrSignIn(request: FastifyRequest, reply: FastifyReply): Session | undefined {
  if (request.principal.type === "anonymous") {
    void seeOther(reply, `/login?next=${encodeURIComponent(request.url.split("?")[0] ?? "/")}`);
    return undefined;
  }
  return requireSession(request);
}

export function registerWebOAuthAppRoutes(app: FastifyInstance, ctx: Context): void {
  async function owners(session: Session): Promise<string[]> {
    const admin = (await listMemberships(ctx.db, session.user.id)).filter((m) => m.role === "admin");
    return [session.user.name, ...admin.map((m) => m.org.name)];
  }

  /** True when confirmed; otherwise the confirmation page has been sent. */
  function confirmed(
    request: FastifyRequest,
    reply: FastifyReply,
    options: { title: string; message: string; action: string; button: string; cancel: string },
  ): boolean {
    if (field(formOf(request), "confirm") === "yes") return true;
    void sendPage(reply, confirmPage(viewerOf(ctx, request), options));
    return false;
  }

  app.get("/settings/applications", async (request, reply) => {
    const session = sessionOrSignIn(request, reply);
    if (!session) return reply;
    return sendPage(reply, appListPage(viewerOf(ctx, request), await listManagedApps(ctx, session.user)));
  });

  app.get("/settings/applications/new", async (request, reply) => {
    const session = sessionOrSignIn(request, reply);
    if (!session) return reply;
    const form = { ...EMPTY_APP_FORM, owner: session.user.name };
    return sendPage(reply, appNewPage(viewerOf(ctx, request), await owners(session), form));
  });

  app.post("/settings/applications", async (request, reply) => {
    const session = requireSession(request);
    const body = formOf(request);
    const form: AppForm = {
      name: field(body, "name", 200),
      homepage: field(body, "homepage", 500).trim(),
      redirectUris: field(body, "redirectUris", 40_000),
      scopes: fields(body, "scopes"),
      isPublic: field(body, "public") === "yes",
      owner: field(body, "owner", 100) || session.user.name,
    };
    try {
      const namespace = await ownerNamespace(ctx, form.owner);
      await requireAppsWrite(ctx, session, namespace);
      const { client, secret } = await registerApp(
        ctx,
        { kind: namespace.kind, id: namespace.id },
        {
          name: form.name,
          homepage: form.homepage || undefined,
          redirectUris: form.redirectUris
            .split(/\r?\n/)
            .map((uri) => uri.trim())
            .filter((uri) => uri.length > 0),
          scopes: form.scopes,
          isPublic: form.isPublic,
        },
      );
      return sendPage(reply, appSecretPage(viewerOf(ctx, request), client, secret));
    } catch (error) {
      if (!(error instanceof HubError) || error.status >= 500) throw error;
      const page = appNewPage(viewerOf(ctx, request), await owners(session), { ...form, error: error.message });
      return sendPage(reply, page, error.status);
    }
  });

  app.post("/settings/applications/:id/secret", async (request, reply) => {
    const session = requireSession(request);
    const client = await getManagedApp(ctx, session, (request.params as { id: string }).id);
    const asked = confirmed(request, reply, {
      title: "Rotate the secret",
      message: `Replace the secret of “${client.name}”? The old one stops working at once.`,
      action: `/settings/applications/${client.id}/secret`,
      button: "Replace the secret",
      cancel: "/settings/applications",
    });
    if (!asked) return reply;
    const secret = await rotateAppSecret(ctx, client.id);
    return sendPage(reply, appSecretPage(viewerOf(ctx, request), client, secret));
  });

  app.post("/settings/applications/:id/delete", async (request, reply) => {
    const session = requireSession(request);
    const client = await getManagedApp(ctx, session, (request.params as { id: string }).id);
    const asked = confirmed(request, reply, {
      title: "Delete the app",
      message: `Delete “${client.name}”? Every access it was granted ends at once.`,
      action: `/settings/applications/${client.id}/delete`,
      button: "Delete",
      cancel: "/settings/applications",
    });
    if (!asked) return reply;
    await deleteApp(ctx, client.id);
    return seeOther(reply, "/settings/applications");
  });

  app.get("/settings/connected-applications", async (request, reply) => {
    const session = sessionOrSignIn(request, reply);
    if (!session) return reply;
    return sendPage(reply, connectedAppsPage(viewerOf(ctx, request), await listAuthorizedApps(ctx, session.user.id)));
  });

  app.post("/settings/connected-applications/:id/revoke", async (request, reply) => {
    const session = requireSession(request);
    const { id } = request.params as { id: string };
    const found = (await listAuthorizedApps(ctx, session.user.id)).find(({ token }) => token.id === id);
    if (!found) throw new HubError("NotFound", "Connected app not found");
    const asked = confirmed(request, reply, {
      title: "Revoke the app",
      message: `Revoke the access of “${found.client?.name ?? "this app"}”? It stops working at once, everywhere.`,
      action: `/settings/connected-applications/${id}/revoke`,
      button: "Revoke",
      cancel: "/settings/connected-applications",
    });
    if (!asked) return reply;
    await revokeToken(ctx, session.user.id, id);
    return seeOther(reply, "/settings/connected-applications");
  });
}
