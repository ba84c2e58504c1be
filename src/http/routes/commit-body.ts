/**
 * The body of an API commit (hub-api.md §8.4): NDJSON lines (what JS and Python send) or the older JSON
 * object form, as a header and the operations for git/commit-writer.ts.
 *
 * NDJSON is read as a stream, one line at a time: each file's base64 is decoded the moment its line
 * is complete and the line's text is dropped, so a commit holds its decoded contents and one line at
 * most, not the raw body, its text and its JSON besides (a 256 MiB body costs about 200 MiB, not 800).
 */
import type { Readable } from "node:stream";
import { z } from "zod";
import { HubError } from "../../errors.ts";
import type { CommitOperation } from "../../git/commit-writer.ts";
import { folderPath } from "../../git/path-rules.ts";

const path = z.string().max(10_000);
const oid = z.string().regex(/^[0-9a-fA-F]{64}$/, "must be a SHA-256 in hex");
const headerLine = z.object({
  summary: z.string().max(100_000).default(""),
  description: z.string().max(1_000_000).nullish(),
  parentCommit: z
    .string()
    .regex(/^[0-9a-fA-F]{40}$/, "must be a 40-hex commit id")
    .nullish(),
});
const file = z.object({
  path,
  content: z.string(),
  encoding: z.enum(["base64", "utf-8", "utf8"]).default("base64"),
  oldPath: path.nullish(),
});
const lfsFile = z.object({
  path,
  algo: z.literal("sha256").default("sha256"),
  oid,
  size: z.number().int().nonnegative().nullish(),
  oldPath: path.nullish(),
});
const deleted = z.object({ path });

const line = z.discriminatedUnion("key", [
  z.object({ key: z.literal("header"), value: headerLine }),
  z.object({ key: z.literal("file"), value: file }),
  z.object({ key: z.literal("lfsFile"), value: lfsFile }),
  z.object({ key: z.literal("deletedFile"), value: deleted }),
  z.object({ key: z.literal("deletedFolder"), value: deleted }),
]);
type Line = z.infer<typeof line>;

/** The JSON object form older clients sent. */
const jsonBody = headerLine.extend({
  files: z.array(file).default([]),
  lfsFiles: z.array(lfsFile).default([]),
  deletedFiles: z.array(deleted).default([]),
  deletedFolders: z.array(deleted).default([]),
});

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;

export type CommitHeader = z.infer<typeof headerLine>;

/** A parsed commit; a class, so a JSON body can never pass for one by its shape. */
export class CommitBody {
  constructor(
    readonly header: CommitHeader,
    readonly operations: CommitOperation[],
  ) {}
}

/** Collects header and operations line by line, in order. */
class CommitBodyBuilder {
  #header: CommitHeader | undefined;
  readonly #operations: CommitOperation[] = [];
  #lines = 0;

  add(entry: Line): void {
    this.#lines++;
    if (this.#lines === 1) {
      if (entry.key !== "header") throw new HubError("BadRequest", "The first line must have the key `header`");
      this.#header = entry.value;
      return;
    }
    this.#operations.push(...toOperations(entry));
  }

  build(): CommitBody {
    if (this.#header === undefined) throw new HubError("BadRequest", "The first line must have the key `header`");
    return new CommitBody(this.#header, this.#operations);
  }
}

/** Reads an NDJSON commit from its stream (a content-type parser's payload). */
export async function readNdjsonCommit(stream: Readable): Promise<CommitBody> {
  const builder = new CommitBodyBuilder();
  let pending: Buffer[] = [];
  let number = 0;
  const take = (bytes: Buffer) => {
    number++;
    const text = bytes.toString("utf8").trim();
    if (text !== "") builder.add(parseLine(text, number));
  };
  for await (const chunk of stream) {
    let data = chunk as Buffer;
    let newline = data.indexOf(10);
    while (newline >= 0) {
      const piece = data.subarray(0, newline);
      take(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
      pending = [];
      data = data.subarray(newline + 1);
      newline = data.indexOf(10);
    }
    if (data.length > 0) pending.push(data);
  }
  if (pending.length > 0) take(Buffer.concat(pending));
  return builder.build();
}

/** The JSON object form, as parsed by Fastify's JSON parser. */
export function jsonCommit(body: unknown): CommitBody {
  const parsed = jsonBody.parse(body);
  const builder = new CommitBodyBuilder();
  builder.add({ key: "header", value: parsed });
  for (const value of parsed.files) builder.add({ key: "file", value });
  for (const value of parsed.lfsFiles) builder.add({ key: "lfsFile", value });
  for (const value of parsed.deletedFiles) builder.add({ key: "deletedFile", value });
  for (const value of parsed.deletedFolders) builder.add({ key: "deletedFolder", value });
  return builder.build();
}

function parseLine(text: string, number: number): Line {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HubError("BadRequest", `Line ${number} is not valid JSON`);
  }
  const result = line.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` (${issue.path.join(".")})` : "";
    throw new HubError("BadRequest", `Line ${number} is not a valid commit line${where}: ${issue?.message ?? ""}`);
  }
  if (number > 1 && result.data.key === "header")
    throw new HubError("BadRequest", "Only the first line may be a header");
  return result.data;
}

function toOperations(entry: Line): CommitOperation[] {
  switch (entry.key) {
    case "header":
      throw new HubError("BadRequest", "Only the first line may be a header");
    case "file": {
      const { value } = entry;
      if (value.encoding === "base64" && !BASE64.test(value.content)) {
        throw new HubError("BadRequest", `Content of "${value.path.slice(0, 200)}" is not valid base64`);
      }
      const content = Buffer.from(value.content, value.encoding === "base64" ? "base64" : "utf8");
      return [{ type: "file", path: value.path, content }, ...renamed(value.oldPath, value.path)];
    }
    case "lfsFile": {
      const { value } = entry;
      const size = value.size ?? undefined;
      return [
        { type: "lfsFile", path: value.path, oid: value.oid.toLowerCase(), size },
        ...renamed(value.oldPath, value.path),
      ];
    }
    case "deletedFile":
      return [{ type: "delete", path: entry.value.path }];
    case "deletedFolder":
      return [{ type: "delete", path: folderPath(entry.value.path) }];
  }
}

/** `oldPath` moves a file: the new path is written above, the old one goes. */
function renamed(oldPath: string | null | undefined, path: string): CommitOperation[] {
  return oldPath && oldPath !== path ? [{ type: "delete", path: oldPath }] : [];
}
