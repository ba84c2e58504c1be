import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Membership, Repo } from "../domain/entities.ts";
import type { FineGrained, OrgRole, Permission, TokenRole } from "../domain/token.ts";
import { authorizeRepo } from "./authorize.ts";
import { listingScope, scopeShows } from "./listing-scope.ts";
import { ANONYMOUS, type Principal, type UserRef } from "./principal.ts";

const ALICE: UserRef = { id: "a".repeat(24), name: "alice", fullname: "Alice", email: "a@x", isAdmin: false };
const ORGS = ["1", "2", "3"].map((digit) => ({
  id: digit.repeat(24),
  name: `org${digit}`,
  fullname: `Org ${digit}`,
  createdAt: new Date(0),
}));
const STRANGER_ID = "b".repeat(24);

function repo(id: string, namespaceId: string, isPrivate: boolean, createdBy?: string): Repo {
  const kind = namespaceId === ALICE.id || namespaceId === STRANGER_ID ? "user" : "org";
  return {
    id,
    type: "model",
    namespaceId,
    namespaceKind: kind,
    namespace: "ns",
    name: id.slice(0, 4),
    private: isPrivate,
    gated: false,
    sdk: undefined,
    createdBy,
    createdAt: new Date(0),
    lastModified: new Date(0),
  };
}

function token(role: TokenRole, fineGrained?: FineGrained, user: UserRef = ALICE): Principal {
  return {
    type: "token",
    user,
    token: {
      id: "t".repeat(24),
      hash: "h",
      displayName: "t",
      role,
      fineGrained,
      createdAt: new Date(0),
      expiresAt: undefined,
      lastUsedAt: undefined,
    },
  };
}

function session(user: UserRef = ALICE): Principal {
  return { type: "session", user, sessionHash: "h", csrfToken: "c" };
}

const member = (index: number, role: OrgRole): Membership => ({ org: ORGS[index] as Membership["org"], role });

describe("listingScope", () => {
  const own = repo("c".repeat(24), ALICE.id, true, ALICE.id);
  const inOrg = repo("d".repeat(24), ORGS[0]?.id ?? "", true, STRANGER_ID);
  const elsewhere = repo("e".repeat(24), STRANGER_ID, true, STRANGER_ID);
  const publicRepo = repo("f".repeat(24), STRANGER_ID, false, STRANGER_ID);

  it.each<[string, Principal, Membership[], Repo[]]>([
    ["anonymous sees public repos only", ANONYMOUS, [], [publicRepo]],
    [
      "a read token sees its user's and orgs' private repos",
      token("read"),
      [member(0, "read")],
      [own, inOrg, publicRepo],
    ],
    ["a session without memberships sees its own", session(), [], [own, publicRepo]],
    [
      "a site admin's session sees everything",
      session({ ...ALICE, isAdmin: true }),
      [],
      [own, inOrg, elsewhere, publicRepo],
    ],
    [
      "a site admin's token is capped like anyone's",
      token("write", undefined, { ...ALICE, isAdmin: true }),
      [],
      [own, publicRepo],
    ],
  ])("%s", (_title, principal, memberships, shown) => {
    const scope = listingScope(principal, memberships);
    const all = [own, inOrg, elsewhere, publicRepo];
    expect(all.filter((candidate) => scopeShows(scope, candidate))).toEqual(shown);
  });

  it("limits a fine-grained token to repo.content.read on namespaces and repos the user can read", () => {
    const fineGrained: FineGrained = {
      canReadGatedRepos: false,
      global: [],
      scoped: [
        { entity: { _id: ORGS[0]?.id ?? "", type: "org", name: "org1" }, permissions: ["repo.content.read"] },
        { entity: { _id: ALICE.id, type: "user", name: "alice" }, permissions: ["repo.write"] },
        { entity: { _id: elsewhere.id, type: "model", name: "x/y" }, permissions: ["repo.content.read"] },
      ],
    };
    const scope = listingScope(token("fineGrained", fineGrained), [member(0, "read")]);
    expect(scopeShows(scope, inOrg)).toBe(true);
    expect(scopeShows(scope, own)).toBe(false);
    // Named by the token, but the user cannot read it: the intersection hides it.
    expect(scopeShows(scope, elsewhere)).toBe(false);
    expect(scopeShows(scope, { ...elsewhere, namespaceId: ORGS[0]?.id ?? "" })).toBe(true);
  });

  it("agrees with authorizeRepo(repo.info) on generated principals, memberships and repos", () => {
    const namespaceIds = [ALICE.id, STRANGER_ID, ...ORGS.map((org) => org.id)];
    const repoIds = ["0", "5", "6", "7"].map((digit) => digit.repeat(24));
    const permission = fc.constantFrom<Permission>("repo.content.read", "repo.write", "repo.access.read", "org.read");
    const entity = fc.oneof(
      fc.constantFrom(...namespaceIds).map((id) => ({
        _id: id,
        type: (id === ALICE.id || id === STRANGER_ID ? "user" : "org") as "user" | "org",
        name: "n",
      })),
      fc.constantFrom(...repoIds).map((id) => ({ _id: id, type: "model" as const, name: "n/m" })),
    );
    const fineGrained = fc.record({
      canReadGatedRepos: fc.boolean(),
      global: fc.constant([] as Permission[]),
      scoped: fc.array(fc.record({ entity, permissions: fc.uniqueArray(permission, { maxLength: 3 }) }), {
        maxLength: 4,
      }),
    });
    const principal = fc.oneof(
      fc.constant<Principal>(ANONYMOUS),
      fc.boolean().map((isAdmin) => session({ ...ALICE, isAdmin })),
      fc.constantFrom<TokenRole>("read", "write").map((role) => token(role)),
      fineGrained.map((scopes) => token("fineGrained", scopes)),
    );
    const memberships = fc
      .subarray([0, 1, 2])
      .chain((indexes) =>
        fc
          .tuple(...indexes.map(() => fc.constantFrom<OrgRole>("read", "contributor", "write", "admin")))
          .map((roles) => indexes.map((index, i) => member(index, roles[i] as OrgRole))),
      );
    const repos = fc.array(
      fc.record({
        id: fc.constantFrom(...repoIds),
        namespaceId: fc.constantFrom(...namespaceIds),
        isPrivate: fc.boolean(),
        createdBy: fc.constantFrom(ALICE.id, STRANGER_ID),
      }),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(principal, memberships, repos, (who, roles, candidates) => {
        const scope = listingScope(who, roles);
        for (const candidate of candidates) {
          const subject = repo(candidate.id, candidate.namespaceId, candidate.isPrivate, candidate.createdBy);
          const orgRole = roles.find((membership) => membership.org.id === subject.namespaceId)?.role;
          const decision = authorizeRepo(who, subject, { orgRole }, "repo.info");
          expect(scopeShows(scope, subject)).toBe(decision.allowed);
        }
      }),
      { numRuns: 500 },
    );
  });
});
