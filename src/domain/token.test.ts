import { describe, expect, it } from "vitest";
import { isExpired, PERMISSION_ENTITIES, PERMISSIONS, permissionProblems } from "./token.ts";

describe("permissionProblems", () => {
  it("accepts the shape of tokens.md §4", () => {
    expect(
      permissionProblems({
        global: ["discussion.write", "inference.serverless.write"],
        scoped: [
          { type: "user", permissions: ["repo.content.read", "repo.write", "inference.serverless.write"] },
          { type: "org", permissions: ["repo.content.read", "org.read", "org.write", "collection.write"] },
          { type: "model", permissions: ["repo.content.read", "repo.write", "repo.access.read"] },
          { type: "dataset", permissions: ["discussion.write"] },
          { type: "space", permissions: [] },
        ],
      }),
    ).toEqual([]);
  });

  it.each([
    [{ global: ["repo.delete"], scoped: [] }, 'Unknown permission "repo.delete"'],
    [{ global: [], scoped: [{ type: "model", permissions: ["repo.read"] }] }, 'Unknown permission "repo.read"'],
    [{ global: [], scoped: [{ type: "collection", permissions: [] }] }, 'Unknown entity type "collection"'],
    [{ global: ["repo.write"], scoped: [] }, 'Permission "repo.write" cannot be global; scope it to an entity'],
    [
      { global: [], scoped: [{ type: "model", permissions: ["org.write"] }] },
      'Permission "org.write" does not apply to a model',
    ],
    [
      { global: [], scoped: [{ type: "org", permissions: ["inference.serverless.write"] }] },
      'Permission "inference.serverless.write" does not apply to a org',
    ],
    [
      { global: [], scoped: [{ type: "user", permissions: ["org.read"] }] },
      'Permission "org.read" does not apply to a user',
    ],
  ])("names the problem in %j", (request, problem) => {
    expect(permissionProblems(request)).toEqual([problem]);
  });

  it("lists every problem, not only the first", () => {
    expect(
      permissionProblems({ global: ["nope"], scoped: [{ type: "model", permissions: ["also.nope", "repo.write"] }] }),
    ).toEqual(['Unknown permission "nope"', 'Unknown permission "also.nope"']);
  });

  it("knows on which entity types every permission applies", () => {
    for (const permission of PERMISSIONS) expect(PERMISSION_ENTITIES[permission].length).toBeGreaterThan(0);
  });
});

describe("isExpired", () => {
  const now = new Date("2025-01-01T00:00:00Z");
  it.each([
    [undefined, false],
    [new Date("2025-01-01T00:00:01Z"), false],
    [new Date("2025-01-01T00:00:00Z"), true],
    [new Date("2024-12-31T23:59:59Z"), true],
  ])("expiresAt %s → %s", (expiresAt, expired) => {
    expect(isExpired({ expiresAt }, now)).toBe(expired);
  });
});
