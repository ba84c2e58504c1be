import { describe, expect, it } from "vitest";
import { HubError } from "../errors.ts";
import { mayHaveMultiSegmentRevision, parseRevisionOnly, parseRevisionPath, refNameProblem } from "./revision.ts";

const REFS = ["main", "dev", "feature/x", "refs/heads/feature/x", "feature/x/y", "v1.0", "refs/tags/v1.0"];

describe("parseRevisionPath", () => {
  it.each([
    ["main/config.json", "main", "config.json"],
    ["main/sub/dir/file.txt", "main", "sub/dir/file.txt"],
    ["HEAD/config.json", "HEAD", "config.json"],
    ["refs%2Fpr%2F1/config.json", "refs/pr/1", "config.json"],
    ["refs/pr/1/config.json", "refs/pr/1", "config.json"],
    ["refs/pr/12/sub/a.bin", "refs/pr/12", "sub/a.bin"],
    ["refs/convert/parquet/default/train/0.parquet", "refs/convert/parquet", "default/train/0.parquet"],
    ["refs%2Fconvert%2Fparquet/x", "refs/convert/parquet", "x"],
    ["feature/x/file.txt", "feature/x", "file.txt"],
    ["feature/x/y/file.txt", "feature/x/y", "file.txt"],
    ["feature%2Fx/y/file.txt", "feature/x", "y/file.txt"],
    ["refs/heads/feature/x/a", "refs/heads/feature/x", "a"],
    ["0123456789abcdef0123456789abcdef01234567/a b.txt", "0123456789abcdef0123456789abcdef01234567", "a b.txt"],
    ["abc1234/a%20b.txt", "abc1234", "a b.txt"],
    ["main/sub%2Fdir", "main", "sub/dir"],
    ["main/%3F%25%3A%2C.txt", "main", "?%:,.txt"],
    ["main", "main", ""],
    ["main/", "main", ""],
    ["main/dir/", "main", "dir"],
    ["main/config.json?download=true", "main", "config.json"],
    ["v1.0/README.md", "v1.0", "README.md"],
  ])("splits %s into %s and %s", (tail, revision, path) => {
    expect(parseRevisionPath(tail, REFS)).toEqual({ revision, path });
  });

  it("does not treat a file path as part of the revision when no such ref exists", () => {
    expect(parseRevisionPath("dev/feature/x", REFS)).toEqual({ revision: "dev", path: "feature/x" });
    expect(parseRevisionPath("feature/z/file", REFS)).toEqual({ revision: "feature", path: "z/file" });
  });

  it.each([
    ["main/../secret", "BadRequest"],
    ["main/a/%2E%2E/b", "BadRequest"],
    ["main/a%2F..%2Fb", "BadRequest"],
    ["main/a%5Cb", "BadRequest"],
    ["main/a%00b", "BadRequest"],
    ["main/a//b", "BadRequest"],
    ["main/%E0%A4%A", "BadRequest"],
    ["ma%00in/a", "RevisionNotFound"],
    ["a..b/file", "RevisionNotFound"],
    ["ma%5Cin/a", "RevisionNotFound"],
    ["", "RevisionNotFound"],
  ])("refuses %s with %s", (tail, code) => {
    try {
      parseRevisionPath(tail, REFS);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(HubError);
      expect((error as HubError).code).toBe(code);
    }
  });

  it("knows when the ref list is needed", () => {
    expect(mayHaveMultiSegmentRevision("main/config.json")).toBe(true);
    expect(mayHaveMultiSegmentRevision("main")).toBe(false);
    expect(mayHaveMultiSegmentRevision("main/")).toBe(false);
    expect(mayHaveMultiSegmentRevision("refs%2Fpr%2F1/config.json")).toBe(false);
  });
});

describe("parseRevisionOnly", () => {
  it.each([
    ["main", "main"],
    ["refs%2Fpr%2F1", "refs/pr/1"],
    ["refs/pr/1", "refs/pr/1"],
    ["feature%2Fx?limit=1", "feature/x"],
    ["v1/", "v1"],
  ])("reads %s as %s", (tail, revision) => {
    expect(parseRevisionOnly(tail)).toBe(revision);
  });
});

describe("refNameProblem", () => {
  it.each(["dev", "feature/x", "v1.0", "release-2024_01"])("accepts %s", (name) => {
    expect(refNameProblem(name)).toBeUndefined();
  });
  it.each([
    "",
    "refs/pr/5",
    "HEAD",
    "invalid tag",
    "a..b",
    "a//b",
    "-x",
    "x/",
    "x.",
    ".hidden",
    "a/.b",
    "x.lock",
    "a~1",
    "a^",
    "a:b",
    "a@{1}",
    "0123456789abcdef0123456789abcdef01234567",
  ])("refuses %j", (name) => {
    expect(refNameProblem(name)).toBeDefined();
  });
});
