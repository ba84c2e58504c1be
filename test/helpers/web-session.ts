/** Signing in through the web form and posting forms with the session's CSRF token, for route tests. */
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { TEST_PASSWORD } from "./seed.ts";

const FORM = { "content-type": "application/x-www-form-urlencoded" };

export interface WebSession {
  readonly cookie: string;
  readonly csrf: string;
  get(url: string): Promise<LightMyRequestResponse>;
  post(url: string, fields: Record<string, string | string[]>): Promise<LightMyRequestResponse>;
}

export function postForm(
  app: FastifyInstance,
  url: string,
  cookie: string,
  fields: Record<string, string | string[]>,
): Promise<LightMyRequestResponse> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(key, v);
  return app.inject({
    method: "POST",
    url,
    headers: FORM,
    cookies: { berth_session: cookie },
    payload: body.toString(),
  });
}

export async function webSignIn(app: FastifyInstance, username: string): Promise<WebSession> {
  const response = await app.inject({
    method: "POST",
    url: "/login",
    headers: FORM,
    payload: new URLSearchParams({ username, password: TEST_PASSWORD }).toString(),
  });
  const cookie = response.cookies.find((c) => c.name === "berth_session")?.value;
  if (!cookie) throw new Error(`no session cookie for ${username}: ${response.statusCode}`);
  const page = await app.inject({ url: "/settings/tokens", cookies: { berth_session: cookie } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!csrf) throw new Error("no csrf field on the tokens page");
  return {
    cookie,
    csrf,
    get: (url) => app.inject({ url, cookies: { berth_session: cookie } }),
    post: (url, fields) => postForm(app, url, cookie, { csrf, ...fields }),
  };
}
