/**
 * The "Create new access token" form, shaped like the Hub's: token type, name, expiration, and for
 * fine-grained tokens the permission editor (own namespace, repositories picked by search, orgs, gated
 * repos). Field names double as the deep-link query parameters the page pre-fills from.
 */
import type { RepoType } from "../../src/domain/repo-id.ts";
import type { TokenRole } from "../../src/domain/token.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, layout, type Viewer } from "../layout.ts";

export const USER_PERMISSIONS = [
  ["repo.content.read", "Read access to contents of all repos under your personal namespace"],
  ["repo.access.read", "View access requests for all gated repos under your personal namespace"],
  ["repo.write", "Write access to contents and settings of all repos under your personal namespace"],
  ["inference.serverless.write", "Make calls to the inference API on your behalf"],
  ["discussion.write", "Interact with discussions and open pull requests on repos under your personal namespace"],
  ["user.webhooks.read", "Access webhooks data"],
  ["user.webhooks.write", "Create and manage webhooks"],
] as const;

export const ORG_PERMISSIONS = [
  ["repo.content.read", "Read access to contents of all repos in the organization"],
  ["repo.access.read", "View access requests for all gated repos in the organization"],
  ["repo.write", "Write access to contents and settings of all repos in the organization"],
  ["discussion.write", "Interact with discussions and open pull requests on the organization's repos"],
  ["org.read", "Read access to the organization's settings and members"],
  ["org.write", "Write access to the organization's settings and members"],
] as const;

export const REPO_PERMISSIONS = [
  ["repo.content.read", "Read access to contents"],
  ["repo.write", "Write access to contents and settings"],
  ["discussion.write", "Interact with discussions and open pull requests"],
  ["repo.access.read", "View access requests (gated repos)"],
] as const;

export const EXPIRATIONS = [
  ["", "No expiration"],
  ["7d", "7 days"],
  ["30d", "30 days"],
  ["60d", "60 days"],
  ["90d", "90 days"],
  ["365d", "1 year"],
] as const;

export interface RepoScopeState {
  readonly type: RepoType;
  readonly name: string;
  readonly permissions: readonly string[];
}

export interface TokenFormState {
  readonly tokenType: TokenRole;
  readonly displayName: string;
  readonly expiresIn: string;
  readonly ownUserPermissions: readonly string[];
  readonly orgPermissions: Readonly<Record<string, readonly string[]>>;
  readonly repos: readonly RepoScopeState[];
  readonly canReadGatedRepos: boolean;
  readonly error?: string;
}

export const EMPTY_TOKEN_FORM: TokenFormState = {
  tokenType: "fineGrained",
  displayName: "",
  expiresIn: "",
  ownUserPermissions: [],
  orgPermissions: {},
  repos: [],
  canReadGatedRepos: false,
};

const TYPE_CHOICES = [
  ["fineGrained", "Fine-grained", "Choose exactly what the token may do, on which repositories and organizations."],
  ["read", "Read", "Read access to every repository you can read."],
  ["write", "Write", "Read and write access to every repository you can write."],
] as const;

function checkbox(id: string, name: string, value: string, label: string, checked: boolean): SafeHtml {
  return html`<div class="check"><input type="checkbox" id="${id}" name="${name}" value="${value}" ${checked && html`checked`}>
    <label for="${id}">${label} <code class="perm">${value}</code></label></div>`;
}

export function repoScopeBlock(scope: RepoScopeState, index: number): SafeHtml {
  const key = `${scope.type}:${scope.name}`;
  return html`<fieldset class="repo-scope" data-repo-scope>
    <legend>${scope.type} ${scope.name}</legend>
    <input type="hidden" name="repo" value="${key}">
    ${REPO_PERMISSIONS.map(([permission, label]) =>
      checkbox(
        `perm-repo-${index}-${permission}`,
        `repoPermissions:${key}`,
        permission,
        label,
        scope.permissions.includes(permission),
      ),
    )}
    <button type="button" class="small" data-remove-scope>Remove ${scope.name}</button>
  </fieldset>`;
}

export function tokenNewPage(
  viewer: Viewer,
  options: { userName: string; orgs: readonly string[]; form: TokenFormState },
): string {
  const { form } = options;
  const fine = form.tokenType === "fineGrained";
  return layout({
    title: "Create new access token",
    viewer,
    settingsTab: "tokens",
    body: html`<h1>Create new Access Token</h1>
    ${form.error && html`<p class="error" role="alert" id="form-error">${form.error}</p>`}
    <form method="post" action="/settings/tokens" class="token-form">
      ${csrfField(viewer)}
      <fieldset class="token-type">
        <legend>Token type</legend>
        <div class="segmented">
        ${TYPE_CHOICES.map(
          ([
            value,
            label,
            help,
          ]) => html`<div class="choice"><input type="radio" id="type-${value}" name="tokenType" value="${value}" ${form.tokenType === value && html`checked`} aria-describedby="type-${value}-help">
            <label for="type-${value}">${label}</label><p id="type-${value}-help" class="help">${help}</p></div>`,
        )}
        </div>
      </fieldset>
      <div class="field">
        <label for="displayName">Token name</label>
        <input id="displayName" name="displayName" required maxlength="100" value="${form.displayName}" autocomplete="off">
      </div>
      <div class="field">
        <label for="expiresIn">Expiration</label>
        <select id="expiresIn" name="expiresIn">
          ${EXPIRATIONS.map(([value, label]) => html`<option value="${value}" ${form.expiresIn === value && html`selected`}>${label}</option>`)}
        </select>
      </div>
      <div id="fine-grained" data-fine-grained ${!fine && html`hidden`}>
        <h2>Permissions</h2>
        <p class="help">These apply to fine-grained tokens only. A token never gets more than you have yourself.</p>
        <fieldset>
          <legend>User permissions (${options.userName})</legend>
          ${USER_PERMISSIONS.map(([permission, label]) =>
            checkbox(
              `perm-user-${permission}`,
              "ownUserPermissions",
              permission,
              label,
              form.ownUserPermissions.includes(permission),
            ),
          )}
        </fieldset>
        <fieldset class="repos">
          <legend>Repositories permissions</legend>
          <div class="picker" data-repo-picker>
            <div class="row">
              <div class="field">
                <label for="newRepoType">Repository type</label>
                <select id="newRepoType" name="newRepoType">
                  <option value="model">Model</option><option value="dataset">Dataset</option><option value="space">Space</option>
                </select>
              </div>
              <div class="field grow">
                <label for="newRepo">Search for repositories</label>
                <input id="newRepo" name="newRepo" type="search" placeholder="namespace/name" autocomplete="off" aria-describedby="newRepo-help" aria-controls="repo-results">
              </div>
            </div>
            <p id="newRepo-help" class="help">Type part of a name to search the repositories you can see, then add one. Without scripts, type the full id: it is added with the checked permissions below when you create the token.</p>
            <ul id="repo-results" class="results" aria-live="polite" aria-label="Matching repositories"></ul>
            <div class="no-script-perms" data-no-script>
              ${REPO_PERMISSIONS.map(([permission, label]) => checkbox(`perm-newrepo-${permission}`, "newRepoPermissions", permission, label, permission === "repo.content.read"))}
            </div>
          </div>
          <div id="repo-scopes" data-repo-scopes data-next-index="${form.repos.length}">${form.repos.map(repoScopeBlock)}</div>
        </fieldset>
        ${options.orgs.map(
          (org) => html`<fieldset>
            <legend>Org permissions (${org})</legend>
            ${ORG_PERMISSIONS.map(([permission, label]) =>
              checkbox(
                `perm-org-${org}-${permission}`,
                `orgPermissions:${org}`,
                permission,
                label,
                (form.orgPermissions[org] ?? []).includes(permission),
              ),
            )}
          </fieldset>`,
        )}
        <fieldset>
          <legend>Gated repositories</legend>
          <div class="check"><input type="checkbox" id="canReadGatedRepos" name="canReadGatedRepos" value="true" ${form.canReadGatedRepos && html`checked`}>
          <label for="canReadGatedRepos">Read access to contents of all public gated repos you can access</label></div>
        </fieldset>
      </div>
      <div class="actions"><button type="submit" class="primary">Create token</button> <a href="/settings/tokens" class="button">Cancel</a></div>
    </form>
    <template id="repo-scope-template">${repoScopeBlock({ type: "model", name: "__NAME__", permissions: ["repo.content.read"] }, 9999)}</template>`,
  });
}
