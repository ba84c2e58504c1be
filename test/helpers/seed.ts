import { hashPassword } from "../../src/auth/passwords.ts";
import type { TokenRequest } from "../../src/auth/token-service.ts";
import { createToken } from "../../src/auth/token-service.ts";
import type { Context } from "../../src/context.ts";
import type { Org, Repo, User } from "../../src/domain/entities.ts";
import type { RepoType } from "../../src/domain/repo-id.ts";
import type { OrgRole } from "../../src/domain/token.ts";
import { createRepo } from "../../src/git/repo-lifecycle.ts";
import { createOrg, setMember } from "../../src/store/orgs.ts";
import { createUser } from "../../src/store/users.ts";

export const TEST_PASSWORD = "correct horse battery staple";
let passwordHash: Promise<string> | undefined;

export async function seedUser(ctx: Context, name: string, options: { admin?: boolean } = {}): Promise<User> {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  return createUser(
    ctx.db,
    { name, email: `${name}@example.test`, passwordHash: await passwordHash, isAdmin: options.admin },
    ctx.now(),
  );
}

export async function seedOrg(
  ctx: Context,
  name: string,
  owner: User,
  members: Record<string, [User, OrgRole]> = {},
): Promise<Org> {
  const org = await createOrg(ctx.db, { name, ownerId: owner.id }, ctx.now());
  for (const [user, role] of Object.values(members)) await setMember(ctx.db, org.id, user.id, role, ctx.now());
  return org;
}

export async function seedToken(ctx: Context, user: User, request: Partial<TokenRequest> = {}): Promise<string> {
  const { value } = await createToken(ctx, user, {
    displayName: `t-${Math.random().toString(36).slice(2)}`,
    role: "write",
    ...request,
  });
  return value;
}

export async function seedRepo(
  ctx: Context,
  creator: User,
  id: string,
  options: { type?: RepoType; private?: boolean; gated?: false | "auto" | "manual" } = {},
): Promise<Repo> {
  const [namespace, name] = id.split("/") as [string, string];
  return createRepo(ctx, creator, {
    type: options.type ?? "model",
    namespace,
    name,
    private: options.private ?? false,
    gated: options.gated ?? false,
  });
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Token-shaped but fake: its check letters are wrong, so it is refused without a database lookup. */
export const FAKE_TOKEN = "hf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
