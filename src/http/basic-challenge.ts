import type { FastifyInstance } from "fastify";

export const BASIC_CHALLENGE = 'Basic realm="Berth"';

/**
 * git and git-lfs send the credentials of a remote URL only after a challenge (hub-api.md §11), so every
 * 401 in the scope carries `WWW-Authenticate: Basic` (and `LFS-Authenticate`, which git-lfs reads first).
 * Only the git and LFS plugins add this: API clients would show a browser a password prompt.
 */
export function registerBasicChallenge(scope: FastifyInstance, options: { lfs: boolean }): void {
  scope.addHook("onSend", async (_request, reply, payload) => {
    if (reply.statusCode === 401) {
      reply.header("WWW-Authenticate", BASIC_CHALLENGE);
      if (options.lfs) reply.header("LFS-Authenticate", BASIC_CHALLENGE);
    }
    return payload;
  });
}

/**
 * git prints an HTTP error's body to the user ("remote: …") only when it is `text/plain`, so on the git
 * routes every error keeps the API's one-line reason (`This token has the read role; …`) but as plain
 * text. The reason is the one the engine gave, so a private repo a caller may not see still reads
 * "Repository not found", exactly like a missing one.
 */
export function registerPlainTextErrors(scope: FastifyInstance): void {
  scope.addHook("onSend", async (_request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== "string") return payload;
    const type = String(reply.getHeader("content-type") ?? "");
    if (!type.startsWith("application/json")) return payload;
    try {
      const body = JSON.parse(payload) as { error?: unknown };
      if (typeof body.error !== "string") return payload;
      reply.header("content-type", "text/plain; charset=utf-8");
      return `${body.error}\n`;
    } catch {
      return payload;
    }
  });
}
