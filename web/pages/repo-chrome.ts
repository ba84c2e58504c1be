/**
 * What every page of a repository shares: the heading with its badges, the tab bar (card, files,
 * community, and for those who may, access requests and settings), the gate's notice, the revision
 * switcher and the path breadcrumbs. URLs are built here once, with each segment encoded.
 */
import type { AccessStatus, Repo } from "../../src/domain/entities.ts";
import { fullName, repoUrlPath } from "../../src/domain/repo-id.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, type Viewer } from "../layout.ts";

/** What the engine said the viewer may do on this repo; the pages only show what is allowed. */
export interface RepoAbilities {
  readonly content: boolean;
  readonly admin: boolean;
  readonly accessRead: boolean;
}

export type RepoTab = "card" | "files" | "community" | "settings" | "requests";

const GATING_LABELS = { auto: "Gated (requests approved automatically)", manual: "Gated (requests reviewed by hand)" };
const TYPE_LABELS = { model: "Model", dataset: "Dataset", space: "Space" } as const;

export const encodeRepoPath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

/** `/{repo}/{view}/{rev}[/{path}]` with the revision as one encoded segment (`refs%2Fpr%2F1`). */
export function repoViewUrl(
  repo: Repo,
  view: "tree" | "blob" | "commits" | "resolve" | "raw",
  revision: string,
  path = "",
): string {
  const tail = path === "" ? "" : `/${encodeRepoPath(path)}`;
  return `${repoUrlPath(repo)}/${view}/${encodeURIComponent(revision)}${tail}`;
}

export function commitUrl(repo: Repo, commit: string): string {
  return `${repoUrlPath(repo)}/commit/${commit}`;
}

export function repoChrome(repo: Repo, abilities: RepoAbilities, current: RepoTab): SafeHtml {
  const base = repoUrlPath(repo);
  const tab = (key: RepoTab, href: string, label: string) =>
    html`<li><a href="${href}" ${key === current && html`aria-current="page"`}>${label}</a></li>`;
  return html`<div class="repo-head">
      <p class="muted">${TYPE_LABELS[repo.type]}</p>
      <h1><a href="/${repo.namespace}">${repo.namespace}</a> / <a href="${base}">${repo.name}</a></h1>
      <p class="row repo-badges">${repo.private ? html`<span class="badge">Private</span>` : html`<span class="badge">Public</span>`}
        ${repo.gated !== false && html`<span class="badge gated">${GATING_LABELS[repo.gated]}</span>`}
        <input id="repo-id" class="repo-id" readonly value="${fullName(repo)}" aria-label="Repository id" spellcheck="false">
        <button type="button" class="small" data-copy="repo-id" hidden>Copy id</button>
        <span class="copied muted" data-copied-for="repo-id" aria-live="polite"></span></p>
    </div>
    <nav aria-label="Repository" class="tabs"><ul>
      ${tab("card", base, `${TYPE_LABELS[repo.type]} card`)}
      ${tab("files", repoViewUrl(repo, "tree", "main"), "Files and versions")}
      ${tab("community", `${base}/discussions`, "Community")}
      ${abilities.accessRead && repo.gated !== false && tab("requests", `${base}/settings/access-requests`, "Access requests")}
      ${abilities.admin && tab("settings", `${base}/settings`, "Settings")}
    </ul></nav>`;
}

export function gateNotice(viewer: Viewer, repo: Repo, status: AccessStatus | undefined): SafeHtml {
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

export interface RevisionChoices {
  /** The revision as the URL named it (branch, tag, or commit id). */
  readonly current: string;
  readonly commit: string;
  readonly branches: readonly string[];
  readonly tags: readonly string[];
}

/** A menu of branches and tags linking to the same view at each; works without script (`<details>`). */
export function revisionSwitcher(choices: RevisionChoices, href: (revision: string) => string): SafeHtml {
  const isCommit = /^[0-9a-f]{40}$/.test(choices.current);
  const label = isCommit ? `Commit ${choices.current.slice(0, 7)}` : choices.current;
  const item = (name: string) =>
    html`<li><a class="menu-link" href="${href(name)}" ${name === choices.current && html`aria-current="true"`}>${name}</a></li>`;
  return html`<details class="menu rev-menu">
    <summary><span class="visually-hidden">Revision: </span>${label}</summary>
    <div class="menu-items">
      <p class="menu-title">Branches</p><ul>${choices.branches.map(item)}</ul>
      ${choices.tags.length > 0 && html`<p class="menu-title">Tags</p><ul>${choices.tags.map(item)}</ul>`}
      ${!isCommit && html`<p class="muted">At commit <code>${choices.commit.slice(0, 12)}</code></p>`}
    </div>
  </details>`;
}

/** `repo / dir / sub / file` with each directory linked to its tree at `revision`. */
export function breadcrumbs(repo: Repo, revision: string, path: string): SafeHtml {
  const segments = path === "" ? [] : path.split("/");
  return html`<nav aria-label="Path" class="breadcrumbs"><a href="${repoViewUrl(repo, "tree", revision)}">${repo.name}</a>${segments.map(
    (segment, i) =>
      html` / ${i === segments.length - 1 ? html`<span aria-current="page">${segment}</span>` : html`<a href="${repoViewUrl(repo, "tree", revision, segments.slice(0, i + 1).join("/"))}">${segment}</a>`}`,
  )}</nav>`;
}
