import { html, type SafeHtml } from "./html.ts";

/** What every page knows about the viewer. `csrf` is the session's token, for the forms it renders. */
export interface Viewer {
  readonly user: { readonly name: string; readonly fullname: string } | undefined;
  readonly csrf: string | undefined;
  readonly allowSignup: boolean;
  /** The SSO button's label, when SSO is configured (issue 12). */
  readonly ssoLabel?: string | undefined;
  /** False when password sign-in is turned off. */
  readonly passwordSignIn?: boolean;
  /** The page's own path and query, so that "Sign in" comes back to it. */
  readonly path?: string;
}

export interface PageOptions {
  readonly title: string;
  readonly viewer: Viewer;
  readonly body: SafeHtml;
  /** Settings pages show the settings side navigation with this item current. */
  readonly settingsTab?: SettingsTab;
}

export type SettingsTab = "tokens" | "applications" | "connected";

const SETTINGS_TABS: readonly (readonly [SettingsTab, string, string])[] = [
  ["tokens", "/settings/tokens", "Access Tokens"],
  ["applications", "/settings/applications", "OAuth Apps"],
  ["connected", "/settings/connected-applications", "Connected Apps"],
];

/** The hidden CSRF field every state-changing form carries (checked by the auth hook). */
export function csrfField(viewer: Viewer): SafeHtml {
  return viewer.csrf ? html`<input type="hidden" name="csrf" value="${viewer.csrf}">` : html``;
}

export function layout(options: PageOptions): string {
  const { viewer } = options;
  const back = viewer.path && viewer.path !== "/" && !viewer.path.startsWith("/login") ? viewer.path : undefined;
  const account = viewer.user
    ? html`<details class="menu new-menu"><summary>+ New</summary><div class="menu-items"><ul>
          <li><a class="menu-link" href="/new">Model</a></li><li><a class="menu-link" href="/new-dataset">Dataset</a></li>
          <li><a class="menu-link" href="/new-space">Space</a></li><li><a class="menu-link" href="/organizations/new">Organization</a></li></ul></div></details>
        <a href="/${viewer.user.name}">${viewer.user.name}</a>
        <a href="/settings/tokens">Access Tokens</a>
        <form method="post" action="/logout" class="inline">${csrfField(viewer)}<button type="submit" class="link">Sign out</button></form>`
    : html`<a href="/login${back && html`?next=${encodeURIComponent(back)}`}">Sign in</a>${viewer.allowSignup && html` <a href="/join" class="button small">Sign up</a>`}`;
  const main = options.settingsTab
    ? html`<div class="settings">
        <nav aria-label="Settings" class="side-nav">
          <ul>${SETTINGS_TABS.map(
            ([tab, href, label]) =>
              html`<li><a href="${href}" ${tab === options.settingsTab && html`aria-current="page"`}>${label}</a></li>`,
          )}</ul>
        </nav>
        <div class="settings-body">${options.body}</div>
      </div>`
    : options.body;
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} – Berth</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/-/assets/app.css">
<script src="/-/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">⚓ Berth</a>
  <nav aria-label="Hub" class="hub-nav"><a class="hub-link" href="/models">Models</a> <a class="hub-link" href="/datasets">Datasets</a> <a class="hub-link" href="/spaces">Spaces</a></nav>
  <form method="get" action="/models" class="top-search" role="search">
    <label for="top-search" class="visually-hidden">Search models</label>
    <input id="top-search" name="search" type="search" placeholder="Search models" maxlength="200">
  </form>
  <nav aria-label="Account" class="account">${account}</nav>
</header>
<main id="main">${main}</main>
<footer class="bottom"><p>Berth – a self-hosted hub for models, datasets and spaces</p></footer>
</body>
</html>`}`;
}
