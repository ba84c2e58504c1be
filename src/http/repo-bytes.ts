/**
 * Headers for every answer that serves a repository's bytes (`resolve`, `raw`, the signed LFS download)
 * and for the errors of those routes. A repo may hold HTML, SVG or script, and Berth's origin also holds
 * the session cookie and the web pages, so none of those bytes may ever run as a page of that origin:
 *
 * - `X-Content-Type-Options: nosniff`: the browser keeps the type Berth sends and never guesses HTML.
 * - `Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; sandbox`: whatever a
 *   browser renders runs in an opaque origin (no cookie, no storage, no same-origin requests), with no
 *   script, form, plugin or subresource. An image still displays inline, and text still reads; the
 *   inline style is there only for the browser's own image viewer, and can fetch nothing. (The policy
 *   of raw.githubusercontent.com, which has the same problem.)
 * - `Content-Disposition`: `attachment` for types that are active in a browser (HTML, XHTML, XML, SVG,
 *   script) by their name's extension, and for any type Berth does not know to be passive; `inline`
 *   otherwise. The name goes in both `filename` (printable ASCII, anything else as `_`) and `filename*`
 *   (RFC 5987 UTF-8 percent-encoding), so quotes, non-ASCII, `;` or CR/LF cannot break the header.
 *
 * None of this changes the bytes or the headers the clients read (ETag, X-Repo-Commit, Content-Length,
 * Content-Range); no client depends on these three (Python may label a progress bar with `filename`).
 */
import type { FastifyReply, FastifyRequest } from "fastify";

export const REPO_BYTES_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

const ACTIVE_EXTENSIONS = new Set([
  "htm",
  "html",
  "shtml",
  "xht",
  "xhtml",
  "mht",
  "mhtml",
  "xml",
  "xsl",
  "xslt",
  "rdf",
  "svg",
  "svgz",
  "js",
  "mjs",
  "cjs",
  "swf",
]);
/** What Berth serves and a browser only displays. Anything else is downloaded. */
const PASSIVE_TYPES = new Set([
  "application/octet-stream",
  "application/json",
  "text/plain",
  "text/markdown",
  "text/csv",
]);
/** RFC 5987 attr-char: what `filename*` may carry unencoded. */
const ATTR_CHAR = /^[A-Za-z0-9!#$&+.^_`|~-]$/;

/**
 * For every answer of a route serving repository bytes, errors included: an `onSend` hook, so even a
 * refusal raised before the route's own hooks (a bad credential, in the app's `onRequest`) carries it.
 */
export function guardRepoBytes(
  _request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (error: null, payload: unknown) => void,
): void {
  reply.header("X-Content-Type-Options", "nosniff");
  reply.header("Content-Security-Policy", REPO_BYTES_CSP);
  done(null, payload);
}

/** `Content-Disposition` for a file of a repo (its path's last segment) served as `contentType`. */
export function contentDisposition(fileName: string, contentType: string): string {
  const dot = fileName.lastIndexOf(".");
  const extension = dot < 0 ? "" : fileName.slice(dot + 1).toLowerCase();
  const type = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  const disposition = ACTIVE_EXTENSIONS.has(extension) || !PASSIVE_TYPES.has(type) ? "attachment" : "inline";
  return `${disposition}; ${fileNameParameters(fileName)}`;
}

/** `filename="…"; filename*=UTF-8''…`: an ASCII fallback for old agents, the exact name for the rest. */
export function fileNameParameters(fileName: string): string {
  // `%` and `\` go too: some agents decode escapes in the plain parameter, and quoted-pair is unreliable.
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  let encoded = "";
  for (const byte of Buffer.from(fileName, "utf8")) {
    const char = String.fromCharCode(byte);
    encoded += ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
