/**
 * A company's identity provider for the SSO tests: a second oidc-provider, on a real port, with one
 * client (Berth) and people whose groups the test sets. Its sign-in page is skipped: whoever the test
 * names as `signedIn` is signed in and consents at once, so the test drives Berth's side of the flow.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface Person {
  readonly sub: string;
  readonly preferred_username: string;
  readonly name: string;
  readonly email: string;
  groups: string[];
}

export interface TestIdp {
  readonly issuer: string;
  signedIn: Person | undefined;
  close(): Promise<void>;
}

export async function startTestIdp(options: {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}): Promise<TestIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp: TestIdp = {
    issuer,
    signedIn: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: {
      openid: ["sub"],
      profile: ["preferred_username", "name", "groups"],
      email: ["email", "email_verified"],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: ["test-idp-cookie-key"] },
    findAccount: async (_ctx: unknown, sub: string) => {
      const person = idp.signedIn;
      if (!person || person.sub !== sub) return undefined;
      return { accountId: sub, claims: async () => ({ ...person, email_verified: true }) };
    },
  });
  const handle = provider.callback();
  server.on("request", async (req, res) => {
    if (!req.url?.startsWith("/interaction/")) return handle(req, res);
    const person = idp.signedIn;
    if (!person) {
      res.statusCode = 403;
      res.end("nobody is signed in at the test IdP");
      return;
    }
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === "login") {
      const to = await provider.interactionResult(req, res, { login: { accountId: person.sub } });
      res.writeHead(303, { location: to }).end();
      return;
    }
    const grant = new provider.Grant({ accountId: person.sub, clientId: options.clientId });
    grant.addOIDCScope(String(details.params.scope ?? "openid"));
    const grantId = await grant.save();
    const to = await provider.interactionResult(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    res.writeHead(303, { location: to }).end();
  });
  return idp;
}
