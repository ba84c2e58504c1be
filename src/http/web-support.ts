/**
 * What the web pages share: the viewer, HTML replies with the security headers, form-field readers,
 * the sign-in same-site check (also used by the JSON sign-in) and the safe `next` redirect.
 *
 * Headers: every page gets a Content-Security-Policy without inline script or style, `nosniff`,
 * `Referrer-Policy: same-origin` and `frame-ancestors 'none'`. Pages vary by cookie, so they are
 * `Cache-Control: no-store` (the one-time token display must never be cached; the rest is cheap).
 */

import type { FastifyReply, FastifyRequest } from "fastify";
import type { Viewer } from "../../web/layout.ts";
import type { Context } from "../context.ts";
import { RESERVED_NAMESPACES } from "../domain/names.ts";
import { HubError } from "../errors.ts";

/**
 * The pages' policy. `imageSources` adds the remote image origins a model card may load, and only on
 * a card page and only when the administrator allowed them (BERTH_CARD_IMAGE_ORIGINS).
 */
export function contentSecurityPolicy(imageSources: readonly string[] = []): string {
  const images = ["'self'", "data:", ...imageSources].join(" ");
  return `default-src 'self'; script-src 'self'; style-src 'self'; img-src ${images}; object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

export function securityHeaders(reply: FastifyReply): void {
  reply.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  reply.header("X-Content-Type-Options", "nosniff");
  reply.header("Referrer-Policy", "same-origin");
  reply.header("X-Frame-Options", "DENY");
}

export function viewerOf(ctx: Context, request: FastifyRequest): Viewer {
  const principal = request.principal;
  return {
    user: principal.type === "anonymous" ? undefined : { name: principal.user.name, fullname: principal.user.fullname },
    csrf: principal.type === "session" ? principal.csrfToken : undefined,
    allowSignup: ctx.config.allowSignup && ctx.config.passwordSignIn,
    ssoLabel: ctx.config.sso?.label,
    passwordSignIn: ctx.config.passwordSignIn,
    path: request.url,
  };
}

export function sendPage(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply.code(status).header("Cache-Control", "no-store").type("text/html; charset=utf-8").send(page);
}

/** A redirect after a successful form post (303: the browser follows with GET). */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header("Location", location).send();
}

export type FormBody = Record<string, string | string[] | undefined>;

export function formOf(request: FastifyRequest): FormBody {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw new HubError("BadRequest", "Expected a form");
  // A form holds text, or repeated text; a JSON body posted to a page may hold anything else.
  for (const [key, value] of Object.entries(body)) {
    const text = typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
    if (!text) throw new HubError("BadRequest", `The field ${key.slice(0, 100)} must be text`);
  }
  return body as FormBody;
}

/** The single value of a field; a repeated field counts as its first value. */
export function field(form: FormBody, key: string, max = 1000): string {
  const value = form[key];
  const one = Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
  if (one.length > max) throw new HubError("BadRequest", `The field ${key} is too long`);
  return one;
}

export function fields(form: FormBody, key: string): string[] {
  const value = form[key];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length > 200) throw new HubError("BadRequest", `Too many values for ${key}`);
  return list;
}

/**
 * Login CSRF: the routes that create a session without the session's CSRF token (`POST /api/auth/login`,
 * `/login`, `/join`) refuse a request that a browser sends on behalf of another site; otherwise an
 * attacker's page could sign the victim into the attacker's account. The rule, for all three:
 * - `Origin`, when sent, must be this site's (the public URL, or the host the request was sent to).
 * - `Sec-Fetch-Site`, which browsers set and a page cannot: `cross-site` is refused; `same-site` (a
 *   sibling host, which may be someone else's) and any unknown value pass only with this site's
 *   `Origin`; `same-origin` and `none` (typed, bookmarked) pass.
 * - A request with neither header is not from a browser an attacker's page could drive: every browser
 *   sends `Origin` on a cross-origin POST. The session cookie is SameSite=Lax besides.
 */
export function assertFromThisSite(ctx: Context, request: FastifyRequest): void {
  const origin = request.headers.origin;
  const allowed = new Set([new URL(ctx.config.publicUrl).origin]);
  const host = request.headers.host;
  if (host) allowed.add(`${request.protocol}://${host}`);
  const ours = origin !== undefined && allowed.has(origin);
  const site = request.headers["sec-fetch-site"];
  const siteOk = site === undefined || site === "same-origin" || site === "none" || (site !== "cross-site" && ours);
  if ((origin !== undefined && !ours) || !siteOk) {
    throw new HubError("Forbidden", "Sign-in and sign-up must be sent from this site");
  }
}

/** Only a local path may follow sign-in: `//evil` or `/\evil` would leave the site. */
export function safeNext(next: string | undefined): string | undefined {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return undefined;
  // Control characters (CR, LF, NUL) have no place in a path and could split a header.
  for (const char of next) if (char < " ") return undefined;
  return next;
}

/** First path segments no user or org may take (the list lives in the domain). */
export const RESERVED_NAMES = RESERVED_NAMESPACES;
