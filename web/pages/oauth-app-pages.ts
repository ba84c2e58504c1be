/** Settings → OAuth Apps (apps the user or their orgs registered) and Connected Apps (apps they authorized). */
import { OAUTH_SCOPES } from "../../src/domain/oauth-scopes.ts";
import type { Token } from "../../src/domain/token.ts";
import type { OAuthClient } from "../../src/store/oauth-clients.ts";
import { formatDate } from "../format.ts";
import { html } from "../html.ts";
import { csrfField, layout, type Viewer } from "../layout.ts";

export interface ManagedApp {
  readonly client: OAuthClient;
  readonly ownerName: string;
}

export function appListPage(viewer: Viewer, apps: readonly ManagedApp[]): string {
  const rows = apps.map(
    ({ client, ownerName }) => html`<tr>
      <th scope="row">${client.name}</th>
      <td>${ownerName}</td>
      <td><code>${client.id}</code></td>
      <td>${client.isPublic ? "Public (PKCE, no secret)" : html`Confidential <span class="muted">${client.secretHint ?? ""}</span>`}</td>
      <td><ul class="perms">${client.redirectUris.map((uri) => html`<li>${uri}</li>`)}</ul></td>
      <td class="actions">
        ${
          !client.isPublic &&
          html`<form method="post" action="/settings/applications/${client.id}/secret" data-confirm="Replace the secret of “${client.name}”? The old one stops working at once." data-confirm-button="Replace the secret">${csrfField(viewer)}<button type="submit" class="small">Rotate secret</button></form>`
        }
        <form method="post" action="/settings/applications/${client.id}/delete" data-confirm="Delete “${client.name}”? Every access it was granted ends at once." data-confirm-button="Delete">${csrfField(viewer)}<button type="submit" class="small danger-text">Delete</button></form>
      </td>
    </tr>`,
  );
  return layout({
    title: "OAuth Apps",
    viewer,
    settingsTab: "applications",
    body: html`<div class="heading-row">
        <h1>OAuth Apps</h1>
        <a class="button primary" href="/settings/applications/new">+ New app</a>
      </div>
      <p class="lede">Apps that sign people in with Berth (“Sign in with Berth”), registered by you or by organizations you administer.</p>
      ${
        apps.length === 0
          ? html`<p class="empty">No apps yet.</p>`
          : html`<div class="table-wrap"><table>
          <caption class="visually-hidden">Your OAuth apps</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Owner</th><th scope="col">Client ID</th><th scope="col">Type</th><th scope="col">Redirect URIs</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${rows}</tbody></table></div>`
      }`,
  });
}

export interface AppForm {
  readonly name: string;
  readonly homepage: string;
  readonly redirectUris: string;
  readonly scopes: readonly string[];
  readonly isPublic: boolean;
  readonly owner: string;
  readonly error?: string;
}

export const EMPTY_APP_FORM: AppForm = {
  name: "",
  homepage: "",
  redirectUris: "",
  scopes: ["openid", "profile"],
  isPublic: false,
  owner: "",
};

export function appNewPage(viewer: Viewer, owners: readonly string[], form: AppForm): string {
  return layout({
    title: "New OAuth app",
    viewer,
    settingsTab: "applications",
    body: html`<h1>New OAuth app</h1>
      ${form.error && html`<p class="error" role="alert">${form.error}</p>`}
      <form method="post" action="/settings/applications" class="stack card">
        ${csrfField(viewer)}
        <label for="owner">Owner</label>
        <select id="owner" name="owner">${owners.map((owner) => html`<option value="${owner}" ${owner === form.owner && html`selected`}>${owner}</option>`)}</select>
        <label for="name">Name</label>
        <input id="name" name="name" required maxlength="100" value="${form.name}">
        <label for="homepage">Homepage <span class="optional">(optional)</span></label>
        <input id="homepage" name="homepage" type="url" maxlength="500" value="${form.homepage}">
        <label for="redirect-uris">Redirect URIs</label>
        <textarea id="redirect-uris" name="redirectUris" rows="3" required aria-describedby="redirect-help">${form.redirectUris}</textarea>
        <p id="redirect-help" class="help">One per line, matched exactly. An app whose redirect URIs are all loopback (<code>http://127.0.0.1/…</code>, <code>http://localhost/…</code>) is a native app: any port is accepted.</p>
        <fieldset>
          <legend>Scopes the app may ask for</legend>
          ${OAUTH_SCOPES.filter((scope) => scope.name !== "openid").map(
            (
              scope,
            ) => html`<div class="check"><input type="checkbox" id="scope-${scope.name}" name="scopes" value="${scope.name}" ${form.scopes.includes(scope.name) && html`checked`}>
              <label for="scope-${scope.name}"><code>${scope.name}</code> ${scope.description}</label></div>`,
          )}
        </fieldset>
        <div class="check"><input type="checkbox" id="public" name="public" value="yes" aria-describedby="public-help" ${form.isPublic && html`checked`}>
          <label for="public">Public app, without a secret</label></div>
        <p id="public-help" class="help">For native apps, command-line tools and single-page apps, which cannot keep a secret; they must use PKCE.</p>
        <button type="submit" class="primary">Create app</button>
      </form>`,
  });
}

/** The one place a client secret is rendered: the answer to the POST that created or replaced it. */
export function appSecretPage(viewer: Viewer, client: OAuthClient, secret: string | undefined): string {
  return layout({
    title: "App credentials",
    viewer,
    settingsTab: "applications",
    body: html`<h1>${client.name}</h1>
      <div class="card stack">
        <label for="client-id">Client ID</label>
        <input id="client-id" type="text" readonly value="${client.id}" spellcheck="false">
        ${
          secret
            ? html`<p class="warning" role="status">Save the client secret now: you will not be able to see it again.</p>
          <label for="client-secret">Client secret</label>
          <div class="copy-row"><input id="client-secret" class="secret" type="text" readonly value="${secret}" spellcheck="false" autocomplete="off">
          <button type="button" class="primary" data-copy="client-secret" hidden>Copy</button></div>
          <p class="copied muted" data-copied-for="client-secret" aria-live="polite"></p>`
            : html`<p>This is a public app: it has no secret and signs people in with PKCE.</p>`
        }
        <p><a class="button" href="/settings/applications">Done</a></p>
      </div>`,
  });
}

export function connectedAppsPage(
  viewer: Viewer,
  apps: readonly { token: Token; client: OAuthClient | undefined }[],
): string {
  const described = (scopes: readonly string[]) =>
    OAUTH_SCOPES.filter((scope) => scopes.includes(scope.name)).map((scope) => html`<li>${scope.description}</li>`);
  const rows = apps.map(
    ({ token, client }) => html`<tr>
      <th scope="row">${client?.name ?? "A deleted app"}</th>
      <td><ul class="perms">${described(token.app?.scopes ?? [])}</ul>${
        token.app &&
        token.app.orgs.length > 0 &&
        html`<p class="muted">Organizations: ${token.app.orgs.map((org) => org.name).join(", ")}</p>`
      }</td>
      <td>${formatDate(token.createdAt)}</td>
      <td>${token.lastUsedAt ? formatDate(token.lastUsedAt) : html`<span class="muted">Never</span>`}</td>
      <td><form method="post" action="/settings/connected-applications/${token.id}/revoke" data-confirm="Revoke the access of “${client?.name ?? "this app"}”? It stops working at once, everywhere." data-confirm-button="Revoke">${csrfField(viewer)}<button type="submit" class="small danger-text">Revoke</button></form></td>
    </tr>`,
  );
  return layout({
    title: "Connected Apps",
    viewer,
    settingsTab: "connected",
    body: html`<h1>Connected Apps</h1>
      <p class="lede">Apps and devices you let use your account, such as <code>hf auth login</code>. Revoking one ends its access at once: the API, git and LFS refuse it.</p>
      ${
        apps.length === 0
          ? html`<p class="empty">You have not authorized any app.</p>`
          : html`<div class="table-wrap"><table>
          <caption class="visually-hidden">Apps you authorized</caption>
          <thead><tr><th scope="col">App</th><th scope="col">It can</th><th scope="col">Authorized</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${rows}</tbody></table></div>`
      }`,
  });
}
