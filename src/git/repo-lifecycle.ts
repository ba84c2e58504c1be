/**
 * Creating, deleting and moving a repo: the database row and the bare git repository together.
 * Authorization is the caller's (through the engine); these only keep the two stores consistent.
 * Create builds the git repo first and inserts the row last, so nobody sees a row without its repo;
 * delete removes the row first, so nobody reaches a repo whose files are going away.
 */
import type { Context } from "../context.ts";
import type { Gated, NamespaceRef, Repo, User } from "../domain/entities.ts";
import { defaultGitattributes } from "../domain/gitattributes.ts";
import { newObjectId } from "../domain/object-id.ts";
import type { RepoType } from "../domain/repo-id.ts";
import { HubError } from "../errors.ts";
import { findNamespace } from "../store/orgs.ts";
import { deleteRepoRow, findRepo, insertRepo, moveRepoRow, repoExists, updateRepoSettings } from "../store/repos.ts";
import type { InitialFile } from "./repo-storage.ts";

export interface CreateRepoInput {
  readonly type: RepoType;
  readonly namespace: string;
  readonly name: string;
  readonly private: boolean;
  readonly gated?: Gated;
  readonly sdk?: string | undefined;
  /** The first commit's files; the Hub's default `.gitattributes` when none are given. */
  readonly files?: readonly InitialFile[] | undefined;
}

export async function createRepo(
  ctx: Context,
  creator: Pick<User, "id" | "name" | "email">,
  input: CreateRepoInput,
): Promise<Repo> {
  const namespace = await findNamespace(ctx.db, input.namespace);
  if (!namespace) throw new HubError("NotFound", `Namespace "${input.namespace}" not found`);
  if (await findRepo(ctx.db, input.type, namespace.name, input.name)) {
    throw repoExists(input.type, `${namespace.name}/${input.name}`);
  }
  const id = newObjectId();
  const now = ctx.now();
  const files = input.files?.length
    ? input.files
    : [{ path: ".gitattributes", content: Buffer.from(defaultGitattributes(input.type)) }];
  await ctx.storage.create(input.type, id, files, { name: creator.name, email: creator.email }, now);
  let repo: Repo;
  try {
    repo = await insertRepo(
      ctx.db,
      {
        id,
        type: input.type,
        namespace,
        name: input.name,
        private: input.private,
        sdk: input.sdk,
        createdBy: creator.id,
      },
      now,
    );
  } catch (error) {
    await ctx.storage.remove(input.type, id);
    throw error;
  }
  if (input.gated) {
    await updateRepoSettings(ctx.db, id, { gated: input.gated }, now);
    repo = { ...repo, gated: input.gated };
  }
  return repo;
}

export async function deleteRepo(ctx: Context, repo: Repo): Promise<void> {
  await deleteRepoRow(ctx.db, repo.id);
  await ctx.storage.remove(repo.type, repo.id);
}

/** Renames or transfers a repo. The git repository is keyed by id, so only the row changes. */
export async function moveRepo(ctx: Context, repo: Repo, to: NamespaceRef, name: string): Promise<Repo> {
  return moveRepoRow(ctx.db, repo, to, name, ctx.now());
}
