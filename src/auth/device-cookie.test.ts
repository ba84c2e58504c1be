import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DEVICE_COOKIE_TTL_SECONDS, issueDeviceCookie, readDeviceCookie } from "./device-cookie.ts";

const key = randomBytes(32);
const now = new Date("2026-03-01T12:00:00Z");
const USER = "0123456789abcdef01234567";
const issued = issueDeviceCookie(key, USER, now);
const [version, userId, nonce, expiry, sig] = issued.value.split(".") as [string, string, string, string, string];
const flip = (text: string) => (text[0] === "A" ? "B" : "A") + text.slice(1);

describe("device cookies", () => {
  it("names the user and nonce it was issued for, until it expires", () => {
    expect(readDeviceCookie(key, issued.value, now)).toEqual({ userId: USER, nonce });
    expect(issued.expiresAt.getTime()).toBe(now.getTime() + DEVICE_COOKIE_TTL_SECONDS * 1000);
    expect(readDeviceCookie(key, issued.value, new Date(issued.expiresAt.getTime() - 1000))).toBeDefined();
    expect(readDeviceCookie(key, issued.value, issued.expiresAt)).toBeUndefined();
  });

  it("keeps a nonce it is given, and draws a new one otherwise", () => {
    expect(readDeviceCookie(key, issueDeviceCookie(key, USER, now, nonce).value, now)?.nonce).toBe(nonce);
    expect(readDeviceCookie(key, issueDeviceCookie(key, USER, now).value, now)?.nonce).not.toBe(nonce);
  });

  const refused: [string, string | undefined, Buffer?][] = [
    ["nothing", undefined],
    ["an empty value", ""],
    ["junk", "not a device cookie"],
    ["another version", [`v2`, userId, nonce, expiry, sig].join(".")],
    ["another user under the same signature", [version, "fedcba9876543210fedcba98", nonce, expiry, sig].join(".")],
    ["another nonce", [version, userId, flip(nonce), expiry, sig].join(".")],
    ["a later expiry", [version, userId, nonce, String(Number(expiry) + 1), sig].join(".")],
    ["a changed signature", [version, userId, nonce, expiry, flip(sig)].join(".")],
    ["a truncated signature", [version, userId, nonce, expiry, sig.slice(0, 42)].join(".")],
    ["an extra field", `${issued.value}.x`],
    ["another server's key", issued.value, randomBytes(32)],
  ];
  it.each(refused)("refuses %s", (_name, value, otherKey) => {
    expect(readDeviceCookie(otherKey ?? key, value, now)).toBeUndefined();
  });
});
