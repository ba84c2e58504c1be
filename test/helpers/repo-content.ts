import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Context } from "../../src/context.ts";
import type { Repo } from "../../src/domain/entities.ts";
import { gitOrThrow } from "../../src/git/git-command.ts";
import { linkLfsObject } from "../../src/store/lfs-objects.ts";

export interface SeedFile {
  readonly path: string;
  readonly content: Buffer | string;
  /** Store the bytes in the LFS store (linked to the repo) and commit a pointer. */
  readonly lfs?: boolean;
  /** With `lfs`: commit the pointer but never store the object. */
  readonly skipUpload?: boolean;
}

export function lfsPointer(content: Buffer): { oid: string; text: string } {
  const oid = createHash("sha256").update(content).digest("hex");
  return { oid, text: `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${content.length}\n` };
}

/** The git blob SHA-1 of some bytes, as `git hash-object` computes it. */
export function blobSha(content: Buffer | string): string {
  const bytes = Buffer.from(content);
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/**
 * Commits files (and deletions) on top of `branch` of a seeded repo with real git plumbing
 * (`git fast-import` into the bare repo); returns the new commit id.
 */
export async function commitFiles(
  ctx: Context,
  repo: Repo,
  files: readonly SeedFile[],
  options: { branch?: string; message?: string; deletes?: readonly string[]; author?: string; parent?: string } = {},
): Promise<string> {
  const dir = ctx.storage.pathOf(repo.type, repo.id);
  const ref = options.branch?.startsWith("refs/") ? options.branch : `refs/heads/${options.branch ?? "main"}`;
  const parent =
    options.parent ??
    (await gitOrThrow(["rev-parse", "--verify", "--quiet", "refs/heads/main"], { cwd: dir }).catch(() => undefined))
      ?.toString()
      .trim();
  const current = await gitOrThrow(["rev-parse", "--verify", "--quiet", ref], { cwd: dir })
    .then((b) => b.toString().trim())
    .catch(() => parent);
  const seconds = Math.floor(ctx.now().getTime() / 1000);
  const who = `${options.author ?? "alice"} <${options.author ?? "alice"}@example.test> ${seconds} +0000`;
  const message = Buffer.from(options.message ?? "update files");
  const parts: Buffer[] = [
    Buffer.from(`commit ${ref}\nauthor ${who}\ncommitter ${who}\ndata ${message.length}\n`),
    message,
    Buffer.from("\n"),
  ];
  if (current) parts.push(Buffer.from(`from ${current}\n`));
  for (const path of options.deletes ?? []) parts.push(Buffer.from(`D ${JSON.stringify(path)}\n`));
  for (const file of files) {
    let bytes = Buffer.from(file.content);
    if (file.lfs) {
      const pointer = lfsPointer(bytes);
      if (!file.skipUpload) {
        await ctx.lfs.write(pointer.oid, bytes.length, Readable.from([bytes]));
        await linkLfsObject(ctx.db, repo.id, pointer.oid, bytes.length, ctx.now());
      }
      bytes = Buffer.from(pointer.text);
    }
    parts.push(
      Buffer.from(`M 100644 inline ${JSON.stringify(file.path)}\ndata ${bytes.length}\n`),
      bytes,
      Buffer.from("\n"),
    );
  }
  parts.push(Buffer.from("\n"));
  await gitOrThrow(["fast-import", "--quiet", "--date-format=raw"], { cwd: dir, input: Buffer.concat(parts) });
  return (await gitOrThrow(["rev-parse", ref], { cwd: dir })).toString().trim();
}
