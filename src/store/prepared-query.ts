import { randomUUID } from "node:crypto";
import type { Compilable, CompiledQuery } from "kysely";
import type { Db } from "./db.ts";

/**
 * A query built and compiled once per database, then run with new arguments each time. Kysely
 * rebuilds and recompiles a query on every call, which on the request hot path (the token check, the
 * repo lookup, last-used writes) costs more than SQLite's indexed lookup itself. Each argument is found
 * in the compiled parameters by a one-off marker, so the SQL stays Kysely's and parameterised.
 */
export function preparedQuery<Row, Args extends unknown[]>(
  build: (db: Db, ...markers: string[]) => Compilable<Row>,
): (db: Db, ...args: Args) => Promise<Row[]> {
  const arity = build.length - 1;
  const compiled = new WeakMap<Db, { query: CompiledQuery<Row>; positions: number[] }>();
  return async (db, ...args) => {
    let entry = compiled.get(db);
    if (!entry) {
      const markers = Array.from({ length: arity }, () => `prepared-${randomUUID()}`);
      const query = build(db, ...markers).compile();
      const positions = markers.map((marker) => {
        const index = query.parameters.indexOf(marker);
        if (index < 0 || query.parameters.lastIndexOf(marker) !== index) {
          throw new Error("a prepared query must use each of its arguments exactly once");
        }
        return index;
      });
      entry = { query, positions };
      compiled.set(db, entry);
    }
    const parameters = [...entry.query.parameters];
    entry.positions.forEach((position, i) => {
      parameters[position] = args[i];
    });
    return (await db.executeQuery<Row>({ ...entry.query, parameters })).rows;
  };
}
