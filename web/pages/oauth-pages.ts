/** The pages of the OAuth provider: consent (authorization code and device flow alike) and device code. */
import { OAUTH_SCOPES } from "../../src/domain/oauth-scopes.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, layout, type Viewer } from "../layout.ts";

export interface ConsentData {
  readonly uid: string;
  readonly appName: string;
  readonly appHomepage: string | undefined;
  /** Where the browser goes next (the app's redirect URI), shown so the user knows; none for a device. */
  readonly redirectOrigin: string | undefined;
  readonly userName: string;
  readonly scopes: readonly string[];
  readonly orgs: readonly { readonly id: string; readonly name: string; readonly checked: boolean }[];
}

export function consentPage(viewer: Viewer, data: ConsentData): string {
  const scopes = OAUTH_SCOPES.filter((scope) => data.scopes.includes(scope.name));
  const orgWide = scopes.some((scope) => scope.orgWide);
  return layout({
    title: `Authorize ${data.appName}`,
    viewer,
    body: html`<section class="card narrow" aria-labelledby="consent-title">
      <h1 id="consent-title">Authorize ${data.appName}</h1>
      <p><strong>${data.appName}</strong>${data.appHomepage && html` (<a href="${data.appHomepage}" rel="noopener noreferrer">${data.appHomepage}</a>)`} wants to use your Berth account <strong>${data.userName}</strong>.</p>
      <h2>It will be able to</h2>
      <ul class="scopes">${scopes.map((scope) => html`<li>${scope.description} <code class="muted">${scope.name}</code></li>`)}</ul>
      <form method="post" action="/oauth/interaction/${data.uid}/consent" class="stack">
        ${csrfField(viewer)}
        ${
          orgWide &&
          data.orgs.length > 0 &&
          html`<fieldset>
            <legend>Organizations it may reach</legend>
            <p class="help" id="orgs-help">Only the organizations you tick; without any, only your own account.</p>
            ${data.orgs.map(
              (
                org,
              ) => html`<div class="check"><input type="checkbox" id="org-${org.id}" name="orgIds" value="${org.id}" aria-describedby="orgs-help" ${org.checked && html`checked`}>
                <label for="org-${org.id}">${org.name}</label></div>`,
            )}
          </fieldset>`
        }
        <div class="row">
          <button type="submit" name="decision" value="allow" class="primary">Authorize ${data.appName}</button>
          <button type="submit" name="decision" value="deny">Cancel</button>
        </div>
      </form>
      ${data.redirectOrigin && html`<p class="muted">Authorizing sends you back to <strong>${data.redirectOrigin}</strong>.</p>`}
      <p class="muted">You can revoke its access at any time in <a href="/settings/connected-applications">Settings → Connected Apps</a>.</p>
    </section>`,
  });
}

export function deviceCodePage(
  viewer: Viewer,
  form: { action: string; xsrf: string; error: string | undefined },
): string {
  return layout({
    title: "Connect a device",
    viewer,
    body: html`<section class="card narrow" aria-labelledby="device-title">
      <h1 id="device-title">Connect a device</h1>
      <p>Enter the code your device shows, for example <code>hf auth login</code> in a terminal.</p>
      ${form.error && html`<p class="error" role="alert">${form.error}</p>`}
      <form method="post" action="${form.action}" class="stack">
        <input type="hidden" name="xsrf" value="${form.xsrf}">
        <input type="hidden" name="confirm" value="yes">
        <label for="user-code">Code</label>
        <input id="user-code" name="user_code" required autocomplete="off" autocapitalize="characters" spellcheck="false" autofocus placeholder="XXXX-XXXX">
        <button type="submit" class="primary">Continue</button>
      </form>
    </section>`,
  });
}

/** Shown when a link carried the code: the user checks it matches what the device shows. */
export function deviceConfirmPage(
  viewer: Viewer,
  form: { action: string; xsrf: string; userCode: string; clientName: string },
): string {
  return layout({
    title: "Confirm the code",
    viewer,
    body: html`<section class="card narrow" aria-labelledby="confirm-title">
      <h1 id="confirm-title">Confirm the code</h1>
      <p><strong>${form.clientName}</strong> asks to connect to your account. Continue only if your device shows this code:</p>
      <p class="secret"><code>${form.userCode}</code></p>
      <form method="post" action="${form.action}" class="row">
        <input type="hidden" name="xsrf" value="${form.xsrf}">
        <input type="hidden" name="user_code" value="${form.userCode}">
        <button type="submit" name="confirm" value="yes" class="primary">Continue</button>
        <button type="submit" name="abort" value="yes">Cancel</button>
      </form>
    </section>`,
  });
}

export function deviceSuccessPage(viewer: Viewer, clientName: string): string {
  return layout({
    title: "Device connected",
    viewer,
    body: html`<section class="card narrow" aria-labelledby="done-title">
      <h1 id="done-title">Device connected</h1>
      <p role="status"><strong>${clientName}</strong> is signed in. You can close this page and go back to your device.</p>
      <p class="muted">Revoke its access at any time in <a href="/settings/connected-applications">Settings → Connected Apps</a>.</p>
    </section>`,
  });
}

export function oauthErrorPage(viewer: Viewer, error: string, description: string | undefined): SafeHtml | string {
  return layout({
    title: "Sign-in failed",
    viewer,
    body: html`<section class="card narrow" aria-labelledby="oauth-error-title">
      <h1 id="oauth-error-title">The app's sign-in request failed</h1>
      <p class="error" role="alert">${description ?? error}</p>
      <p class="muted">Error: <code>${error}</code></p>
      <p><a href="/">Back to the home page</a></p>
    </section>`,
  });
}
