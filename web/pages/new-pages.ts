/** Creation forms: a new model, dataset or Space (owner, name, visibility, license, SDK) and a new organization. */
import type { RepoType } from "../../src/domain/repo-id.ts";
import { html } from "../html.ts";
import { csrfField, layout, type Viewer } from "../layout.ts";

export const LICENSES = [
  ["", "No license yet"],
  ["apache-2.0", "Apache 2.0"],
  ["mit", "MIT"],
  ["bsd-3-clause", "BSD 3-clause"],
  ["cc-by-4.0", "CC BY 4.0"],
  ["cc-by-sa-4.0", "CC BY-SA 4.0"],
  ["cc-by-nc-4.0", "CC BY-NC 4.0"],
  ["openrail", "OpenRAIL"],
  ["llama3.1", "Llama 3.1"],
  ["gpl-3.0", "GPL 3.0"],
  ["other", "Other"],
] as const;

export const SPACE_SDKS = ["gradio", "streamlit", "docker", "static"] as const;

export interface NewRepoForm {
  readonly owner: string;
  readonly name: string;
  readonly visibility: "public" | "private";
  readonly license: string;
  readonly sdk: string;
  readonly error?: string;
}

const TITLES = {
  model: "Create a new model repository",
  dataset: "Create a new dataset repository",
  space: "Create a new Space",
};
export const NEW_PATHS = { model: "/new", dataset: "/new-dataset", space: "/new-space" } as const;

export function newRepoPage(viewer: Viewer, type: RepoType, owners: readonly string[], form: NewRepoForm): string {
  const noun = type === "space" ? "Space" : type;
  return layout({
    title: TITLES[type],
    viewer,
    body: html`<section class="card narrow wide-form" aria-labelledby="new-title">
      <h1 id="new-title">${TITLES[type]}</h1>
      <p class="help">A repository holds files with their history, like a git repository. Push with git or upload with the Hub's clients.</p>
      ${form.error && html`<p class="error" role="alert">${form.error}</p>`}
      <form method="post" action="${NEW_PATHS[type]}" class="stack">
        ${csrfField(viewer)}
        <label for="owner">Owner</label>
        <select id="owner" name="owner">${owners.map((owner) => html`<option value="${owner}" ${owner === form.owner && html`selected`}>${owner}</option>`)}</select>
        <label for="name">${noun === "Space" ? "Space" : "Repository"} name</label>
        <input id="name" name="name" required maxlength="96" value="${form.name}" autocomplete="off" aria-describedby="name-help">
        <p id="name-help" class="help">Letters, digits, "-", "_" and "."; no "--" or "..".</p>
        <label for="license">License</label>
        <select id="license" name="license">${LICENSES.map(([value, label]) => html`<option value="${value}" ${value === form.license && html`selected`}>${label}</option>`)}</select>
        ${
          type === "space" &&
          html`<label for="sdk">SDK</label>
          <select id="sdk" name="sdk">${SPACE_SDKS.map((sdk) => html`<option value="${sdk}" ${sdk === form.sdk && html`selected`}>${sdk}</option>`)}</select>`
        }
        <fieldset><legend>Visibility</legend>
          <div class="check"><input type="radio" id="visibility-public" name="visibility" value="public" ${form.visibility === "public" && html`checked`}>
            <label for="visibility-public">Public: anyone can see this ${noun}; only you and your organization can change it.</label></div>
          <div class="check"><input type="radio" id="visibility-private" name="visibility" value="private" ${form.visibility === "private" && html`checked`}>
            <label for="visibility-private">Private: only you and members of the owning organization can see it.</label></div>
        </fieldset>
        <button type="submit" class="primary">Create ${noun}</button>
      </form>
    </section>`,
  });
}

export interface NewOrgForm {
  readonly name: string;
  readonly fullname: string;
  readonly error?: string;
}

export function newOrgPage(viewer: Viewer, form: NewOrgForm): string {
  return layout({
    title: "Create a new organization",
    viewer,
    body: html`<section class="card narrow wide-form" aria-labelledby="new-org-title">
      <h1 id="new-org-title">Create a new organization</h1>
      <p class="help">An organization owns repositories together. You become its first admin and add members with roles.</p>
      ${form.error && html`<p class="error" role="alert">${form.error}</p>`}
      <form method="post" action="/organizations/new" class="stack">
        ${csrfField(viewer)}
        <label for="org-name">Organization name</label>
        <input id="org-name" name="name" required maxlength="96" value="${form.name}" autocomplete="off" aria-describedby="org-name-help">
        <p id="org-name-help" class="help">It names the organization's repositories: <code>name/repo</code>.</p>
        <label for="org-fullname">Full name <span class="optional">(optional)</span></label>
        <input id="org-fullname" name="fullname" maxlength="200" value="${form.fullname}" autocomplete="organization">
        <button type="submit" class="primary">Create organization</button>
      </form>
    </section>`,
  });
}
