import { describe, expect, it } from "vitest";
import {
  generateOAuthTokenValue,
  generateTokenValue,
  hashSecret,
  isWellFormedOAuthToken,
  isWellFormedToken,
  TOKEN_LENGTH,
  TOKEN_PATTERN,
  tokenHint,
} from "./token-format.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

describe("generateTokenValue", () => {
  it("produces hf_ and 34 letters, the pattern every secret scanner uses", () => {
    for (let i = 0; i < 200; i++) {
      const value = generateTokenValue();
      expect(value).toMatch(/^hf_[A-Za-z]{34}$/);
      expect(value).toHaveLength(37);
      expect(TOKEN_LENGTH).toBe(37);
      expect(isWellFormedToken(value)).toBe(true);
    }
  });

  it("never repeats a value", () => {
    const values = new Set(Array.from({ length: 2000 }, generateTokenValue));
    expect(values.size).toBe(2000);
  });

  it("draws the random letters roughly uniformly from all 52", () => {
    const counts = new Map<string, number>();
    const samples = 4000;
    for (let i = 0; i < samples; i++) {
      for (const letter of generateTokenValue().slice(3, 31)) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    }
    expect(counts.size).toBe(52);
    const expected = (samples * 28) / 52; // about 2154 each
    for (const letter of ALPHABET) {
      const count = counts.get(letter) ?? 0;
      // Modulo bias (256 % 52) would put the first letters about 25% above the rest; allow ±10%.
      expect(count, letter).toBeGreaterThan(expected * 0.9);
      expect(count, letter).toBeLessThan(expected * 1.1);
    }
  });
});

describe("isWellFormedToken", () => {
  const value = generateTokenValue();

  it("rejects a one-letter typo in every position after the prefix", () => {
    for (let position = 3; position < value.length; position++) {
      const original = value[position] as string;
      for (const replacement of [
        original === original.toLowerCase() ? original.toUpperCase() : original.toLowerCase(),
        ALPHABET[(ALPHABET.indexOf(original) + 1) % 52] as string,
      ]) {
        const typo = value.slice(0, position) + replacement + value.slice(position + 1);
        expect(isWellFormedToken(typo), `position ${position}: ${typo}`).toBe(false);
      }
    }
  });

  it("rejects two swapped neighbouring letters", () => {
    for (let position = 3; position < value.length - 1; position++) {
      const a = value[position] as string;
      const b = value[position + 1] as string;
      if (a === b) continue;
      const swapped = value.slice(0, position) + b + a + value.slice(position + 2);
      expect(isWellFormedToken(swapped), `position ${position}`).toBe(false);
    }
  });

  it.each([
    ["empty", ""],
    ["no prefix", value.slice(3)],
    ["wrong prefix", `hg_${value.slice(3)}`],
    ["upper-case prefix", `HF_${value.slice(3)}`],
    ["one letter short", value.slice(0, -1)],
    ["one letter long", `${value}a`],
    ["a digit", `${value.slice(0, 10)}1${value.slice(11)}`],
    ["surrounding space", ` ${value}`],
    ["made up (fake)", "hf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
  ])("rejects %s", (_label, candidate) => {
    expect(isWellFormedToken(candidate)).toBe(false);
  });
});

describe("tokenHint", () => {
  it("shows the prefix and the last four letters only", () => {
    const value = generateTokenValue();
    expect(tokenHint(value)).toBe(`hf_…${value.slice(-4)}`);
    expect(tokenHint(value)).not.toContain(value.slice(3, 33));
  });
});

describe("hashSecret", () => {
  it("is keyed: the same value under two keys gives two digests", () => {
    const value = generateTokenValue();
    const a = hashSecret(Buffer.alloc(32, 1), value);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(Buffer.alloc(32, 1), value)).toBe(a);
    expect(hashSecret(Buffer.alloc(32, 2), value)).not.toBe(a);
  });
});

describe("TOKEN_PATTERN", () => {
  it("finds every token in a text", () => {
    const [a, b] = [generateTokenValue(), generateTokenValue()];
    expect(`x=${a}&y=${b}`.match(TOKEN_PATTERN)).toEqual([a, b]);
  });
});

describe("OAuth access token values", () => {
  it("look like the Hub's (hf_oauth_ and 34 letters) and are told apart from access tokens", () => {
    for (let i = 0; i < 200; i++) {
      const value = generateOAuthTokenValue();
      expect(value).toMatch(/^hf_oauth_[A-Za-z]{34}$/);
      expect(isWellFormedOAuthToken(value)).toBe(true);
      expect(isWellFormedToken(value)).toBe(false);
      expect(isWellFormedOAuthToken(generateTokenValue())).toBe(false);
    }
  });

  it("refuses a typo without a database lookup", () => {
    const value = generateOAuthTokenValue();
    for (let position = 9; position < value.length; position++) {
      const char = value[position] === "a" ? "b" : "a";
      const typo = value.slice(0, position) + char + value.slice(position + 1);
      expect(isWellFormedOAuthToken(typo), typo).toBe(false);
    }
  });
});
