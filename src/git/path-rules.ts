/**
 * Rules about paths inside a repo, pure so they can be checked before anything is written:
 * which paths may be written at all (no escape from the repo, nothing git itself would refuse), which
 * paths `.gitattributes` sends to LFS, and which paths a `.gitignore` ignores.
 *
 * Pattern matching follows git's wildmatch with the pathname flag: `*` and `?` never cross a `/`,
 * `**` spans directories only when it stands between slashes (or at either end), a pattern without
 * a slash matches the basename at any depth, and one with a slash is anchored at the repo root.
 */

const MAX_PATH_BYTES = 4096;
const MAX_SEGMENT_BYTES = 255;

/**
 * Why a path may not be written, or undefined when it may. The one set of rules for every way in: the
 * commit API, preupload, the files of a new repo, and every path a git push introduces (the pre-receive
 * hook), so a push cannot store what the API refuses. They are Berth's own (nothing a tree, a URL or a
 * checkout on any platform could mangle), then git's: `verify_path` of read-cache.c (no `.`, `..` or
 * `.git` component, `.git` in any case), and the aliases of `.git` that NTFS and HFS+ resolve, from git's
 * `is_ntfs_dotgit` and `is_hfs_dotgit`, so a clone on Windows or macOS never writes into its own `.git`.
 * `symlink`: the path is a symbolic link, which must not be a `.gitmodules` under any alias (git would
 * read submodule settings through it).
 */
export function pathProblem(path: string, options: { symlink?: boolean } = {}): string | undefined {
  if (path.length === 0) return "Path is empty";
  if (Buffer.byteLength(path, "utf8") > MAX_PATH_BYTES) return `Path is longer than ${MAX_PATH_BYTES} bytes`;
  // NUL and other control characters cannot be stored faithfully in a tree or quoted in git's streams.
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return "Path contains a control character";
  }
  if (path.includes("\\")) return "Path contains a backslash";
  if (path.startsWith("/")) return "Path is absolute";
  if (/\p{Cs}/u.test(path)) return "Path is not valid Unicode";
  const segments = path.split("/");
  for (const segment of segments) {
    if (segment === "") return "Path has an empty segment";
    if (segment === "." || segment === "..") return `Path has a "${segment}" segment`;
    // Case-insensitively: on a case-insensitive checkout `.GIT` is the repository directory.
    if (asciiLowerCase(segment) === ".git") return "Path has a .git component";
    if (isNtfsDotGit(segment)) return "Path has a component that Windows reads as .git";
    if (isHfsDot(segment, "git")) return "Path has a component that macOS reads as .git";
    if (Buffer.byteLength(segment, "utf8") > MAX_SEGMENT_BYTES) return "Path has a segment longer than 255 bytes";
  }
  const last = segments[segments.length - 1] as string;
  if (options.symlink && (isNtfsDotGitmodules(last) || isHfsDot(last, "gitmodules"))) {
    return "Path is a symbolic link named .gitmodules";
  }
  return undefined;
}

/** git lowercases only ASCII when it compares these names; so must we, or `İ` would pass for `i`. */
function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * NTFS drops trailing dots and spaces, opens an alternate data stream after `:`, and gives `.git` the
 * short name `GIT~1`: git's `is_ntfs_dotgit`. `.git~1` too, which git allows but nothing needs. Without
 * the `u` flag, `i` never matches a non-ASCII letter to an ASCII one.
 */
const NTFS_DOTGIT = /^(?:\.git|git~1|\.git~1)[. ]*(?::|$)/i;

function isNtfsDotGit(segment: string): boolean {
  return NTFS_DOTGIT.test(segment);
}

/** git's `is_ntfs_dotgitmodules`: the long name, the short `gitmod~1`…`~4`, and the hashed short name. */
function isNtfsDotGitmodules(segment: string): boolean {
  return /^(?:\.gitmodules|gitmod~[1-4])[. ]*(?::|$)/i.test(segment) || isNtfsHashedShortName(segment, "gi7eba");
}

/**
 * The fall-back 8.3 name NTFS makes when `~1`…`~4` are taken: up to six characters of a hash-derived
 * prefix, `~`, a number, eight characters in all (git's `is_ntfs_dot_generic`, ported as is).
 */
function isNtfsHashedShortName(name: string, prefix: string): boolean {
  let i = 0;
  let sawTilde = false;
  for (; i < 8; i++) {
    const c = name[i];
    if (c === undefined) return false;
    if (sawTilde) {
      if (c < "0" || c > "9") return false;
    } else if (c === "~") {
      i++;
      const digit = name[i];
      if (digit === undefined || digit < "1" || digit > "9") return false;
      sawTilde = true;
    } else if (i >= 6 || c.charCodeAt(0) > 0x7f || asciiLowerCase(c) !== prefix[i]) return false;
  }
  return /^[. ]*(?::|$)/.test(name.slice(i));
}

/** Code points HFS+ ignores in names, so `.g\u200cit` is `.git` there (git's `next_hfs_char`). */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/** git's `is_hfs_dot_generic`: `.` + `needle` once the ignored code points are gone, ASCII case ignored. */
function isHfsDot(segment: string, needle: string): boolean {
  return asciiLowerCase(segment.replace(HFS_IGNORED, "")) === `.${needle}`;
}

/** A folder path as clients send it (`old/` from Python), without its trailing slashes. */
export function folderPath(path: string): string {
  return path.replace(/\/+$/, "");
}

/** Compiles one wildmatch pattern to a regular expression matching a whole path. */
export function globToRegExp(pattern: string): RegExp {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "*") {
      let j = i;
      while (pattern[j] === "*") j++;
      const atStart = i === 0 || pattern[i - 1] === "/";
      const atEnd = j === pattern.length || pattern[j] === "/";
      if (j - i >= 2 && atStart && atEnd) {
        if (j === pattern.length) out += ".*";
        else {
          out += "(?:.*/)?";
          j++; // the slash after `**` is part of the "zero or more directories"
        }
      } else out += "[^/]*";
      i = j;
    } else if (c === "?") {
      out += "[^/]";
      i++;
    } else if (c === "[") {
      const parsed = parseClass(pattern, i);
      if (parsed) {
        out += parsed.source;
        i = parsed.end;
      } else {
        out += "\\[";
        i++;
      }
    } else if (c === "\\" && i + 1 < pattern.length) {
      out += escapeRegExp(pattern[i + 1] as string);
      i += 2;
    } else {
      out += escapeRegExp(c);
      i++;
    }
  }
  return new RegExp(`^${out}$`, "s");
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: "a-zA-Z0-9",
  alpha: "a-zA-Z",
  digit: "0-9",
  lower: "a-z",
  upper: "A-Z",
  space: "\\s",
  blank: " \\t",
  xdigit: "0-9a-fA-F",
  punct: "!-\\/:-@\\[-`{-~",
};

function parseClass(pattern: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === "!" || pattern[i] === "^") {
    negate = true;
    i++;
  }
  let body = "";
  let first = true;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "]" && !first) return { source: `[${negate ? "^/" : ""}${body}]`, end: i + 1 };
    const posix = /^\[:([a-z]+):\]/.exec(pattern.slice(i));
    if (posix && POSIX_CLASSES[posix[1] as string] !== undefined) {
      body += POSIX_CLASSES[posix[1] as string];
      i += posix[0].length;
    } else if (c === "\\" && i + 1 < pattern.length) {
      body += `\\${pattern[i + 1]}`;
      i += 2;
    } else {
      body += c === "-" ? "-" : /[\]\\^[]/.test(c) ? `\\${c}` : c;
      i++;
    }
    first = false;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

interface CompiledPattern {
  readonly regex: RegExp;
  /** Matched against the whole path; otherwise against the basename. */
  readonly anchored: boolean;
}

function compile(raw: string): CompiledPattern {
  let pattern = raw;
  const anchored = pattern.includes("/");
  if (pattern.startsWith("/")) pattern = pattern.slice(1);
  return { regex: globToRegExp(pattern), anchored };
}

function matches(pattern: CompiledPattern, path: string): boolean {
  const subject = pattern.anchored ? path : path.slice(path.lastIndexOf("/") + 1);
  return pattern.regex.test(subject);
}

interface AttributeRule {
  readonly pattern: CompiledPattern;
  /** true: `filter=lfs`; false: filter unset or set to something else. */
  readonly lfs: boolean;
}

/** The `filter` rules of a `.gitattributes`; the last matching rule decides, as in git. */
export class LfsAttributes {
  readonly #rules: readonly AttributeRule[];

  constructor(gitattributes: string) {
    const rules: AttributeRule[] = [];
    for (const line of gitattributes.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed === "" || trimmed.startsWith("#")) continue;
      const [pattern, ...attributes] = trimmed.split(/\s+/);
      // Negative patterns are forbidden in gitattributes; a trailing slash never matches a file.
      if (!pattern || pattern.startsWith("!") || pattern.endsWith("/")) continue;
      let lfs: boolean | undefined;
      for (const attribute of attributes) {
        if (attribute === "filter=lfs") lfs = true;
        else if (attribute.startsWith("filter=") || attribute === "-filter" || attribute === "!filter") lfs = false;
      }
      if (lfs !== undefined) rules.push({ pattern: compile(pattern), lfs });
    }
    this.#rules = rules;
  }

  isLfs(path: string): boolean {
    for (let i = this.#rules.length - 1; i >= 0; i--) {
      const rule = this.#rules[i] as AttributeRule;
      if (matches(rule.pattern, path)) return rule.lfs;
    }
    return false;
  }
}

/** The line a `.gitattributes` gets so that `path` is stored with LFS (special characters escaped). */
export function lfsAttributeLine(path: string): string {
  const escaped = path.replace(/[\\*?[\]!#\s]/g, (c) => (c === " " ? "[[:space:]]" : `\\${c}`));
  return `${escaped} filter=lfs diff=lfs merge=lfs -text`;
}

interface IgnoreRule {
  readonly pattern: CompiledPattern;
  readonly negate: boolean;
  readonly directoryOnly: boolean;
}

/** A root `.gitignore`: whether a file path is ignored, including through an ignored parent directory. */
export class GitIgnore {
  readonly #rules: readonly IgnoreRule[];

  constructor(gitignore: string) {
    const rules: IgnoreRule[] = [];
    for (const line of gitignore.split(/\r?\n/)) {
      // Trailing spaces are dropped unless escaped with a backslash.
      let pattern = line.replace(/(?<!\\)\s+$/, "");
      if (pattern === "" || pattern.startsWith("#")) continue;
      let negate = false;
      if (pattern.startsWith("!")) {
        negate = true;
        pattern = pattern.slice(1);
      } else if (pattern.startsWith("\\!") || pattern.startsWith("\\#")) pattern = pattern.slice(1);
      const directoryOnly = pattern.endsWith("/");
      if (directoryOnly) pattern = pattern.replace(/\/+$/, "");
      if (pattern === "") continue;
      rules.push({ pattern: compile(pattern), negate, directoryOnly });
    }
    this.#rules = rules;
  }

  #decide(path: string, isDirectory: boolean): boolean | undefined {
    for (let i = this.#rules.length - 1; i >= 0; i--) {
      const rule = this.#rules[i] as IgnoreRule;
      if (rule.directoryOnly && !isDirectory) continue;
      if (matches(rule.pattern, path)) return !rule.negate;
    }
    return undefined;
  }

  isIgnored(path: string): boolean {
    const segments = path.split("/");
    // git never looks inside an excluded directory, so a negation cannot re-include a file below it.
    for (let depth = 1; depth < segments.length; depth++) {
      if (this.#decide(segments.slice(0, depth).join("/"), true) === true) return true;
    }
    return this.#decide(path, false) === true;
  }
}

/** Whether the first bytes of a file look binary: git's own heuristic is a NUL byte. */
export function looksBinary(sample: Buffer): boolean {
  return sample.includes(0);
}
