import type { ScopeRequest } from "../auth/token-service.ts";
import { nameProblem } from "../domain/names.ts";
import { parseRepoName } from "../domain/repo-id.ts";
import { ENTITY_TYPES, isEntityType, permissionProblems } from "../domain/token.ts";
import { UsageError } from "./cli-context.ts";

/**
 * `--scope TYPE:NAME=PERM[,PERM…]` and `--global PERM[,PERM…]`, checked as far as is possible without
 * the database (syntax, entity types, names, permission strings and where they apply), so that a typo
 * is a usage error before anything is opened. Whether the user can see each entity is createToken's
 * check, shared with the web API.
 */
export function parseScopeOption(text: string): ScopeRequest {
  const match = /^([^:=]+):([^=]+)=(.*)$/.exec(text);
  if (!match) throw new UsageError(`Invalid --scope "${text}": use TYPE:NAME=PERM[,PERM...]`);
  const [, type = "", name = "", list = ""] = match;
  if (!isEntityType(type)) {
    throw new UsageError(`Unknown entity type "${type}" in --scope "${text}": use ${ENTITY_TYPES.join(", ")}`);
  }
  if (type === "user" || type === "org") {
    const problem = nameProblem(name, `${type} name`);
    if (problem) throw new UsageError(`${problem} in --scope "${text}"`);
  } else if (!parseRepoName(name)) {
    throw new UsageError(`Invalid ${type} id "${name}" in --scope "${text}": use NAMESPACE/NAME`);
  }
  const permissions = parsePermissionList(list, `--scope "${text}"`);
  const problems = permissionProblems({ global: [], scoped: [{ type, permissions }] });
  if (problems.length > 0) throw new UsageError(`${problems.join("; ")} in --scope "${text}"`);
  return { entity: { type, name }, permissions };
}

export function parseGlobalOption(text: string): string[] {
  const permissions = parsePermissionList(text, `--global "${text}"`);
  const problems = permissionProblems({ global: permissions, scoped: [] });
  if (problems.length > 0) throw new UsageError(`${problems.join("; ")} in --global "${text}"`);
  return permissions;
}

/** Several `--scope` options naming one entity become one entry with the union of their permissions. */
export function mergeScopes(scopes: readonly ScopeRequest[]): ScopeRequest[] {
  const merged = new Map<string, { entity: ScopeRequest["entity"]; permissions: Set<string> }>();
  for (const scope of scopes) {
    const key = `${scope.entity.type}:${scope.entity.name.toLowerCase()}`;
    const entry = merged.get(key) ?? { entity: scope.entity, permissions: new Set<string>() };
    for (const permission of scope.permissions) entry.permissions.add(permission);
    merged.set(key, entry);
  }
  return [...merged.values()].map(({ entity, permissions }) => ({ entity, permissions: [...permissions] }));
}

function parsePermissionList(list: string, where: string): string[] {
  const permissions = list.split(",").map((permission) => permission.trim());
  if (permissions.some((permission) => permission === "")) {
    throw new UsageError(`Empty permission in ${where}: list permissions separated by commas`);
  }
  return permissions;
}
