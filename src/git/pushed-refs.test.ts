import { describe, expect, it } from "vitest";
import { refUpdateProblem } from "./pushed-refs.ts";

const OLD = "1".repeat(40);
const NEW = "2".repeat(40);
const ZERO = "0".repeat(40);

describe("refUpdateProblem", () => {
  const allowed: [string, string][] = [
    ["refs/heads/main", NEW],
    ["refs/heads/feature/x", NEW],
    ["refs/heads/old", ZERO],
    ["refs/tags/v1.0", NEW],
    ["refs/pr/12", NEW],
  ];
  it.each(allowed)("allows %s → %s", (ref, newOid) => {
    expect(refUpdateProblem({ oldOid: OLD, newOid, ref })).toBeUndefined();
  });

  const refused: [string, string][] = [
    ["refs/heads/main", ZERO],
    [`refs/replace/${OLD}`, NEW],
    ["refs/berth/pending", NEW],
    ["refs/notes/commits", NEW],
    ["refs/pr/0", NEW],
    ["refs/pr/1/x", NEW],
    ["refs/remotes/origin/main", NEW],
    ["HEAD", NEW],
  ];
  it.each(refused)("refuses %s → %s", (ref, newOid) => {
    expect(refUpdateProblem({ oldOid: OLD, newOid, ref })).toBeDefined();
  });
});
