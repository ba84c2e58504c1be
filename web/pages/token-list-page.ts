import type { Token } from "../../src/domain/token.ts";
import { formatDate } from "../format.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, layout, type Viewer } from "../layout.ts";

const ROLE_LABELS = { read: "Read", write: "Write", fineGrained: "Fine-grained" } as const;

/** One line per entity: `acme (org): repo.content.read, repo.write`. Never anything secret. */
export function permissionSummary(token: Token): string[] {
  if (token.role === "read") return ["Read access to everything you can read"];
  if (token.role === "write") return ["Write access to everything you can write"];
  const fine = token.fineGrained;
  if (!fine) return ["No permissions"];
  const lines = fine.scoped.map((scope) => {
    const kind = scope.entity.type === "user" ? "you" : scope.entity.type;
    return `${scope.entity.name} (${kind}): ${scope.permissions.join(", ") || "none"}`;
  });
  if (fine.global.length > 0) lines.push(`everywhere: ${fine.global.join(", ")}`);
  if (fine.canReadGatedRepos) lines.push("Read access to public gated repos you can access");
  return lines.length > 0 ? lines : ["No permissions"];
}

function manageMenu(viewer: Viewer, token: Token): SafeHtml {
  const base = `/settings/tokens/${token.id}`;
  return html`<details class="menu">
    <summary aria-label="Manage ${token.displayName}">Manage</summary>
    <div class="menu-items">
      ${
        !token.app &&
        html`<form method="post" action="${base}/refresh" data-confirm="Invalidate the current value of “${token.displayName}” and show a new one? Anything using the old value stops working at once." data-confirm-button="Invalidate and refresh">
        ${csrfField(viewer)}<button type="submit">Invalidate and refresh</button>
      </form>`
      }
      <form method="post" action="${base}/delete" data-confirm="Delete the token “${token.displayName}”? Anything using it stops working at once." data-confirm-button="Delete">
        ${csrfField(viewer)}<button type="submit" class="danger-text">Delete</button>
      </form>
    </div>
  </details>`;
}

/** Inference calls of a token (issue 5), for the list: count, last call, and the per-minute limit. */
export interface TokenUsage {
  readonly calls: number;
  readonly lastCallAt: string | null;
  readonly rateLimitPerMinute: number | undefined;
}

export function tokenListPage(
  viewer: Viewer,
  tokens: readonly Token[],
  now: Date,
  usage: ReadonlyMap<string, TokenUsage> = new Map(),
): string {
  const rows = tokens.map(
    (token) => html`<tr>
      <th scope="row">${token.displayName}</th>
      <td>${token.app ? html`<span class="badge">OAuth app</span>` : html`<span class="badge role-${token.role}">${ROLE_LABELS[token.role]}</span>`}
        ${token.role === "fineGrained" && html`<ul class="perms">${permissionSummary(token).map((line) => html`<li>${line}</li>`)}</ul>`}</td>
      <td><code>${token.hint}</code></td>
      <td>${formatDate(token.createdAt)}</td>
      <td>${token.lastUsedAt ? html`${formatDate(token.lastUsedAt)}${token.lastUsedIp && html`<br><span class="muted">from ${token.lastUsedIp}</span>`}` : html`<span class="muted">Never</span>`}</td>
      <td>${token.expiresAt ? html`${token.expiresAt.getTime() <= now.getTime() ? html`<strong class="warn">Expired</strong> ` : ""}${formatDate(token.expiresAt)}` : html`<span class="muted">Never</span>`}</td>
      <td>${usageCell(usage.get(token.id))}</td>
      <td>${manageMenu(viewer, token)}</td>
    </tr>`,
  );
  return layout({
    title: "Access Tokens",
    viewer,
    settingsTab: "tokens",
    body: html`<div class="heading-row">
        <h1>Access Tokens</h1>
        <a class="button primary" href="/settings/tokens/new">+ Create new token</a>
      </div>
      <p class="lede">Access tokens authenticate your identity to Berth and let applications act with the permissions you give them. Tools such as <code>huggingface_hub</code>, <code>@huggingface/hub</code>, git and git-lfs use them. Do not share them.</p>
      <h2>User Access Tokens</h2>
      ${
        tokens.length === 0
          ? html`<p class="empty">You have no access tokens yet.</p>`
          : html`<div class="table-wrap"><table class="tokens">
          <caption class="visually-hidden">Your access tokens</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Role and permissions</th><th scope="col">Value</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Inference</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${rows}</tbody>
        </table></div>`
      }`,
  });
}

function usageCell(usage: TokenUsage | undefined) {
  const calls = usage?.calls ?? 0;
  const limit = usage?.rateLimitPerMinute;
  return html`${calls === 0 ? html`<span class="muted">No calls</span>` : html`${calls} ${calls === 1 ? "call" : "calls"}`}${
    usage?.lastCallAt ? html`<br><span class="muted">last ${formatDate(new Date(usage.lastCallAt))}</span>` : ""
  }${limit !== undefined ? html`<br><span class="muted">limit ${limit}/min</span>` : ""}`;
}

/** The one place a token value is ever rendered: the answer to the POST that created or refreshed it. */
export function tokenValuePage(viewer: Viewer, token: Token, value: string, refreshed: boolean): string {
  return layout({
    title: refreshed ? "Token refreshed" : "Token created",
    viewer,
    settingsTab: "tokens",
    body: html`<h1>${refreshed ? "Token refreshed" : "Save your Access Token"}</h1>
      <div class="card">
        <p><strong>${token.displayName}</strong> <span class="badge role-${token.role}">${ROLE_LABELS[token.role]}</span></p>
        <p class="warning" role="status">Save your token value somewhere safe. You will not be able to see it again after you leave this page. If you lose it, you will need to refresh it or create a new one.</p>
        <label for="token-value">Token value</label>
        <div class="copy-row">
          <input id="token-value" class="secret" type="text" readonly value="${value}" spellcheck="false" autocomplete="off">
          <button type="button" class="primary" data-copy="token-value" hidden>Copy</button>
        </div>
        <p class="copied muted" data-copied-for="token-value" aria-live="polite"></p>
        <p><a class="button" href="/settings/tokens">Done</a></p>
      </div>`,
  });
}
