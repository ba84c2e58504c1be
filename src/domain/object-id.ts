import { randomBytes } from "node:crypto";

/** A Mongo-style 24-hex id, as the Hub gives every entity (`_id`). */
export function newObjectId(): string {
  return randomBytes(12).toString("hex");
}
