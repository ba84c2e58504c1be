/** History: the commits of a revision (optionally of one path), newest first, a page at a time. */
import type { Repo } from "../../src/domain/entities.ts";
import { fullName } from "../../src/domain/repo-id.ts";
import type { CommitInfo } from "../../src/git/commit-log.ts";
import { formatDate } from "../format.ts";
import { html } from "../html.ts";
import { layout, type Viewer } from "../layout.ts";
import {
  breadcrumbs,
  commitUrl,
  type RepoAbilities,
  type RevisionChoices,
  repoChrome,
  repoViewUrl,
  revisionSwitcher,
} from "./repo-chrome.ts";

export interface CommitsPageData {
  readonly repo: Repo;
  readonly abilities: RepoAbilities;
  readonly revision: RevisionChoices;
  readonly path: string;
  readonly commits: readonly CommitInfo[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

export function repoCommitsPage(viewer: Viewer, data: CommitsPageData): string {
  const { repo } = data;
  const rev = data.revision.current;
  const here = repoViewUrl(repo, "commits", rev, data.path);
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  return layout({
    title: `History${data.path && ` of ${data.path}`} – ${fullName(repo)}`,
    viewer,
    body: html`${repoChrome(repo, data.abilities, "files")}
    <div class="toolbar">
      ${revisionSwitcher(data.revision, (r) => repoViewUrl(repo, "commits", r, data.path))}
      ${breadcrumbs(repo, rev, data.path)}
    </div>
    <section aria-labelledby="history-title">
      <h2 id="history-title">${data.total} ${data.total === 1 ? "commit" : "commits"}${data.path && html` touching <code>${data.path}</code>`}</h2>
      ${
        data.commits.length === 0
          ? html`<p class="empty">No commits on this page.</p>`
          : html`<ol class="commits" start="${data.page * data.pageSize + 1}">${data.commits.map(
              (commit) => html`<li>
          <div class="commit-line"><a href="${commitUrl(repo, commit.id)}" class="commit-title">${commit.title || "(no message)"}</a>
            <code class="sha">${commit.id.slice(0, 7)}</code></div>
          <div class="muted">${commit.authorName} committed on ${formatDate(commit.date)} ·
            <a href="${repoViewUrl(repo, "tree", commit.id)}">Browse files<span class="visually-hidden"> at ${commit.id.slice(0, 7)}</span></a></div>
        </li>`,
            )}</ol>`
      }
      ${
        pages > 1 &&
        html`<nav aria-label="Pages of commits" class="pager">
        ${data.page > 0 && html`<a href="${here}?p=${data.page - 1}" rel="prev">Newer</a>`}
        <span>Page ${data.page + 1} of ${pages}</span>
        ${data.page + 1 < pages && html`<a href="${here}?p=${data.page + 1}" rel="next">Older</a>`}</nav>`
      }
    </section>`,
  });
}
