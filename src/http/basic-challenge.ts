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
