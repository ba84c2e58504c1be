import { describe, expect, it } from "vitest";
import { parseScopes, scopesToFineGrained } from "./oauth-scopes.ts";

const alice = { _id: "u1", name: "alice" };
const acme = { _id: "o1", name: "acme" };

describe("scopesToFineGrained", () => {
  it.each([
    [[], [], { canReadGatedRepos: false, global: [], scoped: [] }],
    [
      ["openid", "profile", "email", "read-billing", "jobs"],
      [acme],
      { canReadGatedRepos: false, global: [], scoped: [] },
    ],
    [
      ["read-repos"],
      [acme],
      {
        canReadGatedRepos: false,
        global: [],
        scoped: [
          { entity: { _id: "u1", type: "user", name: "alice" }, permissions: ["repo.content.read"] },
          { entity: { _id: "o1", type: "org", name: "acme" }, permissions: ["repo.content.read"] },
        ],
      },
    ],
    [
      ["write-repos"],
      [],
      {
        canReadGatedRepos: false,
        global: [],
        scoped: [
          {
            entity: { _id: "u1", type: "user", name: "alice" },
            permissions: ["repo.content.read", "repo.write", "repo.access.read"],
          },
        ],
      },
    ],
    [
      ["gated-repos", "write-discussions", "inference-api"],
      [acme],
      {
        canReadGatedRepos: true,
        global: ["discussion.write"],
        scoped: [{ entity: { _id: "u1", type: "user", name: "alice" }, permissions: ["inference.serverless.write"] }],
      },
    ],
    [
      ["read-memberships", "webhooks"],
      [acme],
      {
        canReadGatedRepos: false,
        global: [],
        scoped: [
          {
            entity: { _id: "u1", type: "user", name: "alice" },
            permissions: ["user.webhooks.read", "user.webhooks.write"],
          },
          { entity: { _id: "o1", type: "org", name: "acme" }, permissions: ["org.read"] },
        ],
      },
    ],
    [["contribute-repos"], [acme], { canReadGatedRepos: false, global: [], scoped: [] }],
  ])("%j on orgs %j", (scopes, orgs, expected) => {
    expect(scopesToFineGrained(scopes, alice, orgs)).toEqual(expected);
  });
});

describe("parseScopes", () => {
  it.each([
    ["openid profile", ["openid", "profile"]],
    ["  read-repos   openid read-repos ", ["openid", "read-repos"]],
    ["openid admin sudo", ["openid"]],
    ["", []],
    [undefined, []],
  ])("%j → %j", (text, expected) => {
    expect(parseScopes(text)).toEqual(expected);
  });
});
