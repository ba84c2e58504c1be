/**
 * Which refs a push may touch: branches, tags and the refs of pull requests, as on the Hub. Anything
 * else would be a ref no Hub client can name but git follows: `refs/replace/*` rewrites what an object
 * id means to every reader, `refs/berth/*` is Berth's own scratch space. And `main` stays: the API
 * refuses to delete it, so a push may not either.
 */
import type { RefUpdate } from "./pushed-paths.ts";

const ZERO = /^0+$/;

/** Why a push may not make this ref update, or undefined when it may. */
export function refUpdateProblem(update: RefUpdate): string | undefined {
  const { ref, newOid } = update;
  if (ref === "refs/heads/main" && ZERO.test(newOid)) return "the main branch cannot be deleted";
  if (ref.startsWith("refs/heads/") || ref.startsWith("refs/tags/")) return undefined;
  if (/^refs\/pr\/[1-9][0-9]{0,8}$/.test(ref)) return undefined;
  return "only branches (refs/heads/), tags (refs/tags/) and pull requests (refs/pr/N) can be pushed";
}
