/** The settings and access-request pages of a repository. */
import type { AccessRequest, AccessStatus, Repo } from "../../src/domain/entities.ts";
import { fullName, repoUrlPath } from "../../src/domain/repo-id.ts";
import { formatDate } from "../format.ts";
import { html } from "../html.ts";
import { csrfField, layout, type Viewer } from "../layout.ts";
import { type RepoAbilities, repoChrome } from "./repo-chrome.ts";

export function repoSettingsPage(
  viewer: Viewer,
  data: { repo: Repo; abilities: RepoAbilities; error?: string; notice?: string },
): string {
  const { repo } = data;
  const base = `${repoUrlPath(repo)}/settings`;
  const gating = repo.gated === false ? "off" : repo.gated;
  return layout({
    title: `Settings – ${fullName(repo)}`,
    viewer,
    body: html`${repoChrome(repo, data.abilities, "settings")}
    <h2 class="visually-hidden">Settings</h2>
    ${data.error && html`<p class="error" role="alert">${data.error}</p>`}
    ${data.notice && html`<p class="note" role="status">${data.notice}</p>`}
    <section class="card" aria-labelledby="visibility-title">
      <h3 id="visibility-title">Change repository visibility</h3>
      <p>This repository is currently <strong>${repo.private ? "private" : "public"}</strong>. ${repo.private ? "Only you and members of its organization can see it." : "Anyone can see it."}</p>
      <form method="post" action="${base}/visibility">${csrfField(viewer)}
        <input type="hidden" name="visibility" value="${repo.private ? "public" : "private"}">
        <button type="submit">Make ${repo.private ? "public" : "private"}</button></form>
    </section>
    <section class="card" aria-labelledby="gating-title">
      <h3 id="gating-title">Access requests</h3>
      <p>Gate this repository: visitors must ask for access before reading its files. Metadata and README.md stay visible.</p>
      <form method="post" action="${base}/gating" class="stack">${csrfField(viewer)}
        <fieldset><legend>Gating</legend>
          ${(
            [
              ["off", "Off: anyone who can see the repository reads its files"],
              ["auto", "Automatic approval: requests are accepted at once"],
              ["manual", "Manual approval: you review each request"],
            ] as const
          ).map(
            ([value, label]) =>
              html`<div class="check"><input type="radio" id="gated-${value}" name="gated" value="${value}" ${gating === value && html`checked`}><label for="gated-${value}">${label}</label></div>`,
          )}
        </fieldset>
        <button type="submit">Save gating</button>
      </form>
      ${repo.gated !== false && data.abilities.accessRead && html`<p><a href="${base}/access-requests">Review access requests</a></p>`}
    </section>
    <section class="card danger-zone" aria-labelledby="delete-title">
      <h3 id="delete-title">Delete this repository</h3>
      <p>This cannot be undone: the files, the history and the access requests are deleted.</p>
      <form method="post" action="${base}/delete" class="stack">${csrfField(viewer)}
        <label for="confirm-name">Type <strong>${fullName(repo)}</strong> to confirm</label>
        <input id="confirm-name" name="confirmName" required autocomplete="off">
        <button type="submit" class="danger">I understand, delete this repository</button>
      </form>
    </section>`,
  });
}

export function accessRequestsPage(
  viewer: Viewer,
  data: {
    repo: Repo;
    abilities: RepoAbilities;
    canHandle: boolean;
    lists: Record<AccessStatus, readonly AccessRequest[]>;
    error?: string;
  },
): string {
  const { repo } = data;
  const action = `${repoUrlPath(repo)}/settings/access-requests`;
  const button = (request: AccessRequest, status: AccessStatus, label: string, cls: string) =>
    html`<form method="post" action="${action}" class="inline">${csrfField(viewer)}
      <input type="hidden" name="user" value="${request.user.name}"><input type="hidden" name="status" value="${status}">
      <button type="submit" class="small ${cls}">${label}<span class="visually-hidden"> ${request.user.name}</span></button></form>`;
  const table = (status: AccessStatus, title: string) => {
    const rows = data.lists[status];
    return html`<section aria-labelledby="list-${status}"><h2 id="list-${status}">${title} (${rows.length})</h2>
      ${
        rows.length === 0
          ? html`<p class="empty">None.</p>`
          : html`<div class="table-wrap"><table><caption class="visually-hidden">${title}</caption>
          <thead><tr><th scope="col">User</th><th scope="col">Email</th><th scope="col">Requested</th><th scope="col">Answers</th>${data.canHandle && html`<th scope="col">Actions</th>`}</tr></thead>
          <tbody>${rows.map(
            (
              request,
            ) => html`<tr><th scope="row">${request.user.name}<br><span class="muted">${request.user.fullname}</span></th>
              <td>${request.grantedByHand ? html`<span class="muted">granted by hand</span>` : request.user.email}</td>
              <td>${formatDate(request.createdAt)}</td>
              <td>${request.fields ? html`<dl class="answers">${Object.entries(request.fields).map(([key, value]) => html`<dt>${key}</dt><dd>${typeof value === "string" ? value : JSON.stringify(value)}</dd>`)}</dl>` : html`<span class="muted">–</span>`}</td>
              ${
                data.canHandle &&
                html`<td><div class="row">${status !== "accepted" && button(request, "accepted", "Accept", "primary")}
                  ${status !== "rejected" && button(request, "rejected", "Reject", "danger-text")}</div></td>`
              }</tr>`,
          )}</tbody></table></div>`
      }</section>`;
  };
  return layout({
    title: `Access requests – ${fullName(repo)}`,
    viewer,
    body: html`${repoChrome(repo, data.abilities, "requests")}
    ${data.error && html`<p class="error" role="alert">${data.error}</p>`}
    ${repo.gated === false && html`<p class="note">This repository is not gated: nobody needs to ask for access.</p>`}
    ${table("pending", "Pending requests")}
    ${table("accepted", "Accepted requests")}
    ${table("rejected", "Rejected requests")}
    ${
      data.canHandle &&
      repo.gated !== false &&
      html`<form method="post" action="${action}/grant" class="card row">${csrfField(viewer)}
        <div class="field"><label for="grant-user">Grant access to a user</label><input id="grant-user" name="user" required maxlength="96" autocomplete="off"></div>
        <button type="submit">Grant access</button></form>`
    }`,
  });
}
