import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  it.each([
    ["45s", 45],
    ["30m", 1800],
    ["12h", 43200],
    ["90d", 90 * 86400],
    ["2w", 14 * 86400],
    ["1y", 365 * 86400],
    [" 7d ", 7 * 86400],
  ])("reads %s as %i seconds", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(["", "0d", "d", "90", "1.5h", "-1d", "10x", "90 d", "1D", "1234567d", "1d2h"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
