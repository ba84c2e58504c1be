/** A repository's front page: the rendered model card, its metadata as tags, snippets and the clone URL. */
import type { AccessStatus, Repo } from "../../src/domain/entities.ts";
import { fullName, parseRepoName } from "../../src/domain/repo-id.ts";
import type { CommitInfo } from "../../src/git/commit-log.ts";
import { formatDate } from "../format.ts";
import { html, type SafeHtml } from "../html.ts";
import { layout, type Viewer } from "../layout.ts";
import type { CardMetadata, RenderedCard } from "../model-card.ts";
import { useSnippets } from "../snippets.ts";
import { commitUrl, gateNotice, type RepoAbilities, repoChrome, repoViewUrl } from "./repo-chrome.ts";

export type CardState =
  | { readonly type: "rendered"; readonly card: RenderedCard }
  | { readonly type: "missing" }
  | { readonly type: "too-large"; readonly size: number }
  /** README.md is an LFS pointer, and the viewer may not read the repo's files. */
  | { readonly type: "hidden" }
  | { readonly type: "empty-repo" };

export interface CardPageData {
  readonly repo: Repo;
  readonly abilities: RepoAbilities;
  readonly accessStatus: AccessStatus | undefined;
  readonly card: CardState;
  readonly publicUrl: string;
  readonly head: CommitInfo | undefined;
  readonly commitCount: number;
  readonly branches: number;
  readonly tags: number;
}

function repoLink(type: "model" | "dataset", id: string): SafeHtml {
  const parsed = parseRepoName(id);
  if (!parsed) return html`${id}`;
  return html`<a href="${type === "dataset" ? "/datasets" : ""}/${parsed.namespace}/${parsed.name}">${id}</a>`;
}

function metadataTags(metadata: CardMetadata): SafeHtml {
  const tag = (label: string, value: SafeHtml | string) =>
    html`<li><span class="tag-key">${label}</span> ${value}</li>`;
  return html`<ul class="tags" aria-label="Metadata">
    ${metadata.pipeline && tag("Task", metadata.pipeline)}
    ${metadata.library && tag("Library", metadata.library)}
    ${metadata.license && tag("License", metadata.license)}
    ${metadata.languages.length > 0 && tag("Languages", metadata.languages.join(", "))}
    ${metadata.datasets.map((id) => tag("Dataset", repoLink("dataset", id)))}
    ${metadata.baseModels.map((id) => tag("Base model", repoLink("model", id)))}
    ${metadata.tags.map((value) => html`<li>${value}</li>`)}
  </ul>`;
}

function cardBody(data: CardPageData): SafeHtml {
  const { card, repo } = data;
  switch (card.type) {
    case "rendered":
      return html`${card.card.metadataError && html`<p class="warning">The metadata block of README.md could not be read: ${card.card.metadataError}</p>`}
        <article class="markdown" aria-label="${repo.type === "model" ? "Model" : repo.type === "dataset" ? "Dataset" : "Space"} card">${card.card.body}</article>`;
    case "missing":
      return html`<p class="empty">No ${repo.type} card yet. Add a README.md to describe this ${repo.type}.</p>`;
    case "too-large":
      return html`<p class="empty">README.md is too large to show here (${card.size} bytes). <a href="${repoViewUrl(repo, "raw", "main", "README.md")}">Read it raw</a>.</p>`;
    case "hidden":
      return html`<p class="empty">This card is stored with Git LFS and opens with the repository's files.</p>`;
    case "empty-repo":
      return html`<p class="empty">This repository has no main branch yet.</p>`;
  }
}

export function repoCardPage(viewer: Viewer, data: CardPageData): string {
  const { repo, abilities } = data;
  const metadata = data.card.type === "rendered" ? data.card.card.metadata : undefined;
  const snippets = useSnippets(repo, data.publicUrl, metadata);
  const useTitle =
    repo.type === "model" ? "Use this model" : repo.type === "dataset" ? "Use this dataset" : "Use this Space";
  return layout({
    title: fullName(repo),
    viewer,
    body: html`${repoChrome(repo, abilities, "card")}
    ${repo.gated !== false && abilities.content && viewer.user && html`<p class="note">You have been granted access to this repository.</p>`}
    ${repo.gated !== false && !abilities.content && gateNotice(viewer, repo, data.accessStatus)}
    <div class="repo-main">
      <div class="repo-card">
        ${metadata && metadataTags(metadata)}
        ${
          data.head &&
          html`<p class="last-commit"><a href="${commitUrl(repo, data.head.id)}">${data.head.title || "(no message)"}</a>
            <span class="muted">${data.head.authorName}, ${formatDate(data.head.date)}</span></p>`
        }
        ${cardBody(data)}
      </div>
      <aside class="repo-side" aria-labelledby="use-title">
        <h2 id="use-title">${useTitle}</h2>
        ${snippets.map(
          (
            snippet,
          ) => html`<div class="snippet"><div class="snippet-head"><h3 id="${snippet.id}-title">${snippet.title}</h3>
            <button type="button" class="small" data-copy="${snippet.id}" aria-describedby="${snippet.id}-title" hidden>Copy</button>
            <span class="copied muted" data-copied-for="${snippet.id}" aria-live="polite"></span></div>
            <pre id="${snippet.id}" tabindex="0" aria-labelledby="${snippet.id}-title"><code>${snippet.code}</code></pre></div>`,
        )}
        <h2>Versions</h2>
        <ul class="plain">
          <li><a href="${repoViewUrl(repo, "commits", "main")}">${data.commitCount} ${data.commitCount === 1 ? "commit" : "commits"}</a></li>
          <li><a href="${repoViewUrl(repo, "tree", "main")}">${data.branches} ${data.branches === 1 ? "branch" : "branches"}, ${data.tags} ${data.tags === 1 ? "tag" : "tags"}</a></li>
        </ul>
      </aside>
    </div>`,
  });
}
