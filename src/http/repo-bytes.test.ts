import { describe, expect, it } from "vitest";
import { contentDisposition } from "./repo-bytes.ts";

describe("contentDisposition", () => {
  it.each([
    ["index.HTML", "application/octet-stream", "attachment; filename=\"index.HTML\"; filename*=UTF-8''index.HTML"],
    ["page.xhtml", "application/octet-stream", "attachment"],
    ["feed.xml", "application/octet-stream", "attachment"],
    ["app.mjs", "application/octet-stream", "attachment"],
    ["icon.svgz", "application/octet-stream", "attachment"],
    ["notes.txt", "text/html; charset=utf-8", "attachment"],
    ["notes.weird", "text/x-weird", "attachment"],
    ["notes.txt", "text/plain; charset=utf-8", "inline"],
    ["config.json", "application/json", "inline"],
    ["LICENSE", "application/octet-stream", "inline"],
    ["model.safetensors", "application/octet-stream", "inline"],
  ])("%s served as %s is %s", (name, type, expected) => {
    const header = contentDisposition(name, type);
    expect(header.startsWith(expected)).toBe(true);
  });

  it.each([
    ['a"b.bin', `filename="a_b.bin"; filename*=UTF-8''a%22b.bin`],
    ["日本.bin", `filename="__.bin"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.bin`],
    ["a\r\nb;c.bin", `filename="a__b;c.bin"; filename*=UTF-8''a%0D%0Ab%3Bc.bin`],
    ["100%\\x'(y)*.bin", `filename="100__x'(y)*.bin"; filename*=UTF-8''100%25%5Cx%27%28y%29%2A.bin`],
    ["\ud800.bin", `filename="_.bin"; filename*=UTF-8''%EF%BF%BD.bin`],
  ])("encodes the name %j so it cannot break the header", (name, parameters) => {
    const header = contentDisposition(name, "application/octet-stream");
    expect(header).toBe(`inline; ${parameters}`);
    expect(header).toMatch(/^[\x20-\x7e]+$/);
  });
});
