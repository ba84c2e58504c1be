/** One commit: its message, author, parents, and what it changed, text as diffs, binary and LFS as sizes and ids. */
import type { Repo } from "../../src/domain/entities.ts";
import { fullName } from "../../src/domain/repo-id.ts";
import type { BlobSide, CommitChanges, FileChange } from "../../src/git/commit-diff.ts";
import type { CommitDetails } from "../../src/git/commit-log.ts";
import { formatBytes, formatDate } from "../format.ts";
import { html, type SafeHtml } from "../html.ts";
import { layout, type Viewer } from "../layout.ts";
import { commitUrl, type RepoAbilities, repoChrome, repoViewUrl } from "./repo-chrome.ts";

export interface CommitPageData {
  readonly repo: Repo;
  readonly abilities: RepoAbilities;
  readonly commit: CommitDetails;
  readonly changes: CommitChanges;
}

const STATUS = { added: "Added", deleted: "Deleted", modified: "Modified", "type-changed": "Type changed" };

function sideFacts(label: string, side: BlobSide | undefined): SafeHtml {
  if (!side) return html`<dt>${label}</dt><dd class="muted">none</dd>`;
  return html`<dt>${label}</dt><dd>${side.lfs ? html`${formatBytes(side.lfs.size)}, LFS sha256 <code class="hash">${side.lfs.oid}</code>` : html`${formatBytes(side.size)}, blob <code class="hash">${side.blob.slice(0, 12)}</code>`}</dd>`;
}

function fileBody(change: FileChange): SafeHtml {
  const body = change.body;
  if (body.type === "text") {
    if (body.hunks.length === 0) return html`<p class="muted">No change in the text.</p>`;
    return html`<div class="code-wrap" tabindex="0" role="region" aria-label="Diff of ${change.path}"><table class="diff"><caption class="visually-hidden">Changes to ${change.path}</caption><tbody>${body.hunks.map(
      (
        hunk,
      ) => html`<tr class="hunk"><td colspan="3"><code>@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@</code></td></tr>
        ${hunk.lines.map((line) => {
          const old = line.type === "insert" ? "" : line.oldLine;
          const now = line.type === "delete" ? "" : line.newLine;
          const mark = line.type === "insert" ? "+" : line.type === "delete" ? "−" : " ";
          const label = line.type === "insert" ? "added" : line.type === "delete" ? "removed" : undefined;
          return html`<tr class="${line.type}"><td class="ln">${old}</td><td class="ln">${now}</td><td class="lc"><code><span class="mark" ${label ? html`aria-label="${label}"` : html`aria-hidden="true"`}>${mark}</span>${line.text}</code></td></tr>`;
        })}`,
    )}</tbody></table></div>`;
  }
  if (body.type === "none") return html`<p class="muted">Only the file mode changed.</p>`;
  const what =
    body.type === "lfs" ? "An LFS file" : body.type === "binary" ? "A binary file" : "A large change, not shown";
  return html`<div class="binary-change"><p>${what}:</p><dl class="facts">${sideFacts("Before", change.old)}${sideFacts("After", change.new)}</dl></div>`;
}

export function repoCommitPage(viewer: Viewer, data: CommitPageData): string {
  const { repo, commit, changes } = data;
  const body = commit.message.slice(commit.title.length).replace(/^\n+/, "");
  return layout({
    title: `${commit.title || commit.id.slice(0, 7)} – ${fullName(repo)}`,
    viewer,
    body: html`${repoChrome(repo, data.abilities, "files")}
    <section class="card commit-head" aria-labelledby="commit-title">
      <h2 id="commit-title">${commit.title || "(no message)"}</h2>
      ${body && html`<pre class="commit-message">${body}</pre>`}
      <p class="muted">${commit.authorName} committed on ${formatDate(commit.date)}</p>
      <dl class="facts">
        <dt>Commit</dt><dd><code class="hash">${commit.id}</code></dd>
        ${commit.parents.length > 0 && html`<dt>${commit.parents.length === 1 ? "Parent" : "Parents"}</dt><dd>${commit.parents.map((parent, i) => html`${i > 0 && ", "}<a href="${commitUrl(repo, parent)}"><code>${parent.slice(0, 7)}</code></a>`)}</dd>`}
      </dl>
      <p><a class="button small" href="${repoViewUrl(repo, "tree", commit.id)}">Browse files at this commit</a></p>
    </section>
    <section aria-labelledby="changes-title">
      <h2 id="changes-title">${changes.totalFiles} ${changes.totalFiles === 1 ? "file" : "files"} changed${commit.parents.length > 1 && " (against the first parent)"}</h2>
      ${changes.truncated && html`<p class="warning">Only the first ${changes.files.length} files are shown.</p>`}
      ${changes.files.map(
        (change, i) => html`<article class="file-change" aria-labelledby="change-${i}">
        <h3 id="change-${i}"><span class="badge">${STATUS[change.status]}</span> ${change.new ? html`<a href="${repoViewUrl(repo, "blob", commit.id, change.path)}">${change.path}</a>` : change.path}</h3>
        ${fileBody(change)}</article>`,
      )}
    </section>`,
  });
}
