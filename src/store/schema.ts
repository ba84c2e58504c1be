/**
 * Table types. One schema for SQLite and PostgreSQL, so the column types are the common ground:
 * timestamps are ISO-8601 UTC text (they sort as text), booleans are integers 0/1, JSON is text.
 */
export interface NamespaceTable {
  /** Lower-cased name: users and orgs share one namespace, as on the Hub. */
  key: string;
  kind: "user" | "org";
  entity_id: string;
}

export interface UserTable {
  id: string;
  name: string;
  email: string;
  fullname: string;
  password_hash: string | null;
  is_admin: number;
  created_at: string;
}

export interface OrgTable {
  id: string;
  name: string;
  fullname: string;
  created_at: string;
}

export interface MemberTable {
  org_id: string;
  user_id: string;
  role: string;
  created_at: string;
}

export interface TokenTable {
  id: string;
  user_id: string;
  display_name: string;
  role: string;
  fine_grained: string | null;
  hash: string;
  hint: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  last_used_user_agent: string | null;
  /** Inference calls allowed per minute; null is unlimited (migration 003). */
  rate_limit_per_minute?: number | null;
  /** An app token (migration 011): the OAuth grant it stands for, its client and the orgs chosen. */
  oauth_client_id?: string | null;
  oauth_grant_id?: string | null;
  /** JSON `[{_id, name}]`. */
  oauth_org_ids?: string | null;
  /** The grant's scopes, space-separated. */
  oauth_scopes?: string | null;
}

export interface SessionTable {
  /** HMAC of the cookie value. */
  hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
}

export interface LoginAttemptTable {
  /** Random id shared by the rows of one attempt (one per subject). */
  attempt: string;
  /** `user:<user id>`, `user:<name key>`, `device:<user id>:<nonce>` or `ip:<address>`. */
  subject: string;
  at: string;
}

export interface RepoTable {
  id: string;
  type: string;
  namespace_id: string;
  namespace_kind: "user" | "org";
  namespace: string;
  name: string;
  /** `<type>/<namespace>/<name>`, lower-cased: repo ids are case-insensitive. */
  key: string;
  private: number;
  gated: string;
  sdk: string | null;
  created_by: string | null;
  created_at: string;
  last_modified: string;
}

export interface AccessRequestTable {
  repo_id: string;
  user_id: string;
  status: string;
  fields: string | null;
  /** 1 when an owner granted it by hand (the Hub then reports no email). */
  granted: number;
  created_at: string;
  updated_at: string;
}

export interface LfsObjectTable {
  repo_id: string;
  oid: string;
  /** bigint: PostgreSQL hands it back as a string, SQLite as a number. */
  size: number | string;
  created_at: string;
}

/** A user proved to hold an LFS object by uploading its bytes to the repo (migration 006). */
export interface LfsUploadTable {
  repo_id: string;
  oid: string;
  user_id: string;
  created_at: string;
}

export interface InferenceUpstreamTable {
  /** A repo id or a glob (`acme/*`), lower-cased. */
  pattern: string;
  url: string;
  /** The `model` sent upstream; null sends the repo id. */
  upstream_model: string | null;
  /** Berth's credential for the upstream, sealed with a key derived from the token key. */
  api_key: string | null;
  timeout_ms: number;
  created_at: string;
}

export interface InferenceUsageTable {
  id: string;
  /** Null for a web session. */
  token_id: string | null;
  user_id: string;
  model: string;
  route: string;
  status: number;
  duration_ms: number;
  input_tokens: number | null;
  output_tokens: number | null;
  at: string;
}

export interface InferenceRateWindowTable {
  token_id: string;
  /** ISO minute the window starts at. */
  window_start: string;
  count: number;
}

/** The old key of a moved repo, so the old name keeps working (a redirect to the new one). */
export interface RepoRedirectTable {
  key: string;
  repo_id: string;
  created_at: string;
}

/** Xet (migration 007): a verified xorb, its bytes under `object_key` in the object store. */
export interface XetXorbTable {
  hash: string;
  object_key: string;
  chunk_count: number;
  unpacked_size: number | string;
  stored_size: number | string;
  chunk_index: Uint8Array;
  /** The repo whose token uploaded it; null once that repo is gone. */
  repo_id: string | null;
  created_at: string;
  touched_at: string;
}

export interface XetDedupChunkTable {
  chunk_hash: string;
  xorb_hash: string;
  chunk_index: number;
}

export interface XetFileTable {
  hash: string;
  size: number | string;
  terms: Uint8Array;
  /** Computed by Berth from the content; null until verified. */
  sha256: string | null;
  created_at: string;
  touched_at: string;
}

export interface XetFileXorbTable {
  file_hash: string;
  xorb_hash: string;
}

export interface XetFileRepoTable {
  file_hash: string;
  repo_id: string;
  claimed_sha256: string | null;
  created_at: string;
}

export interface XetShardTable {
  hash: string;
  repo_id: string;
  created_at: string;
}

export interface XetUnlinkedObjectTable {
  object_key: string;
  since: string;
}

/** OAuth apps (migration 011). `owner_kind` is `user`, `org` or `builtin`. */
export interface OauthClientTable {
  id: string;
  owner_kind: string;
  owner_id: string | null;
  name: string;
  homepage: string | null;
  /** JSON array. */
  redirect_uris: string;
  /** Space-separated scopes the app may ask for. */
  scopes: string;
  public: number;
  /** HMAC of the client secret; null for a public app. */
  secret_hash: string | null;
  secret_hint: string | null;
  created_at: string;
  updated_at: string;
}

/** A record of oidc-provider (grant, code, device code, refresh token, session, interaction), by id hash. */
export interface OauthRecordTable {
  kind: string;
  key_hash: string;
  grant_id: string | null;
  user_code_hash: string | null;
  uid_hash: string | null;
  /** The id, sealed: only records found by a secondary key (user code, uid) need it back. */
  sealed_id: string | null;
  /** JSON, without the id and the user code. */
  payload: string;
  expires_at: string | null;
  /** Set once, atomically: a refresh token or code used a second time is a replay. */
  consumed_at: string | null;
  last_polled_at: string | null;
  poll_interval: number | null;
}

export interface OauthAccessTokenTable {
  id: string;
  hash: string;
  /** The app token it belongs to: deleting that row ends every access token of the grant. */
  token_id: string;
  grant_id: string;
  client_id: string;
  scope: string;
  payload: string;
  created_at: string;
  expires_at: string;
}

export interface OauthSigningKeyTable {
  kid: string;
  alg: string;
  /** The private JWK, sealed (AES-256-GCM) under a key derived from the server secret. */
  sealed_jwk: string;
  created_at: string;
  /** Published from creation, used for signing from here on. */
  activates_at: string;
  /** No longer published after this. */
  retires_at: string;
}

export interface SsoIdentityTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: string;
}

export interface Database {
  namespace: NamespaceTable;
  user: UserTable;
  org: OrgTable;
  member: MemberTable;
  token: TokenTable;
  session: SessionTable;
  login_attempt: LoginAttemptTable;
  repo: RepoTable;
  access_request: AccessRequestTable;
  lfs_object: LfsObjectTable;
  lfs_upload: LfsUploadTable;
  repo_redirect: RepoRedirectTable;
  inference_upstream: InferenceUpstreamTable;
  inference_usage: InferenceUsageTable;
  inference_rate_window: InferenceRateWindowTable;
  xet_xorb: XetXorbTable;
  xet_dedup_chunk: XetDedupChunkTable;
  xet_file: XetFileTable;
  xet_file_xorb: XetFileXorbTable;
  xet_file_repo: XetFileRepoTable;
  xet_shard: XetShardTable;
  xet_unlinked_object: XetUnlinkedObjectTable;
  oauth_client: OauthClientTable;
  oauth_record: OauthRecordTable;
  oauth_access_token: OauthAccessTokenTable;
  oauth_signing_key: OauthSigningKeyTable;
  sso_identity: SsoIdentityTable;
}
