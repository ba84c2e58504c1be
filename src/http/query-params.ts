/** Query parameters as the clients spell them (hub-api.md §1.3), and the pagination ones (§1.7). */
import { HubError } from "../errors.ts";

/** Booleans: `true`, `True`, `1`; a repeated key counts by its last value. */
export function parseBoolean(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) return parseBoolean(value[value.length - 1]);
  return typeof value === "string" && (value.toLowerCase() === "true" || value === "1");
}

/** A repeatable key in either spelling (`expand=a&expand=b` or `expand[]=a`), as a list. */
export function queryList(query: unknown, key: string): string[] {
  const q = query as Record<string, unknown>;
  return [q[key], q[`${key}[]`]].flat().filter((v): v is string => typeof v === "string");
}

/**
 * Offsets and page numbers are clamped to this: it is past the end of anything Berth lists, it is
 * git's own limit for `--skip` (an int: beyond it git silently skips nothing), and SQL takes it.
 */
export const MAX_OFFSET = 2 ** 31 - 1;

/**
 * A page size: absent (or empty) → `fallback`; a positive integer → at most `max`, since a larger ask is
 * served in pages as `Link` allows; anything else (`0`, `-1`, `abc`, `1e3`, a repeated key) is a 400.
 */
export function parsePageSize(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const count = parseCount(value, name, "a positive integer");
  if (count === 0) throw invalidCount(value, name, "a positive integer");
  return Math.min(count, max);
}

/**
 * A page number or an offset: absent (or empty) → 0; a non-negative integer of any size, clamped to
 * MAX_OFFSET, so a page past the end is an empty page; anything else is a 400, never the first page.
 */
export function parseOffset(value: unknown, name: string): number {
  if (value === undefined || value === "") return 0;
  return Math.min(parseCount(value, name, "a non-negative integer"), MAX_OFFSET);
}

function parseCount(value: unknown, name: string, expected: string): number {
  if (typeof value !== "string" || !/^[0-9]+$/.test(value)) throw invalidCount(value, name, expected);
  return Number(value);
}

function invalidCount(value: unknown, name: string, expected: string): HubError {
  const shown = typeof value === "string" ? `"${value.slice(0, 40)}"` : "(given more than once)";
  return new HubError("BadRequest", `Invalid ${name} ${shown}: expected ${expected}`);
}
