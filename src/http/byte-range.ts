/**
 * One `Range: bytes=…` header against a file of `size` bytes (RFC 9110 §14), as resolve and raw serve
 * it: `a-b`, `a-` and `-n`. Several ranges or a malformed header are ignored (the whole file is sent,
 * which the RFC allows); a well-formed range that misses the file is unsatisfiable (416).
 */
export type RangeResult =
  | { readonly type: "none" }
  | { readonly type: "unsatisfiable" }
  | { readonly type: "range"; readonly start: number; readonly end: number };

export function parseByteRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { type: "none" };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { type: "none" };
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return { type: "none" };
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { type: "unsatisfiable" };
    return { type: "range", start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return { type: "none" };
  if (start >= size) return { type: "unsatisfiable" };
  return { type: "range", start, end };
}
