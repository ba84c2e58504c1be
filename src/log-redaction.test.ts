import { describe, expect, it } from "vitest";
import { generateOAuthTokenValue, generateTokenValue } from "./domain/token-format.ts";
import { redactFields, redactTokens } from "./log-redaction.ts";

const token = generateTokenValue();
const oauth = generateOAuthTokenValue();
const letters = token.slice(3);
const hex = (text: string) => [...text].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join("");

describe("redactTokens", () => {
  it.each([
    ["a plain token", `/x?token=${token}`, "/x?token=hf_[redacted]"],
    ["an OAuth access token", `Bearer ${oauth}`, "Bearer hf_[redacted]"],
    ["an OAuth access token, encoded", `/x?t=${hex(oauth)}`, "/x?t=[redacted]"],
    ["the first letter encoded", `/x?token=%68f_${letters}`, "/x?token=[redacted]"],
    ["the second letter encoded", `/x/h%66_${letters}/y`, "/x/[redacted]/y"],
    ["the underscore encoded, lower-case hex", `/x?t=hf%5f${letters}&a=1`, "/x?t=[redacted]&a=1"],
    [
      "a letter in the middle encoded",
      `/x/hf_${letters.slice(0, 5)}${hex(letters[5] ?? "")}${letters.slice(6)}`,
      "/x/[redacted]",
    ],
    ["every character encoded", `/x/${hex(token)}`, "/x/[redacted]"],
    ["double encoding", `/x/%2568f_${letters}`, "/x/[redacted]"],
    ["triple encoding", `/x/%252568f_${letters}`, "/x/[redacted]"],
    ["a stray % before an escape", `/x/%%36%38f_${letters}`, "/x/[redacted]"],
    ["user:password in a URL", "git clone https://git:s3cret@hub/x", "git clone https://[redacted]@hub/x"],
    ["a password with an empty user", "https://:s3cret@hub/x", "https://[redacted]@hub/x"],
    ["an encoded URL with credentials", "?next=https%3A%2F%2Fu%3As3cret%40hub%2F", "?next=[redacted]"],
    ["credentials half encoded", "?next=https%3A//u%3As3cret%40hub/", "?next=https%3A//[redacted]/"],
    [
      "an LFS href signature",
      "/a.git/info/lfs/objects/ab?size=3&exp=9&sig=AbC-d_e",
      "/a.git/info/lfs/objects/ab?size=3&exp=9&sig=[redacted]",
    ],
    ["an absurdly deep encoding", `/x/%${"25".repeat(5)}41`, "/x/[redacted]"],
  ])("masks %s", (_name, text, expected) => {
    expect(redactTokens(text)).toBe(expected);
  });

  it.each([
    ["a path with escapes", "/alice/bert/resolve/main/sub/a%20b%2Bc.txt?download=true"],
    ["a revision encoded", "/api/models/alice/bert/tree/refs%2Fpr%2F1"],
    ["a host and port", "http://hub.test:8080/x@y"],
    ["a too-short token", `hf_${letters.slice(0, 20)}`],
    ["a percent sign alone", "100% done"],
  ])("leaves %s alone", (_name, text) => {
    expect(redactTokens(text)).toBe(text);
  });

  it("keeps a JSON document valid", () => {
    const json = JSON.stringify({ message: `fetch "h%66_${letters}" failed`, url: "//u:p@h", sig: "?sig=x" });
    const parsed = JSON.parse(redactTokens(json)) as Record<string, string>;
    expect(parsed).toEqual({ message: 'fetch "[redacted]" failed', url: "//[redacted]@h", sig: "?sig=[redacted]" });
  });
});

describe("redactFields", () => {
  it("masks string fields and leaves the object alone when nothing changed", () => {
    const clean = { code: 128, stderr: "fatal: not a git repository" };
    expect(redactFields(clean)).toBe(clean);
    const dirty = { code: 128, stderr: `fatal: ${token}` };
    expect(redactFields(dirty)).toEqual({ code: 128, stderr: "fatal: hf_[redacted]" });
    expect(dirty.stderr).toContain(token);
  });
});
