/** The home page: for a signed-in user their work and what waits for them; for a visitor, the hub's public repos. */
import type { Membership, Repo } from "../../src/domain/entities.ts";
import { fullName, repoUrlPath } from "../../src/domain/repo-id.ts";
import type { OwnAccessRequest, PendingRequests } from "../../src/store/repo-listings.ts";
import { formatDate } from "../format.ts";
import { html, type SafeHtml } from "../html.ts";
import { layout, type Viewer } from "../layout.ts";

const TYPE_PREFIX = { model: "", dataset: "datasets/", space: "spaces/" } as const;

/** Repos as cards: type, id, visibility, last update. */
export function repoCards(repos: readonly Repo[], empty: string): SafeHtml {
  if (repos.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<ul class="repo-cards">${repos.map(
    (
      repo,
    ) => html`<li><a class="repo-link" href="${repoUrlPath(repo)}"><span class="muted">${TYPE_PREFIX[repo.type]}</span>${fullName(repo)}</a>
      ${repo.private && html` <span class="badge">Private</span>`}${repo.gated !== false && html` <span class="badge gated">Gated</span>`}
      <br><span class="muted">Updated ${formatDate(repo.lastModified)}</span></li>`,
  )}</ul>`;
}

export interface SignedInHome {
  readonly recent: readonly Repo[];
  readonly memberships: readonly Membership[];
  readonly requests: readonly OwnAccessRequest[];
  readonly reviews: readonly PendingRequests[];
  readonly publicRecent: readonly Repo[];
}

const STATUS_LABELS = { pending: "pending", accepted: "accepted", rejected: "rejected" } as const;

function signedIn(viewer: Viewer, data: SignedInHome): SafeHtml {
  const user = viewer.user as NonNullable<Viewer["user"]>;
  return html`<h1>Welcome, ${user.fullname || user.name}</h1>
  <nav aria-label="Quick links" class="quick-links">
    <a class="button primary" href="/new">New model</a><a class="button" href="/new-dataset">New dataset</a>
    <a class="button" href="/new-space">New Space</a><a class="button" href="/organizations/new">New organization</a>
    <a class="button" href="/settings/tokens">Access tokens</a></nav>
  <div class="home">
    <div>
      <section aria-labelledby="recent-title"><h2 id="recent-title">Your recent repositories</h2>
        ${repoCards(data.recent, "Nothing yet: create a model, a dataset or a Space, or upload with your tools.")}</section>
      <section aria-labelledby="hub-title"><h2 id="hub-title">Recently updated on this hub</h2>
        ${repoCards(data.publicRecent, "No repositories you can see yet.")}
        <p><a href="/models">Browse models</a> · <a href="/datasets">datasets</a> · <a href="/spaces">Spaces</a></p></section>
    </div>
    <aside aria-label="For you">
      <section aria-labelledby="notifications-title"><h2 id="notifications-title">Notifications</h2>
        ${
          data.reviews.length === 0
            ? html`<p class="empty">Nothing waits for your review.</p>`
            : html`<ul class="plain">${data.reviews.map(
                (review) =>
                  html`<li><a href="${repoUrlPath(review.repo)}/settings/access-requests">${review.pending} access ${review.pending === 1 ? "request" : "requests"} on ${fullName(review.repo)}</a></li>`,
              )}</ul>`
        }</section>
      <section aria-labelledby="requests-title"><h2 id="requests-title">Your access requests</h2>
        ${
          data.requests.length === 0
            ? html`<p class="empty">You have not asked for access to a gated repository.</p>`
            : html`<ul class="plain">${data.requests.map(
                (request) =>
                  html`<li><a href="${repoUrlPath(request.repo)}">${fullName(request.repo)}</a>: <span class="badge">${STATUS_LABELS[request.status]}</span></li>`,
              )}</ul>`
        }</section>
      <section aria-labelledby="orgs-title"><h2 id="orgs-title">Your organizations</h2>
        ${
          data.memberships.length === 0
            ? html`<p class="empty">None yet. <a href="/organizations/new">Create one</a>.</p>`
            : html`<ul class="plain">${data.memberships.map(
                (m) =>
                  html`<li><a href="/${m.org.name}">${m.org.fullname || m.org.name}</a> <span class="muted">(${m.role})</span></li>`,
              )}</ul>`
        }</section>
    </aside>
  </div>`;
}

function anonymous(viewer: Viewer, publicUrl: string, repos: readonly Repo[]): SafeHtml {
  return html`<h1>Berth</h1>
  <p class="lede">A self-hosted hub for models, datasets and Spaces that speaks the Hugging Face Hub API.</p>
  <p class="row"><a class="button primary" href="/login">Sign in</a>${viewer.allowSignup && html`<a class="button" href="/join">Create an account</a>`}</p>
  <div class="home">
    <section aria-labelledby="public-title"><h2 id="public-title">Recently updated</h2>
      ${repoCards(repos, "No public repositories yet.")}
      <p><a href="/models">Browse models</a> · <a href="/datasets">datasets</a> · <a href="/spaces">Spaces</a></p></section>
    <aside aria-labelledby="tools-title"><h2 id="tools-title">Point your tools at this hub</h2>
      <p>The Hugging Face clients work unchanged; tell them where this hub is:</p>
      <pre tabindex="0" aria-label="Shell setup"><code>export HF_ENDPOINT=${publicUrl}
export HF_TOKEN=hf_…   # from Settings → Access Tokens</code></pre>
      <pre tabindex="0" aria-label="Python example"><code>from huggingface_hub import snapshot_download
snapshot_download("namespace/name")</code></pre>
      <pre tabindex="0" aria-label="JavaScript example"><code>import { downloadFile } from "@huggingface/hub";
await downloadFile({ repo: "namespace/name", path: "config.json",
  hubUrl: ${JSON.stringify(publicUrl)} });</code></pre>
      <pre tabindex="0" aria-label="git example"><code>git clone ${publicUrl}/namespace/name</code></pre></aside>
  </div>`;
}

export function homePage(
  viewer: Viewer,
  data: { publicUrl: string; signedIn: SignedInHome | undefined; publicRecent: readonly Repo[] },
): string {
  return layout({
    title: "Home",
    viewer,
    body:
      viewer.user && data.signedIn
        ? signedIn(viewer, data.signedIn)
        : anonymous(viewer, data.publicUrl, data.publicRecent),
  });
}
