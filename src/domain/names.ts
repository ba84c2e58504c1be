/**
 * Names follow the Hub's rules: letters, digits, `-`, `_` and `.`; no `--` or `..` (the cache uses `--`
 * as a separator), no leading or trailing `-` or `.`, at most 96 characters. `hub.js` is a valid name.
 * Names compare case-insensitively, as the Hub's repo ids do; `nameKey` is the form used for lookups.
 */
const NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

export const MAX_NAME_LENGTH = 96;

export function isValidName(name: string): boolean {
  return (
    name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME.test(name) && !name.includes("--") && !name.includes("..")
  );
}

/** Why a name is invalid, for a 400 that tells the user what to fix; undefined when it is fine. */
export function nameProblem(name: string, what = "name"): string | undefined {
  if (name.length === 0) return `The ${what} must not be empty`;
  if (name.length > MAX_NAME_LENGTH) return `The ${what} must be at most ${MAX_NAME_LENGTH} characters`;
  if (!isValidName(name)) {
    return `Invalid ${what} "${name}": use letters, digits, "-", "_" and "."; no "--" or "..", and no "-" or "." at either end`;
  }
  return undefined;
}

export function nameKey(name: string): string {
  return name.toLowerCase();
}

/**
 * First path segments Berth's own routes use (pages, API, inference): no user or org may take them,
 * or its pages, repos or git URLs would be unreachable.
 */
export const RESERVED_NAMESPACES: ReadonlySet<string> = new Set([
  "api",
  "login",
  "logout",
  "join",
  "settings",
  "organizations",
  "datasets",
  "spaces",
  "models",
  "new",
  "new-dataset",
  "new-space",
  "avatars",
  "assets",
  "v1",
  "v2",
  "pipeline",
  "hf-inference",
  "oauth",
  "sso",
]);

export function isReservedNamespace(name: string): boolean {
  return RESERVED_NAMESPACES.has(nameKey(name));
}
