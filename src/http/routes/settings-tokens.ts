import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createToken, refreshToken, revokeToken } from "../../auth/token-service.ts";
import type { Context } from "../../context.ts";
import { parseDuration } from "../../domain/duration.ts";
import { TOKEN_ROLES } from "../../domain/token.ts";
import { HubError } from "../../errors.ts";
import { NO_USAGE, tokenRateLimits, usageByToken } from "../../store/inference.ts";
import { listTokens } from "../../store/tokens.ts";
import { findUserById } from "../../store/users.ts";
import { requireSession } from "../auth-hook.ts";
import { userFirst } from "../repo-guard.ts";
import { apiToken, apiTokenInference } from "../wire.ts";

const TokenId = z.object({ id: z.string().regex(/^[0-9a-f]{24}$/, "not a token id") });

export const CreateTokenBody = z.object({
  displayName: z.string().min(1).max(100),
  role: z.enum(TOKEN_ROLES),
  fineGrained: z
    .object({
      canReadGatedRepos: z.boolean().optional(),
      global: z.array(z.string().max(100)).max(50).optional(),
      scoped: z
        .array(
          z.object({
            entity: z.object({ type: z.string().max(20), name: z.string().min(1).max(200) }),
            permissions: z.array(z.string().max(100)).max(50),
          }),
        )
        .max(200)
        .optional(),
    })
    .optional(),
  /** An ISO date, or a duration such as `90d`. */
  expiresAt: z.string().datetime({ offset: true }).nullable().optional(),
  expiresIn: z.string().max(20).nullable().optional(),
  /** Inference calls per minute; absent or null is unlimited. */
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).nullable().optional(),
});

/** Token management for the web pages: a signed-in session only, CSRF-checked by the auth hook. */
export function registerTokenRoutes(app: FastifyInstance, ctx: Context): void {
  app.get("/api/settings/tokens", async (request) => {
    const session = requireSession(request);
    const [tokens, usage, limits] = await Promise.all([
      listTokens(ctx.db, session.user.id),
      usageByToken(ctx.db, session.user.id),
      tokenRateLimits(ctx.db, session.user.id),
    ]);
    return tokens.map((t) => ({ ...apiToken(t), ...apiTokenInference(usage.get(t.id) ?? NO_USAGE, limits.get(t.id)) }));
  });

  app.post("/api/settings/tokens", { config: { beforeBody: userFirst } }, async (request) => {
    const session = requireSession(request);
    const body = CreateTokenBody.parse(request.body);
    const user = await findUserById(ctx.db, session.user.id);
    if (!user) throw new HubError("AuthRequired", "You must be signed in to do this");
    const { token, value } = await createToken(ctx, user, {
      displayName: body.displayName,
      role: body.role,
      canReadGatedRepos: body.fineGrained?.canReadGatedRepos,
      global: body.fineGrained?.global,
      scoped: body.fineGrained?.scoped,
      expiresAt: expiryOf(ctx.now(), body.expiresAt, body.expiresIn),
      rateLimitPerMinute: body.rateLimitPerMinute ?? undefined,
    });
    return {
      ...apiToken(token),
      ...apiTokenInference(NO_USAGE, body.rateLimitPerMinute ?? undefined),
      token: value,
    };
  });

  app.post("/api/settings/tokens/:id/refresh", { config: { beforeBody: userFirst } }, async (request) => {
    const session = requireSession(request);
    const { id } = TokenId.parse(request.params);
    const { token, value } = await refreshToken(ctx, session.user.id, id);
    return { ...apiToken(token), token: value };
  });

  app.delete("/api/settings/tokens/:id", { config: { beforeBody: userFirst } }, async (request) => {
    const session = requireSession(request);
    const { id } = TokenId.parse(request.params);
    await revokeToken(ctx, session.user.id, id);
    return {};
  });
}

function expiryOf(now: Date, at: string | null | undefined, duration: string | null | undefined): Date | undefined {
  if (at) return new Date(at);
  if (!duration) return undefined;
  const seconds = parseDuration(duration);
  if (seconds === undefined)
    throw new HubError("BadRequest", `Invalid expiresIn "${duration}": use e.g. 90d, 12h, 30m`);
  return new Date(now.getTime() + seconds * 1000);
}
