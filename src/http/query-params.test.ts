import { describe, expect, it } from "vitest";
import { parseBoolean, queryList } from "./query-params.ts";

describe("parseBoolean", () => {
  it.each([
    ["true", true],
    ["True", true],
    ["TRUE", true],
    ["1", true],
    [true, true],
    ["false", false],
    ["False", false],
    ["0", false],
    [undefined, false],
    [["false", "true"], true],
  ])("reads %j as %s", (value, expected) => {
    expect(parseBoolean(value)).toBe(expected);
  });
});

describe("queryList", () => {
  it("reads a repeated key in both spellings", () => {
    expect(queryList({ expand: ["a", "b"], "expand[]": "c" }, "expand")).toEqual(["a", "b", "c"]);
    expect(queryList({}, "expand")).toEqual([]);
  });
});
