/**
 * The part of oidc-provider 9 (which ships no types) that Berth uses, typed as Berth uses it. Koa's
 * context is kept opaque except for what the hooks read.
 */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  export interface KoaContextLike {
    method: string;
    path: string;
    url: string;
    status: number;
    body: unknown;
    type: string;
    req: IncomingMessage & { body?: unknown };
    res: ServerResponse;
    headers: Record<string, string | string[] | undefined>;
    ip: string;
    query: Record<string, unknown>;
    cookies: { get(name: string, options?: { signed?: boolean }): string | undefined };
    get(header: string): string;
    set(header: string, value: string): void;
    is(type: string): string | false | null;
    oidc: OidcContextLike;
  }

  export interface OidcContextLike {
    client?: ClientLike;
    session?: { accountId?: string; state?: { secret?: string } };
    params?: Record<string, unknown>;
    route?: string;
    entities: Record<string, unknown>;
    urlFor(name: string, opts?: Record<string, string>): string;
  }

  export interface ClientLike {
    clientId: string;
    clientName?: string;
    clientAuthMethod: string;
    redirectUris: string[];
    grantTypeAllowed(type: string): boolean;
    compareClientSecret(actual: string): Promise<boolean> | boolean;
  }

  export interface InteractionLike {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId: string };
    grantId?: string;
    returnTo: string;
  }

  export interface GrantLike {
    accountId?: string;
    clientId?: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    save(): Promise<string>;
  }

  export interface GrantConstructor {
    new (input: { accountId: string; clientId: string }): GrantLike;
    find(id: string): Promise<GrantLike | undefined>;
  }

  export interface ProviderLike {
    issuer: string;
    proxy: boolean;
    Grant: GrantConstructor;
    Client: { prototype: ClientLike; find(id: string): Promise<ClientLike | undefined> };
    AccessToken: { prototype: { generateTokenId(this: { format?: string }): string } };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: (ctx: KoaContextLike, next: () => Promise<void>) => Promise<void>): void;
    on(event: string, listener: (...args: unknown[]) => void): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionLike>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
  }

  export const Provider: new (issuer: string, configuration: Record<string, unknown>) => ProviderLike;
  export default Provider;

  export class Check {
    constructor(reason: string, description: string, check: (ctx: KoaContextLike) => unknown);
    static REQUEST_PROMPT: boolean;
    static NO_NEED_TO_PROMPT: boolean;
  }
  export const interactionPolicy: {
    base(): { get(name: string): { checks: { add(check: Check, index?: number): void } } };
    Check: typeof Check;
  };
  export const errors: {
    InvalidGrant: new (description?: string) => Error;
    InvalidRequest: new (description?: string) => Error;
    SlowDown: new (description?: string) => Error;
    OIDCProviderError: new (status: number, message: string) => Error;
  };
}
