/**
 * Splitting the raw URL tail of `resolve`, `raw`, `tree`, `commits`, `branch` and `tag` into a revision and
 * a path (hub-api.md §1.2). Pure: the caller hands over the still-encoded tail and, when the revision may
 * span several segments, the names of the repo's refs.
 *
 * Clients send the revision percent-encoded (`refs%2Fpr%2F1`, one segment) or raw (`refs/pr/1`, JS tree
 * and commits), so the tail is split on literal `/` first and each segment is decoded afterwards. A raw
 * multi-segment revision is recognised by prefix: `refs/pr/<n>`, `refs/convert/<name>`, and any existing
 * ref name containing `/`; the longest match wins, and the rest is the path.
 */
import { HubError } from "../errors.ts";

export interface RevisionPath {
  readonly revision: string;
  /** Decoded path inside the repo; "" for the root. */
  readonly path: string;
}

const PR_OR_CONVERT = /^refs\/(pr\/[0-9]+|convert\/[^/]+)$/;

/** Decodes one URL segment; a malformed escape is the client's mistake, not ours. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HubError("BadRequest", "Malformed percent-encoding in the URL");
  }
}

/** Why a decoded in-repo path cannot name anything, or undefined. */
export function readPathProblem(path: string): string | undefined {
  if (path.includes("\0")) return "Path contains NUL";
  if (path.includes("\\")) return "Path contains a backslash";
  if (path === "") return undefined;
  for (const segment of path.split("/")) {
    if (segment === "") return "Path has an empty segment";
    if (segment === "." || segment === "..") return `Path has a "${segment}" segment`;
  }
  return undefined;
}

/** A revision that can name nothing (NUL, backslash, `..`): RevisionNotFound without asking git. */
export function isPlausibleRevision(revision: string): boolean {
  return (
    revision.length > 0 &&
    revision.length <= 255 &&
    !revision.includes("\0") &&
    !revision.includes("\\") &&
    !revision.includes("..")
  );
}

/** True when the tail's revision might span several raw segments, so the caller should list the refs. */
export function mayHaveMultiSegmentRevision(rawTail: string): boolean {
  const tail = stripQuery(rawTail);
  const slash = tail.indexOf("/");
  if (slash < 0) return false;
  return !decodeSegment(tail.slice(0, slash)).includes("/") && slash < tail.length - 1;
}

function stripQuery(raw: string): string {
  const q = raw.indexOf("?");
  return q < 0 ? raw : raw.slice(0, q);
}

/**
 * Splits `rawTail` (everything after `/resolve/`, still percent-encoded, query allowed) into revision and
 * path. `refNames` are the repo's branch and tag names (short) and full ref names; only names containing
 * `/` matter. Throws BadRequest for a path that cannot name anything inside the repo, RevisionNotFound
 * for an empty or impossible revision.
 */
export function parseRevisionPath(rawTail: string, refNames: Iterable<string> = []): RevisionPath {
  const tail = stripQuery(rawTail);
  const raw = tail.split("/");
  // A trailing slash (`/tree/main/`) names the same thing as none.
  if (raw.length > 1 && raw[raw.length - 1] === "") raw.pop();
  const segments = raw.map(decodeSegment);
  const first = segments[0] ?? "";

  let take = 1;
  if (!first.includes("/") && segments.length > 1) {
    const known = new Set<string>();
    for (const name of refNames) if (name.includes("/")) known.add(name);
    let prefix = first;
    for (let i = 1; i < segments.length; i++) {
      prefix = `${prefix}/${segments[i]}`;
      if (known.has(prefix) || PR_OR_CONVERT.test(prefix)) take = i + 1;
    }
  }
  const revision = segments.slice(0, take).join("/");
  if (!isPlausibleRevision(revision)) {
    throw new HubError("RevisionNotFound", `Invalid rev id: ${revision.slice(0, 100)}`);
  }
  const path = segments.slice(take).join("/");
  const problem = readPathProblem(path);
  if (problem) throw new HubError("BadRequest", `Invalid path: ${problem}`);
  return { revision, path };
}

/** The whole tail as one revision (`commits/`, `paths-info/`, `branch/`, `tag/`): raw or encoded. */
export function parseRevisionOnly(rawTail: string): string {
  const tail = stripQuery(rawTail).replace(/\/+$/, "");
  return tail.split("/").map(decodeSegment).join("/");
}

/**
 * Why a new branch or tag name is refused, or undefined. Git's ref-format rules, narrowed to the
 * characters the storage layer resolves, and never a name that reads as a full ref or a commit id.
 */
export function refNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 200) return "must have 1 to 200 characters";
  if (!/^[A-Za-z0-9._/-]+$/.test(name)) return "may only contain letters, digits, '.', '_', '-' and '/'";
  if (name.startsWith("refs/") || name === "refs") return "must not start with refs/";
  if (name === "HEAD" || /^[0-9a-f]{40}$/.test(name)) return "must not look like HEAD or a commit id";
  if (name.startsWith("-") || name.startsWith("/") || name.endsWith("/") || name.endsWith(".")) {
    return "must not start with '-' or '/' nor end with '/' or '.'";
  }
  if (name.includes("..") || name.includes("//")) return "must not contain '..' or '//'";
  for (const component of name.split("/")) {
    if (component.startsWith(".") || component.endsWith(".lock")) {
      return "no component may start with '.' or end with '.lock'";
    }
  }
  return undefined;
}
