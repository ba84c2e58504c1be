import type { AccessRequest, AccessStatus, Repo } from "../../src/domain/entities.ts";
import { fullName, repoUrlPath } from "../../src/domain/repo-id.ts";
import { pathProblem } from "../../src/git/path-rules.ts";
import type { TreeEntry } from "../../src/git/tree-reader.ts";
import { formatBytes, formatDate } from "../format.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, layout, type Viewer } from "../layout.ts";

/** What the engine said the viewer may do on this repo; the pages only show what is allowed. */
export interface RepoAbilities {
  readonly content: boolean;
  readonly admin: boolean;
  readonly accessRead: boolean;
}

const GATING_LABELS = { auto: "Gated (requests approved automatically)", manual: "Gated (requests reviewed by hand)" };

function repoHeader(repo: Repo, abilities: RepoAbilities, current: "files" | "settings" | "requests"): SafeHtml {
  const base = repoUrlPath(repo);
  const tab = (key: typeof current, href: string, label: string) =>
    html`<li><a href="${href}" ${key === current && html`aria-current="page"`}>${label}</a></li>`;
  return html`<div class="repo-head">
      <p class="muted">${repo.type}</p>
      <h1><a href="/${repo.namespace}">${repo.namespace}</a> / ${repo.name}</h1>
      <p>${repo.private ? html`<span class="badge">Private</span>` : html`<span class="badge">Public</span>`}
        ${repo.gated !== false && html`<span class="badge gated">${GATING_LABELS[repo.gated]}</span>`}</p>
    </div>
    <nav aria-label="Repository" class="tabs"><ul>
      ${tab("files", base, "Files")}
      ${abilities.accessRead && repo.gated !== false && tab("requests", `${base}/settings/access-requests`, "Access requests")}
      ${abilities.admin && tab("settings", `${base}/settings`, "Settings")}
    </ul></nav>`;
}

function gateNotice(viewer: Viewer, repo: Repo, status: AccessStatus | undefined): SafeHtml {
  const base = repoUrlPath(repo);
  if (!viewer.user) {
    return html`<section class="card gate" aria-labelledby="gate-title"><h2 id="gate-title">You need to agree to share your contact information to access this ${repo.type}</h2>
      <p>This repository is publicly accessible, but you have to accept the conditions to access its files and content. <a href="/login?next=${encodeURIComponent(base)}">Sign in</a> to request access.</p></section>`;
  }
  if (status === "pending") {
    return html`<section class="card gate" aria-labelledby="gate-title"><h2 id="gate-title">Your request to access this repository is pending</h2>
      <p>Your request is awaiting review from the repository authors. You will get access once they accept it.</p></section>`;
  }
  if (status === "rejected") {
    return html`<section class="card gate" aria-labelledby="gate-title"><h2 id="gate-title">Your request to access this repository has been rejected</h2>
      <p>The repository authors have not granted you access.</p></section>`;
  }
  return html`<section class="card gate" aria-labelledby="gate-title"><h2 id="gate-title">You need to agree to share your contact information to access this ${repo.type}</h2>
    <p>This repository is publicly accessible, but you have to accept the conditions to access its files and content. Your user name and email address are shared with the authors.</p>
    ${repo.gated === "manual" && html`<p>The authors review each request by hand.</p>`}
    <form method="post" action="${base}/ask-access">${csrfField(viewer)}<button type="submit" class="primary">Agree and access repository</button></form></section>`;
}

export function repoPage(
  viewer: Viewer,
  data: {
    repo: Repo;
    abilities: RepoAbilities;
    files: readonly TreeEntry[] | undefined;
    accessStatus: AccessStatus | undefined;
    cloneUrl: string;
  },
): string {
  const { repo, abilities } = data;
  const base = repoUrlPath(repo);
  // A path from before the path rules (`..`, `.git~1/x`) is listed but never linked: as a URL it could
  // resolve outside the repo, and downloads refuse most of them anyway.
  const linkable = (path: string) => (abilities.content || path === "README.md") && pathProblem(path) === undefined;
  const files = data.files?.filter((entry) => entry.type === "file") ?? [];
  return layout({
    title: fullName(repo),
    viewer,
    body: html`${repoHeader(repo, abilities, "files")}
    ${repo.gated !== false && abilities.content && viewer.user && html`<p class="note">You have been granted access to this repository.</p>`}
    ${repo.gated !== false && !abilities.content && gateNotice(viewer, repo, data.accessStatus)}
    <section aria-labelledby="files-title">
      <h2 id="files-title">Files of <code>main</code></h2>
      ${
        data.files === undefined
          ? html`<p class="empty">This repository has no main branch yet.</p>`
          : files.length === 0
            ? html`<p class="empty">No files.</p>`
            : html`<div class="table-wrap"><table class="files"><caption class="visually-hidden">Files on the main branch</caption>
              <thead><tr><th scope="col">Path</th><th scope="col" class="num">Size</th></tr></thead>
              <tbody>${files.map(
                (
                  entry,
                ) => html`<tr><td>${linkable(entry.path) ? html`<a href="${base}/resolve/main/${entry.path.split("/").map(encodeURIComponent).join("/")}">${entry.path}</a>` : entry.path}
                  ${entry.lfs && html`<span class="badge">LFS</span>`}</td><td class="num">${formatBytes(entry.size)}</td></tr>`,
              )}</tbody></table></div>`
      }
    </section>
    <section aria-labelledby="use-title"><h2 id="use-title">Use this ${repo.type}</h2>
      <pre><code>git clone ${data.cloneUrl}</code></pre></section>`,
  });
}

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
    body: html`${repoHeader(repo, data.abilities, "settings")}
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
    body: html`${repoHeader(repo, data.abilities, "requests")}
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
