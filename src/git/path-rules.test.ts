import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeRawTree } from "../../test/helpers/raw-tree.ts";
import { defaultGitattributes } from "../domain/gitattributes.ts";
import { gitOrThrow, runGit } from "./git-command.ts";
import { GitIgnore, globToRegExp, LfsAttributes, lfsAttributeLine, looksBinary, pathProblem } from "./path-rules.ts";

const REFUSED: ReadonlyArray<readonly [string, string]> = [
  // Berth's own rules
  ["", "Path is empty"],
  ["..\\ddd", "Path contains a backslash"],
  ["a\\b", "Path contains a backslash"],
  ["/abs", "Path is absolute"],
  ["a//b", "Path has an empty segment"],
  ["a/", "Path has an empty segment"],
  ["a\0b", "Path contains a control character"],
  ["a\nb", "Path contains a control character"],
  ["\ud800x", "Path is not valid Unicode"],
  [`${"x".repeat(256)}/a`, "Path has a segment longer than 255 bytes"],
  [`${"a/".repeat(2048)}b`, "Path is longer than 4096 bytes"],
  // git's verify_path
  ["../x", 'Path has a ".." segment'],
  ["a/../b", 'Path has a ".." segment'],
  ["a/..", 'Path has a ".." segment'],
  ["./a", 'Path has a "." segment'],
  [".git", "Path has a .git component"],
  [".git/config", "Path has a .git component"],
  ["sub/.git/hooks/x", "Path has a .git component"],
  [".GIT/config", "Path has a .git component"],
  [".gIt/x", "Path has a .git component"],
  // NTFS: trailing dots and spaces, short names, alternate data streams
  [".git.", "Path has a component that Windows reads as .git"],
  [".git..", "Path has a component that Windows reads as .git"],
  [".gIt ", "Path has a component that Windows reads as .git"],
  [".git . /config", "Path has a component that Windows reads as .git"],
  ["git~1", "Path has a component that Windows reads as .git"],
  ["GIT~1/config", "Path has a component that Windows reads as .git"],
  ["sub/git~1./hooks/x", "Path has a component that Windows reads as .git"],
  [".git~1/x", "Path has a component that Windows reads as .git"],
  [".GIT~1", "Path has a component that Windows reads as .git"],
  [".git::$INDEX_ALLOCATION/config", "Path has a component that Windows reads as .git"],
  [".git:stream", "Path has a component that Windows reads as .git"],
  ["git~1::$INDEX_ALLOCATION", "Path has a component that Windows reads as .git"],
  // HFS+: ignorable code points, any ASCII case
  [".g\u200cit/config", "Path has a component that macOS reads as .git"],
  ["\u200d.git", "Path has a component that macOS reads as .git"],
  [".\u200eg\u200fi\u202at\u202b", "Path has a component that macOS reads as .git"],
  [".g\u202ci\u202dt\u202e/x", "Path has a component that macOS reads as .git"],
  [".\u206ag\u206bi\u206ct\u206d\u206e\u206f", "Path has a component that macOS reads as .git"],
  [".GI\ufeffT", "Path has a component that macOS reads as .git"],
];

const ACCEPTED: readonly string[] = [
  "README.md",
  ".gitattributes",
  ".gitignore",
  ".gitkeep",
  ".gitmodules",
  ".github/workflows/x.yml",
  "a/b/c.bin",
  "dir with space/file name.txt",
  "ünïcødé/日本.txt",
  "modèle/权重.bin",
  "..foo",
  "a..b",
  ".github/x",
  "#hash",
  "git~2",
  "git~10",
  ".git~2",
  "foo.git",
  "git",
  ".git-blame-ignore-revs",
  ".gitx",
  "x.git.",
  ".g\u200cit.",
  // Not ASCII: git compares these names byte for byte past the ignored code points.
  ".g\u0130t",
  ".gıt",
  // Dotted variants of .gitmodules are only refused for symlinks.
  "gitmod~1",
  ".gitmodules.",
];

const REFUSED_SYMLINKS: readonly string[] = [
  ".gitmodules",
  "sub/.gitmodules",
  ".GITMODULES",
  ".gitmodules.",
  ".gitmodules ",
  ".gitmodules::$DATA",
  "gitmod~1",
  "GITMOD~4",
  "gi7eba~1",
  "gi7eb~12",
  "GI7EBA~9",
  "gi~12345",
  ".gitmod\u200cules",
];

const ACCEPTED_SYMLINKS: readonly string[] = [
  ".gitattributes",
  "gitmod~5",
  "gi7eba~0",
  "gi7ebb~1",
  "gi7eba~1x",
  "gi7eba1~1",
  ".gitmodulesx",
  "link",
  ".gitmodules/x",
];

describe("pathProblem", () => {
  it.each(REFUSED)("refuses %j: %s", (path, reason) => {
    expect(pathProblem(path)).toBe(reason);
  });

  it.each(ACCEPTED)("accepts %j", (path) => {
    expect(pathProblem(path)).toBeUndefined();
  });

  it.each(REFUSED_SYMLINKS)("refuses the symlink %j", (path) => {
    expect(pathProblem(path, { symlink: true })).toBe("Path is a symbolic link named .gitmodules");
  });

  it.each(ACCEPTED_SYMLINKS)("accepts the symlink %j", (path) => {
    expect(pathProblem(path, { symlink: true })).toBeUndefined();
  });

  it("refuses exactly the names git's fsck calls `.`, `..`, .git or a .gitmodules symlink, and .git~1 besides", async () => {
    // Single names only, and none that Berth's own rules refuse (backslash, control characters).
    const names = [
      ...new Set([...REFUSED.map(([path]) => path), ...ACCEPTED, ...REFUSED_SYMLINKS, ...ACCEPTED_SYMLINKS]),
    ].filter((name) => name !== "" && name.length < 100 && !/[/\\]|\p{Cc}|\p{Cs}/u.test(name));
    const dir = mkdtempSync(path.join(tmpdir(), "berth-path-rules-"));
    try {
      await gitOrThrow(["init", "--quiet", "--bare", dir]);
      const blob = (await gitOrThrow(["hash-object", "-w", "--stdin"], { cwd: dir, input: "x" })).toString().trim();
      const cases = [];
      for (const name of names) {
        for (const mode of ["100644", "120000"]) {
          cases.push({ name, mode, tree: await writeRawTree(dir, [{ mode, name, oid: blob }]) });
        }
      }
      const fsck = await runGit(["fsck", "--strict", "--no-dangling"], { cwd: dir });
      const report = fsck.stdout.toString("utf8") + fsck.stderr;
      const flagged = new Set(
        [...report.matchAll(/in tree ([0-9a-f]{40}): (?:hasDot|hasDotdot|hasDotgit|gitmodulesSymlink):/g)].map(
          (m) => m[1],
        ),
      );
      expect(flagged.size).toBeGreaterThan(10);
      const disagreements = cases
        .filter((c) => flagged.has(c.tree) !== (pathProblem(c.name, { symlink: c.mode === "120000" }) !== undefined))
        .map((c) => `${c.mode} ${c.name}`);
      expect(disagreements.sort()).toEqual(["100644 .GIT~1", "120000 .GIT~1"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
