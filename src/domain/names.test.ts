import { describe, expect, it } from "vitest";
import { isValidName, MAX_NAME_LENGTH, nameKey, nameProblem } from "./names.ts";

describe("isValidName (the Hub's rules)", () => {
  it.each([
    "hub.js",
    "alice",
    "a",
    "A1",
    "bert-base-uncased",
    "my_model",
    "_private",
    "trailing_",
    "v1.2.3",
    "a-b_c.d",
    "x".repeat(96),
  ])("accepts %s", (name) => {
    expect(isValidName(name)).toBe(true);
    expect(nameProblem(name)).toBeUndefined();
  });

  it.each([
    ["empty", ""],
    ["double dot", "a..b"],
    ["only dots", ".."],
    ["double dash", "a--b"],
    ["leading dash", "-abc"],
    ["trailing dash", "abc-"],
    ["leading dot", ".abc"],
    ["trailing dot", "abc."],
    ["97 characters", "x".repeat(97)],
    ["a slash", "a/b"],
    ["a space", "a b"],
    ["a non-ASCII letter", "café"],
    ["an at sign", "a@b"],
    ["a single dash", "-"],
  ])("refuses %s", (_label, name) => {
    expect(isValidName(name)).toBe(false);
    expect(nameProblem(name)).toBeTruthy();
  });

  it("explains what is wrong", () => {
    expect(nameProblem("", "repo name")).toBe("The repo name must not be empty");
    expect(nameProblem("x".repeat(97))).toBe(`The name must be at most ${MAX_NAME_LENGTH} characters`);
    expect(nameProblem("a--b")).toMatch(/^Invalid name "a--b"/);
  });

  it("compares case-insensitively through nameKey", () => {
    expect(nameKey("Hub.JS")).toBe(nameKey("hub.js"));
  });
});
