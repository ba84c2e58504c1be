import type { RepoType } from "./repo-id.ts";
import type { OrgRole } from "./token.ts";

export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly fullname: string;
  readonly isAdmin: boolean;
  readonly createdAt: Date;
}

export interface Org {
  readonly id: string;
  readonly name: string;
  readonly fullname: string;
  readonly createdAt: Date;
}

export interface Membership {
  readonly org: Org;
  readonly role: OrgRole;
}

export interface Member {
  readonly user: User;
  readonly role: OrgRole;
}

export type Gated = false | "auto" | "manual";

export interface Repo {
  readonly id: string;
  readonly type: RepoType;
  readonly namespaceId: string;
  readonly namespaceKind: "user" | "org";
  readonly namespace: string;
  readonly name: string;
  readonly private: boolean;
  readonly gated: Gated;
  readonly sdk: string | undefined;
  readonly createdBy: string | undefined;
  readonly createdAt: Date;
  readonly lastModified: Date;
}

export type AccessStatus = "pending" | "accepted" | "rejected";

export interface AccessRequest {
  readonly user: User;
  readonly status: AccessStatus;
  readonly fields: Record<string, unknown> | undefined;
  readonly grantedByHand: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A user or org namespace, as repos and scopes refer to it. */
export interface NamespaceRef {
  readonly id: string;
  readonly name: string;
  readonly kind: "user" | "org";
}
