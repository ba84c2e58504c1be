import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Upstream } from "../store/inference.ts";
import { openSecret, sealSecret } from "./secret-box.ts";
import { findUpstream, patternMatches, upstreamUrl } from "./upstream.ts";

const upstream = (pattern: string): Upstream => ({
  pattern,
  url: `http://${pattern.replace(/\W/g, "-")}`,
  upstreamModel: undefined,
  sealedApiKey: undefined,
  timeoutMs: 1000,
  createdAt: new Date(0),
});

describe("upstream patterns", () => {
  it("matches globs within one path segment, case-insensitively", () => {
    expect(patternMatches("acme/*", "Acme/Llama-3")).toBe(true);
    expect(patternMatches("acme/*", "acme")).toBe(false);
    expect(patternMatches("acme/*", "acmeX/llama")).toBe(false);
    expect(patternMatches("*/llama-?", "x/llama-3")).toBe(true);
    expect(patternMatches("*/llama-?", "x/llama-30")).toBe(false);
    expect(patternMatches("acme/bert.v1", "acme/bertXv1")).toBe(false); // "." is literal
  });

  it("prefers an exact id, then the longest glob", () => {
    const all = [upstream("*/*"), upstream("acme/*"), upstream("acme/llama-*"), upstream("acme/llama-3")];
    expect(findUpstream(all, "ACME/llama-3")?.pattern).toBe("acme/llama-3");
    expect(findUpstream(all, "acme/llama-2")?.pattern).toBe("acme/llama-*");
    expect(findUpstream(all, "acme/bert")?.pattern).toBe("acme/*");
    expect(findUpstream(all, "other/bert")?.pattern).toBe("*/*");
    expect(findUpstream(all.slice(1), "other/bert")).toBeUndefined();
  });

  it("joins base URLs with or without /v1", () => {
    expect(upstreamUrl("http://h:8000/v1/", "/v1/chat/completions")).toBe("http://h:8000/v1/chat/completions");
    expect(upstreamUrl("http://h:8000", "/v1/chat/completions")).toBe("http://h:8000/v1/chat/completions");
    expect(upstreamUrl("http://h:8000/v1", "")).toBe("http://h:8000");
    expect(upstreamUrl("http://h/tgi", "")).toBe("http://h/tgi");
  });
});

describe("secret box", () => {
  it("opens what it sealed, and nothing under another key or tampered", () => {
    const key = randomBytes(32);
    const sealed = sealSecret(key, "sk-123");
    expect(sealed).not.toContain("sk-123");
    expect(openSecret(key, sealed)).toBe("sk-123");
    expect(openSecret(randomBytes(32), sealed)).toBeUndefined();
    const parts = sealed.split(":");
    const body = Buffer.from(parts[3] ?? "", "base64");
    body[0] = (body[0] ?? 0) ^ 1;
    expect(openSecret(key, [parts[0], parts[1], parts[2], body.toString("base64")].join(":"))).toBeUndefined();
    expect(openSecret(key, "garbage")).toBeUndefined();
  });
});
