import { describe, expect, it } from "vitest";
import { defaultGitattributes } from "../domain/gitattributes.ts";
import { GitIgnore, globToRegExp, LfsAttributes, lfsAttributeLine, looksBinary, pathProblem } from "./path-rules.ts";

describe("pathProblem", () => {
  it.each([
    "",
    "..\\ddd",
    "a\\b",
    "../x",
    "a/../b",
    "a/..",
    "./a",
    "/abs",
    ".git/config",
    "sub/.git/hooks/x",
    ".GIT/config",
    "a//b",
    "a/",
    "a\0b",
    "a\nb",
    "\ud800x",
    `${"x".repeat(256)}/a`,
  ])("refuses %j", (path) => {
    expect(pathProblem(path)).toBeDefined();
  });

  it.each([
    "README.md",
    ".gitattributes",
    ".gitignore",
    "a/b/c.bin",
    "dir with space/file name.txt",
    "ünïcødé/日本.txt",
    "..foo",
    "a..b",
    ".github/x",
    "#hash",
  ])("accepts %j", (path) => {
    expect(pathProblem(path)).toBeUndefined();
  });
});

describe("globToRegExp", () => {
  it.each([
    ["*.bin", "model.bin", true],
    ["*.bin", "a/model.bin", false],
    ["a/**/b", "a/b", true],
    ["a/**/b", "a/x/y/b", true],
    ["**/b", "x/y/b", true],
    ["**/b", "b", true],
    ["a/**", "a/x/y", true],
    ["a/**", "b/x", false],
    ["a?c", "abc", true],
    ["a?c", "a/c", false],
    ["[ab].txt", "a.txt", true],
    ["[!ab].txt", "c.txt", true],
    ["[!ab].txt", "a.txt", false],
    ["x**y", "xaby", true],
    ["x**y", "xa/y", false],
    ["\\*.txt", "*.txt", true],
    ["\\*.txt", "a.txt", false],
    ["a.(b)+", "a.(b)+", true],
  ])("%s against %s is %s", (pattern, path, expected) => {
    expect(globToRegExp(pattern).test(path)).toBe(expected);
  });
});

describe("LfsAttributes", () => {
  const defaults = new LfsAttributes(defaultGitattributes("model"));

  it.each([
    ["model.bin", true],
    ["deep/dir/model.bin", true],
    ["saved_model/variables/data", true],
    ["saved_model/x", true],
    ["other/saved_model/x", false],
    ["archive.tar.gz", true],
    ["archive.tar.zst", true],
    ["events.out.tfevents.123.host", true],
    ["logs/run/tfevents", true],
    ["config.json", false],
    ["README.md", false],
    ["model.safetensors", true],
    ["bin", false],
  ])("default patterns: %s → %s", (path, expected) => {
    expect(defaults.isLfs(path)).toBe(expected);
  });

  it("lets a later line unset an earlier one, as git does", () => {
    const attributes = new LfsAttributes("*.bin filter=lfs diff=lfs merge=lfs -text\nsmall.bin -filter\n");
    expect(attributes.isLfs("big.bin")).toBe(true);
    expect(attributes.isLfs("small.bin")).toBe(false);
    expect(new LfsAttributes("*.txt filter=lfs\n*.txt filter=other").isLfs("a.txt")).toBe(false);
  });

  it("ignores comments, blank lines, negative and directory patterns", () => {
    const attributes = new LfsAttributes(
      "# *.txt filter=lfs\n\n!*.md filter=lfs\ndir/ filter=lfs\n/top.dat filter=lfs",
    );
    expect(attributes.isLfs("a.txt")).toBe(false);
    expect(attributes.isLfs("dir/x")).toBe(false);
    expect(attributes.isLfs("top.dat")).toBe(true);
    expect(attributes.isLfs("sub/top.dat")).toBe(false);
  });

  it("writes a line that matches exactly the path it was made for", () => {
    for (const path of ["weird [x] *.dat", "sub/dir/a b.bin", "#x!", "plain"]) {
      const attributes = new LfsAttributes(`${lfsAttributeLine(path)}\n`);
      expect(attributes.isLfs(path)).toBe(true);
      expect(attributes.isLfs(`${path}x`)).toBe(false);
    }
  });
});

describe("GitIgnore", () => {
  it("honours nested/* and everything below an ignored directory", () => {
    const ignore = new GitIgnore("nested/*\n");
    expect(ignore.isIgnored("nested/file.txt")).toBe(true);
    expect(ignore.isIgnored("nested/sub/file.txt")).toBe(true);
    expect(ignore.isIgnored("nested")).toBe(false);
    expect(ignore.isIgnored("other/nested/file.txt")).toBe(false);
  });

  it("matches basenames at any depth, directory patterns only on directories, and negation", () => {
    const ignore = new GitIgnore("*.log\n!keep.log\nbuild/\n# comment\n\\#literal\n");
    expect(ignore.isIgnored("a.log")).toBe(true);
    expect(ignore.isIgnored("deep/b.log")).toBe(true);
    expect(ignore.isIgnored("keep.log")).toBe(false);
    expect(ignore.isIgnored("build/out.js")).toBe(true);
    expect(ignore.isIgnored("src/build/out.js")).toBe(true);
    expect(ignore.isIgnored("build")).toBe(false);
    expect(ignore.isIgnored("#literal")).toBe(true);
    expect(ignore.isIgnored("comment")).toBe(false);
  });

  it("cannot re-include a file whose parent directory is ignored", () => {
    const ignore = new GitIgnore("logs/\n!logs/keep.txt\n");
    expect(ignore.isIgnored("logs/keep.txt")).toBe(true);
  });

  it("anchors patterns with a leading slash", () => {
    const ignore = new GitIgnore("/root.txt\n**/cache/**\n");
    expect(ignore.isIgnored("root.txt")).toBe(true);
    expect(ignore.isIgnored("sub/root.txt")).toBe(false);
    expect(ignore.isIgnored("a/cache/b/c")).toBe(true);
  });
});

describe("looksBinary", () => {
  it("is true exactly when the sample has a NUL byte", () => {
    expect(looksBinary(Buffer.from("hello\n"))).toBe(false);
    expect(looksBinary(Buffer.from([0x89, 0x50, 0x00, 0x47]))).toBe(true);
    expect(looksBinary(Buffer.alloc(0))).toBe(false);
  });
});
