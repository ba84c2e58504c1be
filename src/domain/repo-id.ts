import { isValidName } from "./names.ts";

export const REPO_TYPES = ["model", "dataset", "space"] as const;
export type RepoType = (typeof REPO_TYPES)[number];

export interface RepoId {
  readonly type: RepoType;
  readonly namespace: string;
  readonly name: string;
}

export function isRepoType(value: unknown): value is RepoType {
  return typeof value === "string" && (REPO_TYPES as readonly string[]).includes(value);
}

/** `models` → `model`, as the API's plural path segment names the type. */
export function repoTypeFromPlural(plural: string): RepoType | undefined {
  const singular = plural.endsWith("s") ? plural.slice(0, -1) : plural;
  return isRepoType(singular) ? singular : undefined;
}

export function fullName(id: Pick<RepoId, "namespace" | "name">): string {
  return `${id.namespace}/${id.name}`;
}

/** Parses `ns/name`; a one-segment or malformed id is undefined (the caller answers RepoNotFound). */
export function parseRepoName(value: string): { namespace: string; name: string } | undefined {
  const parts = value.split("/");
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts as [string, string];
  return isValidName(namespace) && isValidName(name) ? { namespace, name } : undefined;
}

/** The repo's web and git path below the public URL: models have no prefix. */
export function repoUrlPath(id: RepoId): string {
  const prefix = id.type === "model" ? "" : `/${id.type}s`;
  return `${prefix}/${id.namespace}/${id.name}`;
}

/** `model` → `model`, used in messages such as "Access to model acme/bert is restricted". */
