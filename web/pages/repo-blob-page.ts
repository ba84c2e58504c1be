/** One file at a revision: text with line numbers and highlighting, an image, or a download with its sha256. */
import type { AccessStatus, Repo } from "../../src/domain/entities.ts";
import { fullName } from "../../src/domain/repo-id.ts";
import type { TreeEntry } from "../../src/git/tree-reader.ts";
import { formatBytes } from "../format.ts";
import type { Token } from "../highlight.ts";
import { highlightedLine } from "../highlighted-text.ts";
import { html, type SafeHtml } from "../html.ts";
import { layout, type Viewer } from "../layout.ts";
import {
  breadcrumbs,
  type RepoAbilities,
  type RevisionChoices,
  repoChrome,
  repoViewUrl,
  revisionSwitcher,
} from "./repo-chrome.ts";

export type BlobView =
  | { readonly type: "text"; readonly lines: readonly (readonly Token[])[]; readonly highlighted: boolean }
  | { readonly type: "image" }
  /** Binary, too large to show, or an LFS object: offered for download with its SHA-256. */
  | { readonly type: "download"; readonly reason: "binary" | "too-large" | "lfs"; readonly sha256: string | undefined };

export interface BlobPageData {
  readonly repo: Repo;
  readonly abilities: RepoAbilities;
  readonly accessStatus: AccessStatus | undefined;
  readonly revision: RevisionChoices;
  readonly entry: TreeEntry;
  readonly view: BlobView;
}

const REASONS = {
  binary: "This file is binary and is not shown here.",
  "too-large": "This file is too large to show here.",
  lfs: "This file is stored with Git LFS.",
};

function textTable(lines: readonly (readonly Token[])[]): SafeHtml {
  return html`<div class="code-wrap" tabindex="0" role="region" aria-label="File contents"><table class="code"><caption class="visually-hidden">File contents, ${lines.length} lines</caption><tbody>${lines.map(
    (line, i) =>
      html`<tr id="L${i + 1}"><td class="ln"><a href="#L${i + 1}" aria-label="Line ${i + 1}">${i + 1}</a></td><td class="lc"><code>${highlightedLine(line)}</code></td></tr>`,
  )}</tbody></table></div>`;
}

export function repoBlobPage(viewer: Viewer, data: BlobPageData): string {
  const { repo, entry, view } = data;
  const rev = data.revision.current;
  const name = entry.path.slice(entry.path.lastIndexOf("/") + 1);
  const download = repoViewUrl(repo, "resolve", rev, entry.path);
  let body: SafeHtml;
  if (view.type === "text") {
    body = textTable(view.lines);
  } else if (view.type === "image") {
    body = html`<div class="image-view"><img src="${download}" alt="${name}"></div>`;
  } else {
    body = html`<div class="card download">
      <p>${REASONS[view.reason]}</p>
      <dl class="facts"><dt>Size</dt><dd>${formatBytes(entry.size)} (${entry.size} bytes)</dd>
        ${view.sha256 && html`<dt>SHA-256</dt><dd><code class="hash">${view.sha256}</code></dd>`}
        ${entry.lfs && html`<dt>Pointer size</dt><dd>${entry.lfs.pointerSize} bytes</dd>`}
        <dt>Git blob</dt><dd><code class="hash">${entry.oid}</code></dd></dl>
      <p><a class="button primary" href="${download}" download>Download ${name}</a></p></div>`;
  }
  return layout({
    title: `${entry.path} – ${fullName(repo)}`,
    viewer,
    body: html`${repoChrome(repo, data.abilities, "files")}
    <div class="toolbar">
      ${revisionSwitcher(data.revision, (r) => repoViewUrl(repo, "blob", r, entry.path))}
      ${breadcrumbs(repo, rev, entry.path)}
    </div>
    <section aria-labelledby="file-title" class="file-view">
      <div class="file-head">
        <h2 id="file-title">${name}</h2>
        <span class="muted">${formatBytes(entry.size)}</span>
        ${entry.lfs && html`<span class="badge lfs">LFS</span>`}
        <span class="grow"></span>
        <a class="button small" href="${repoViewUrl(repo, "raw", rev, entry.path)}">Raw</a>
        <a class="button small" href="${download}" download>Download</a>
        <a class="button small" href="${repoViewUrl(repo, "commits", rev, entry.path)}">History</a>
      </div>
      ${view.type === "text" && !view.highlighted && view.lines.length > 1 && html`<p class="help">Shown without highlighting: the file is long.</p>`}
      ${body}
    </section>`,
  });
}
