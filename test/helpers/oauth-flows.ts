/**
 * Drives the OAuth provider through `app.inject` as a browser would: a cookie jar, redirects followed
 * within the site, forms posted with the values the pages carry. The clients' own requests (device
 * code, token, refresh) are plain form posts, as `hf auth login` sends them.
 */
import { createHash, randomBytes } from "node:crypto";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { TEST_PASSWORD } from "./seed.ts";

export const HF_CLI = "26be6b09-91c5-47da-9861-d2d2bb7a7e36";
export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

export class InjectBrowser {
  readonly #app: FastifyInstance;
  readonly cookies = new Map<string, string>();

  constructor(app: FastifyInstance) {
    this.#app = app;
  }

  #keep(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies) {
      const expired = cookie.expires !== undefined && new Date(cookie.expires).getTime() <= Date.now();
      if (expired || cookie.maxAge === 0 || cookie.value === "") this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  async request(method: "GET" | "POST", url: string, form?: Record<string, string | string[]>) {
    const payload = form ? formBody(form) : undefined;
    const response = await this.#app.inject({
      method,
      url,
      cookies: Object.fromEntries(this.cookies),
      ...(payload !== undefined ? { payload, headers: { "content-type": "application/x-www-form-urlencoded" } } : {}),
    });
    this.#keep(response);
    return response;
  }

  /** Follows redirects within the site; stops at a page or at a redirect that leaves it. */
  async follow(method: "GET" | "POST", url: string, form?: Record<string, string | string[]>) {
    let response = await this.request(method, url, form);
    for (let hops = 0; hops < 10 && response.statusCode >= 300 && response.statusCode < 400; hops++) {
      const location = String(response.headers.location ?? "");
      const local = localPath(location);
      if (local === undefined) return { response, location };
      response = await this.request("GET", local);
    }
    return { response, location: undefined };
  }

  async signIn(username: string): Promise<void> {
    const response = await this.#app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username, password: TEST_PASSWORD },
    });
    if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.body}`);
    this.#keep(response);
  }
}

/** A path on the test site (`http://hub.test`, `http://localhost`), or undefined for another site. */
export function localPath(location: string): string | undefined {
  if (location.startsWith("/")) return location;
  const url = new URL(location);
  return url.hostname === "hub.test" || url.hostname === "localhost" ? url.pathname + url.search : undefined;
}

export function formBody(form: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, one);
  }
  return params.toString();
}

export function hiddenValue(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!match?.[1]) throw new Error(`no ${name} field in the page`);
  return match[1];
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export async function postForm(app: FastifyInstance, url: string, form: Record<string, string>, headers = {}) {
  return app.inject({
    method: "POST",
    url,
    payload: formBody(form),
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  });
}
