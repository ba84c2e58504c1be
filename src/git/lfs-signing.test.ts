import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type LfsGrant, lfsGrant, signLfsGrant, verifyLfsGrant } from "./lfs-signing.ts";

const key = randomBytes(32);
const oid = "a".repeat(64);
const repoId = "0123456789abcdef01234567";
const now = new Date("2030-01-01T00:00:00Z");

const secret = "token:abc";
function presented(query: string): { size?: string; exp?: string; cred?: string; sig?: string } {
  return Object.fromEntries(new URLSearchParams(query));
}

describe("signed LFS hrefs", () => {
  const grant = lfsGrant("upload", repoId, oid, 1234, "t.0123456789abcdef01234567", now, 60);
  const query = signLfsGrant(key, grant, secret);

  it("verifies its own signature and returns the signed size and expiry", () => {
    expect(verifyLfsGrant(key, { operation: "upload", repoId, oid }, presented(query), now, secret)).toEqual(grant);
  });

  it("expires at exp, not a second later", () => {
    const expected = { operation: "upload", repoId, oid } as const;
    expect(verifyLfsGrant(key, expected, presented(query), new Date(now.getTime() + 59_999), secret)).toBeDefined();
    expect(verifyLfsGrant(key, expected, presented(query), new Date(now.getTime() + 60_000), secret)).toBeUndefined();
  });

  const refusals: [string, Partial<{ operation: LfsGrant["operation"]; repoId: string; oid: string }>, string][] = [
    ["another operation", { operation: "download" }, query],
    ["another repo", { repoId: "fedcba9876543210fedcba98" }, query],
    ["another oid", { oid: "b".repeat(64) }, query],
    ["a changed size", {}, query.replace("size=1234", "size=1235")],
    ["a non-canonical size", {}, query.replace("size=1234", "size=01234")],
    ["a pushed-back expiry", {}, query.replace(/exp=(\d+)/, (_, exp: string) => `exp=${Number(exp) + 3600}`)],
    ["a truncated signature", {}, query.replace(/sig=[^&]+/, (sig) => sig.slice(0, -1))],
    ["a missing signature", {}, query.replace(/&?sig=[^&]+/, "")],
    ["a flipped signature bit", {}, query.replace(/sig=(.)/, (_, c: string) => `sig=${c === "A" ? "B" : "A"}`)],
  ];
  it.each(refusals)("refuses %s", (_label, change, changedQuery) => {
    const expected = { operation: "upload" as const, repoId, oid, ...change };
    expect(verifyLfsGrant(key, expected, presented(changedQuery), now, secret)).toBeUndefined();
  });

  it("refuses a signature made with another key", () => {
    const forged = signLfsGrant(randomBytes(32), grant, secret);
    expect(verifyLfsGrant(key, { operation: "upload", repoId, oid }, presented(forged), now, secret)).toBeUndefined();
  });

  it("refuses the href once the credential's binding secret changed (a refreshed token, another session)", () => {
    const expected = { operation: "upload" as const, repoId, oid };
    expect(verifyLfsGrant(key, expected, presented(query), now, "token:refreshed")).toBeUndefined();
    const otherCredential = query.replace(/cred=[^&]+/, "cred=t.fedcba9876543210fedcba98");
    expect(verifyLfsGrant(key, expected, presented(otherCredential), now, secret)).toBeUndefined();
  });

  it("refuses non-string query values", () => {
    const values = presented(query);
    expect(
      verifyLfsGrant(
        key,
        { operation: "upload", repoId, oid },
        { ...values, sig: [values.sig, values.sig] },
        now,
        secret,
      ),
    ).toBeUndefined();
  });
});
