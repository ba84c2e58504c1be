/**
 * The one error type. Codes are the Hub's vocabulary where the clients know one (they read
 * `X-Error-Code` for RepoNotFound, RevisionNotFound, EntryNotFound and GatedRepo) and Berth's own
 * otherwise. `wireCode` says whether the code goes out in `X-Error-Code`: the Hub sends none for a bad
 * credential or a plain 403, and Python turns a bare 401 into "Invalid credentials" only without one.
 */
export type ErrorCode =
  | "RepoNotFound"
  | "RepoMoved"
  | "RevisionNotFound"
  | "EntryNotFound"
  | "GatedRepo"
  | "InvalidCredentials"
  | "AuthRequired"
  | "ScopeMissing"
  | "Forbidden"
  | "BadRequest"
  | "NotFound"
  | "Conflict"
  | "RateLimited"
  | "PayloadTooLarge"
  | "UnsupportedMediaType"
  | "Unprocessable"
  | "RequestTimeout"
  | "Busy"
  | "Internal";

const statusByCode: Record<ErrorCode, number> = {
  RepoNotFound: 404,
  RepoMoved: 307,
  RevisionNotFound: 404,
  EntryNotFound: 404,
  GatedRepo: 403,
  InvalidCredentials: 401,
  AuthRequired: 401,
  ScopeMissing: 403,
  Forbidden: 403,
  BadRequest: 400,
  NotFound: 404,
  Conflict: 409,
  RateLimited: 429,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  Unprocessable: 422,
  RequestTimeout: 408,
  Busy: 503,
  Internal: 500,
};

const wireCodes = new Set<ErrorCode>(["RepoNotFound", "RevisionNotFound", "EntryNotFound", "GatedRepo"]);

export interface HubErrorOptions {
  /** Overrides the table, e.g. 401 for RepoNotFound to an anonymous caller. */
  status?: number;
  cause?: unknown;
  headers?: Record<string, string>;
  /** For RepoMoved: the old and new `ns/name`; the HTTP layer rewrites the request path with them. */
  moved?: { from: string; to: string };
  /**
   * What `X-Error-Message` says when it must differ from the body's `error`: a client that matches the
   * header exactly (Python on `Invalid credentials in Authorization header`) keeps its behaviour, and the
   * body tells the human more.
   */
  headerMessage?: string;
}

export class HubError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly moved: { from: string; to: string } | undefined;
  readonly headerMessage: string | undefined;

  constructor(code: ErrorCode, message: string, options: HubErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "HubError";
    this.code = code;
    this.status = options.status ?? statusByCode[code];
    this.headers = options.headers ?? {};
    this.moved = options.moved;
    this.headerMessage = options.headerMessage;
  }

  /** The value of `X-Error-Code`, or undefined when the Hub would send none. */
  get wireCode(): string | undefined {
    return wireCodes.has(this.code) ? this.code : undefined;
  }
}

export const INVALID_CREDENTIALS = "Invalid credentials in Authorization header";
