/** Files and versions: a directory of the tree at any revision, with sizes, LFS badges and last commits. */
import type { AccessStatus, Repo } from "../../src/domain/entities.ts";
import { fullName, repoUrlPath } from "../../src/domain/repo-id.ts";
import type { LastCommit } from "../../src/git/commit-log.ts";
import { pathProblem } from "../../src/git/path-rules.ts";
import type { TreeEntry } from "../../src/git/tree-reader.ts";
import { formatBytes, formatDate } from "../format.ts";
import { html, type SafeHtml } from "../html.ts";
import { layout, type Viewer } from "../layout.ts";
import {
  breadcrumbs,
  commitUrl,
  gateNotice,
  type RepoAbilities,
  type RevisionChoices,
  repoChrome,
  repoViewUrl,
  revisionSwitcher,
} from "./repo-chrome.ts";

export interface TreePageData {
  readonly repo: Repo;
  readonly abilities: RepoAbilities;
  readonly accessStatus: AccessStatus | undefined;
  readonly revision: RevisionChoices;
  readonly path: string;
  /** This page of the directory's entries, directories first. */
  readonly entries: readonly TreeEntry[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly lastCommits: ReadonlyMap<string, LastCommit>;
  readonly cloneUrl: string;
}

/** A path from before the path rules (`..`, `.git~1/x`) is listed but never linked. */
const linkable = (path: string) => pathProblem(path) === undefined;

function entryRow(data: TreePageData, entry: TreeEntry): SafeHtml {
  const { repo, abilities } = data;
  const name = entry.path.slice(entry.path.lastIndexOf("/") + 1);
  const rev = data.revision.current;
  const readable = abilities.content || entry.path === "README.md";
  let cell: SafeHtml;
  if (!linkable(entry.path)) cell = html`${name}`;
  else if (entry.type === "directory")
    cell = html`<a href="${repoViewUrl(repo, "tree", rev, entry.path)}" class="dir">${name}/</a>`;
  else if (readable) cell = html`<a href="${repoViewUrl(repo, "blob", rev, entry.path)}">${name}</a>`;
  else cell = html`${name}`;
  const last = data.lastCommits.get(entry.path);
  return html`<tr><th scope="row"><span class="icon" aria-hidden="true">${entry.type === "directory" ? "▸" : "·"}</span>${cell}
      ${entry.lfs && html` <span class="badge lfs" title="Stored with Git LFS">LFS</span>`}</th>
    <td class="num">${entry.type === "file" ? formatBytes(entry.size) : ""}</td>
    <td class="last">${last ? html`<a href="${commitUrl(repo, last.id)}">${last.title || last.id.slice(0, 7)}</a>` : ""}</td>
    <td class="when">${last ? formatDate(last.date) : ""}</td>
    <td>${entry.type === "file" && readable && linkable(entry.path) && html`<a href="${repoViewUrl(repo, "resolve", rev, entry.path)}" class="small-link" download>Download<span class="visually-hidden"> ${name}</span></a>`}</td></tr>`;
}

export function repoTreePage(viewer: Viewer, data: TreePageData): string {
  const { repo, abilities } = data;
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  const here = repoViewUrl(repo, "tree", data.revision.current, data.path);
  return layout({
    title: `${data.path || "Files"} – ${fullName(repo)}`,
    viewer,
    body: html`${repoChrome(repo, abilities, "files")}
    ${repo.gated !== false && !abilities.content && gateNotice(viewer, repo, data.accessStatus)}
    <div class="toolbar">
      ${revisionSwitcher(data.revision, (rev) => repoViewUrl(repo, "tree", rev, data.path))}
      ${breadcrumbs(repo, data.revision.current, data.path)}
      <span class="grow"></span>
      <a href="${repoViewUrl(repo, "commits", data.revision.current, data.path)}" class="button small">History</a>
    </div>
    <section aria-labelledby="files-title">
      <h2 id="files-title" class="visually-hidden">Files in ${data.path || "the repository root"}</h2>
      ${
        data.total === 0
          ? html`<p class="empty">No files here.</p>`
          : html`<div class="table-wrap"><table class="files"><caption class="visually-hidden">Files at ${data.revision.current}${data.path && html` in ${data.path}`}</caption>
        <thead><tr><th scope="col">Name</th><th scope="col" class="num">Size</th><th scope="col">Last commit</th><th scope="col">Date</th><th scope="col"><span class="visually-hidden">Download</span></th></tr></thead>
        <tbody>${data.path !== "" && html`<tr><th scope="row" colspan="5"><a href="${repoViewUrl(repo, "tree", data.revision.current, data.path.split("/").slice(0, -1).join("/"))}">..</a> <span class="visually-hidden">(parent directory)</span></th></tr>`}
        ${data.entries.map((entry) => entryRow(data, entry))}</tbody></table></div>`
      }
      ${
        pages > 1 &&
        html`<nav aria-label="Pages of files" class="pager">
        ${data.page > 0 && html`<a href="${here}?p=${data.page - 1}" rel="prev">Previous</a>`}
        <span>Page ${data.page + 1} of ${pages} (${data.total} entries)</span>
        ${data.page + 1 < pages && html`<a href="${here}?p=${data.page + 1}" rel="next">Next</a>`}</nav>`
      }
    </section>
    <section aria-labelledby="clone-title" class="card">
      <h2 id="clone-title">Clone this repository</h2>
      <div class="copy-row"><input id="clone-url" readonly value="git clone ${data.cloneUrl}" aria-labelledby="clone-title" spellcheck="false">
        <button type="button" data-copy="clone-url" hidden>Copy</button></div>
      <p class="copied muted" data-copied-for="clone-url" aria-live="polite"></p>
      <p class="help">Use a token as the password for a private or gated repository. Branches: ${data.revision.branches.length}, tags: ${data.revision.tags.length}. <a href="${repoUrlPath(repo)}/commits/${encodeURIComponent(data.revision.current)}">See the history</a>.</p>
    </section>`,
  });
}
