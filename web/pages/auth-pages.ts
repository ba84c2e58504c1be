import { html } from "../html.ts";
import { csrfField, layout, type Viewer } from "../layout.ts";

export interface LoginForm {
  readonly username?: string;
  readonly next?: string;
  readonly error?: string;
}

export function loginPage(viewer: Viewer, form: LoginForm = {}): string {
  return layout({
    title: "Sign in",
    viewer,
    body: html`<section class="card narrow" aria-labelledby="login-title">
      <h1 id="login-title">Sign in to Berth</h1>
      ${viewer.user && html`<p class="note">You are signed in as <strong>${viewer.user.name}</strong>. Signing in again switches account.</p>`}
      ${form.error && html`<p class="error" role="alert">${form.error}</p>`}
      ${viewer.ssoLabel && html`<p><a class="button primary" href="/sso/login${form.next ? `?next=${encodeURIComponent(form.next)}` : ""}">${viewer.ssoLabel}</a></p>`}
      ${
        viewer.passwordSignIn !== false &&
        html`<form method="post" action="/login" class="stack">
        ${csrfField(viewer)}
        ${form.next && html`<input type="hidden" name="next" value="${form.next}">`}
        <label for="username">Username or email</label>
        <input id="username" name="username" autocomplete="username" required value="${form.username ?? ""}" autofocus>
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <button type="submit" class="primary">Sign in</button>
      </form>`
      }
      ${viewer.allowSignup && html`<p>No account yet? <a href="/join">Sign up</a></p>`}
    </section>`,
  });
}

export interface JoinForm {
  readonly username?: string;
  readonly email?: string;
  readonly fullname?: string;
  readonly error?: string;
}

export function joinPage(viewer: Viewer, form: JoinForm = {}): string {
  return layout({
    title: "Sign up",
    viewer,
    body: html`<section class="card narrow" aria-labelledby="join-title">
      <h1 id="join-title">Create your account</h1>
      ${form.error && html`<p class="error" role="alert">${form.error}</p>`}
      <form method="post" action="/join" class="stack">
        ${csrfField(viewer)}
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required maxlength="96" value="${form.username ?? ""}" aria-describedby="username-help">
        <p id="username-help" class="help">Letters, digits, "-", "_" and "."; it names your repositories.</p>
        <label for="fullname">Full name <span class="optional">(optional)</span></label>
        <input id="fullname" name="fullname" autocomplete="name" maxlength="200" value="${form.fullname ?? ""}">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="email" required maxlength="320" value="${form.email ?? ""}">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" aria-describedby="password-help">
        <p id="password-help" class="help">At least 8 characters.</p>
        <button type="submit" class="primary">Create account</button>
      </form>
      <p>Already have an account? <a href="/login">Sign in</a></p>
    </section>`,
  });
}

export function errorPage(viewer: Viewer, status: number, title: string, message: string): string {
  return layout({
    title,
    viewer,
    body: html`<section class="card narrow" aria-labelledby="error-title">
      <h1 id="error-title">${title}</h1>
      <p>${message}</p>
      <p class="muted">Error ${status}</p>
      ${!viewer.user && status === 404 && html`<p>If it is private, <a href="/login">sign in</a> with an account that may see it.</p>`}
      <p><a href="/">Back to the home page</a></p>
    </section>`,
  });
}

/** Asks before a state change when no script is there to show the dialog: the same form, confirmed. */
export function confirmPage(
  viewer: Viewer,
  options: { title: string; message: string; action: string; button: string; cancel: string },
): string {
  return layout({
    title: options.title,
    viewer,
    body: html`<section class="card narrow" aria-labelledby="confirm-title">
      <h1 id="confirm-title">${options.title}</h1>
      <p>${options.message}</p>
      <form method="post" action="${options.action}" class="row">
        ${csrfField(viewer)}
        <input type="hidden" name="confirm" value="yes">
        <button type="submit" class="danger">${options.button}</button>
        <a href="${options.cancel}" class="button">Cancel</a>
      </form>
    </section>`,
  });
}
