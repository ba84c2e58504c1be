/**
 * Credentials are masked before a string reaches a log: token values (`hf_` + 34 letters), the
 * `user:password@` of a URL, and the signature of an LFS transfer href (`sig=`, a capability valid for
 * an hour). The server percent-decodes what it receives, so a token that arrives as `%68f_…`,
 * `h%66_…`, `hf%5F…` or double-encoded `%2568f_…` is as good as the plain one, and is masked too.
 *
 * How: the plain forms by pattern. Then, only when the text holds a `%`, each run of characters a
 * URL keeps literal (plus `%`, and `:`/`@` of a userinfo) that holds a `%` is decoded, again and
 * again up to MAX_DECODES times; when a decoded form holds a token or a `user:password@`, the whole
 * run is replaced. A run still encoded after that many rounds is replaced too: nothing a client sends
 * is legitimately encoded that deep. Runs stop at `/`, `?`, `&`, `=`, quotes and spaces, so the rest of
 * a URL stays readable and a JSON document stays valid.
 *
 * Cost: this runs on every logged request line. Text without `%` costs three regex passes; the
 * decoding is paid only for runs that hold a `%`.
 */
import { TOKEN_PATTERN } from "./domain/token-format.ts";

const TOKEN_REDACTED = "hf_[redacted]";
const REDACTED = "[redacted]";
/**
 * `//user:password@` and `//:password@` (git accepts a token as the password of an empty user). Neither
 * part can cross a `/`, `@` or space, nor the user a `:`, so every scan stops at the next delimiter and
 * a hostile line costs linear time.
 */
const URL_CREDENTIALS = /\/\/[^/@\s"\\:]*:[^/@\s"\\]+@/g;
const LFS_SIGNATURE = /([?&;]sig=)[^&#\s"\\]+/g;
const URL_RUN = /[A-Za-z0-9_.~+:@%-]+/g;
const ESCAPE = /%([0-9A-Fa-f]{2})/g;
const HAS_ESCAPE = /%[0-9A-Fa-f]{2}/;
const TOKEN = new RegExp(TOKEN_PATTERN.source);
/** In a decoded run: `user:password@` with or without the `//` before it, starting at a delimiter. */
const DECODED_CREDENTIALS = /(?:^|[/\s@])[^/@\s:]*:[^/@\s]+@/;
const MAX_DECODES = 4;

export function redactTokens(text: string): string {
  const plain = text
    .replace(TOKEN_PATTERN, TOKEN_REDACTED)
    .replace(URL_CREDENTIALS, "//[redacted]@")
    .replace(LFS_SIGNATURE, `$1${REDACTED}`);
  return plain.includes("%") ? plain.replace(URL_RUN, redactEncodedRun) : plain;
}

function redactEncodedRun(run: string): string {
  if (!run.includes("%")) return run;
  let decoded = run;
  for (let round = 0; round < MAX_DECODES; round++) {
    if (!HAS_ESCAPE.test(decoded)) return run;
    decoded = decoded.replace(ESCAPE, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    if (TOKEN.test(decoded) || DECODED_CREDENTIALS.test(decoded)) return REDACTED;
  }
  return HAS_ESCAPE.test(decoded) ? REDACTED : run;
}

/**
 * The same for the string values of a log call's object (one level: `{ url, stderr }`), copied only
 * when something changed. Nested objects go through their serializers (`err`, `req`).
 */
export function redactFields<T extends object>(fields: T): T {
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== "string") continue;
    const clean = redactTokens(value);
    if (clean === value) continue;
    copy ??= { ...(fields as Record<string, unknown>) };
    copy[key] = clean;
  }
  return (copy ?? fields) as T;
}
