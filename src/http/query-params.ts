/** Query parameters as the clients spell them (hub-api.md §1.3). */

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
