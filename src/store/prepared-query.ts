import { randomUUID } from "node:crypto";
import type { Compilable, CompiledQuery } from "kysely";
import type { Db } from "./db.ts";

/**
 * A query built and compiled once per database, then run with a new argument each time. Kysely
 * rebuilds and recompiles a query on every call, which on the request hot path (the token check, the
 * repo lookup) costs more than SQLite's indexed lookup itself. The argument is found in the compiled
 * parameters by a one-off marker, so the SQL stays Kysely's and parameterised.
 */
export function preparedQuery<Row>(
  build: (db: Db, argument: string) => Compilable<Row>,
): (db: Db, argument: string) => Promise<Row[]> {
  const compiled = new WeakMap<Db, { query: CompiledQuery<Row>; index: number }>();
  return async (db, argument) => {
    let entry = compiled.get(db);
    if (!entry) {
      const marker = `prepared-${randomUUID()}`;
      const query = build(db, marker).compile();
      const index = query.parameters.indexOf(marker);
      if (index < 0 || query.parameters.lastIndexOf(marker) !== index) {
        throw new Error("a prepared query must use its argument exactly once");
      }
      entry = { query, index };
      compiled.set(db, entry);
    }
    const parameters = [...entry.query.parameters];
    parameters[entry.index] = argument;
    return (await db.executeQuery<Row>({ ...entry.query, parameters })).rows;
  };
}
