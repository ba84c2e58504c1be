/** Wire shapes (`Api…`), kept apart from domain types: what the Hub's clients read. */
import type { TokenGrant } from "../auth/principal.ts";
import type { Org, Repo, User } from "../domain/entities.ts";
import { fullName } from "../domain/repo-id.ts";
import type { Token } from "../domain/token.ts";
import type { UsageSummary } from "../store/inference.ts";

export function apiAvatarUrl(name: string): string {
  return `/avatars/${encodeURIComponent(name)}.svg`;
}

export function apiOrgSummary(org: Org) {
  return {
    type: "org",
    id: org.id,
    name: org.name,
    fullname: org.fullname,
    canPay: false,
    avatarUrl: apiAvatarUrl(org.name),
    periodEnd: null,
    email: null,
  };
}

export function apiAccessToken(token: TokenGrant | Token) {
  return {
    displayName: token.displayName,
    role: token.role,
    createdAt: token.createdAt.toISOString(),
    ...(token.role === "fineGrained" && token.fineGrained ? { fineGrained: token.fineGrained } : {}),
    expiresAt: token.expiresAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
  };
}

/** A token as the settings API lists it: never its value. */
export function apiToken(token: Token) {
  return {
    id: token.id,
    ...apiAccessToken(token),
    hint: token.hint,
    lastUsedIp: token.lastUsedIp ?? null,
    lastUsedUserAgent: token.lastUsedUserAgent ?? null,
  };
}

/** Berth's additions to a listed token: its inference usage and rate limit (issue 5). */
export function apiTokenInference(usage: UsageSummary, rateLimitPerMinute: number | undefined) {
  return { usage, rateLimitPerMinute: rateLimitPerMinute ?? null };
}

export function apiUser(user: User) {
  return { type: "user", id: user.id, name: user.name, fullname: user.fullname, avatarUrl: apiAvatarUrl(user.name) };
}

export function apiRepoCore(repo: Repo) {
  return {
    _id: repo.id,
    id: fullName(repo),
    author: repo.namespace,
    private: repo.private,
    gated: repo.gated,
    disabled: false,
    createdAt: repo.createdAt.toISOString(),
    lastModified: repo.lastModified.toISOString(),
    downloads: 0,
    likes: 0,
    tags: [] as string[],
    ...(repo.type === "space" ? { sdk: repo.sdk ?? "static" } : {}),
  };
}
