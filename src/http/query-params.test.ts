import { describe, expect, it } from "vitest";
import { MAX_OFFSET, parseBoolean, parseOffset, parsePageSize, queryList } from "./query-params.ts";

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

describe("parsePageSize", () => {
  it.each([
    [undefined, 50],
    ["", 50],
    ["1", 1],
    ["1000", 1000],
    ["1001", 1000],
    ["99999999999999999999", 1000],
  ])("reads %j as %d", (value, expected) => {
    expect(parsePageSize(value, "limit", 50, 1000)).toBe(expected);
  });

  it.each([["0"], ["-1"], ["abc"], ["1e3"], ["1.5"], [" 5"], ["0x10"], [["1", "2"]]])("refuses %j", (value) => {
    expect(() => parsePageSize(value, "limit", 50, 1000)).toThrow(/^Invalid limit .*: expected a positive integer$/);
  });
});

describe("parseOffset", () => {
  it.each([
    [undefined, 0],
    ["", 0],
    ["0", 0],
    ["7", 7],
    ["999999999", 999_999_999],
    ["2147483648", MAX_OFFSET],
    ["99999999999999999999", MAX_OFFSET],
  ])("reads %j as %d", (value, expected) => {
    expect(parseOffset(value, "p")).toBe(expected);
  });

  it.each([["-1"], ["abc"], ["1e3"], ["+1"], [["1", "2"]]])("refuses %j", (value) => {
    expect(() => parseOffset(value, "p")).toThrow(/^Invalid p .*: expected a non-negative integer$/);
  });
});
