import type { Member, Org, Repo, User } from "../../src/domain/entities.ts";
import { ORG_ROLES } from "../../src/domain/token.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, layout, type Viewer } from "../layout.ts";
import { repoCards } from "./home-page.ts";

const SECTIONS = [
  ["model", "Models"],
  ["dataset", "Datasets"],
  ["space", "Spaces"],
] as const;

/** A namespace's repos by type, each section with its count; only what the viewer may see is passed in. */
export function repoSections(repos: readonly Repo[], empty: string): SafeHtml {
  if (repos.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`${SECTIONS.map(([type, title]) => {
    const ofType = repos.filter((repo) => repo.type === type);
    return (
      ofType.length > 0 &&
      html`<section aria-labelledby="${type}-section"><h3 id="${type}-section">${title} <span class="count">${ofType.length}</span></h3>${repoCards(ofType, "")}</section>`
    );
  })}`;
}

export interface OrgPageData {
  readonly org: Org;
  readonly memberCount: number;
  /** Present when the viewer may read the member list. */
  readonly members: readonly Member[] | undefined;
  readonly canManage: boolean;
  /** The viewer may create repos in the org (the engine's repo.create). */
  readonly canCreate: boolean;
  readonly repos: readonly Repo[];
  readonly error?: string;
  readonly form?: { user: string; role: string };
}

function roleSelect(id: string, selected: string, label: string): SafeHtml {
  return html`<label for="${id}" class="visually-hidden">${label}</label>
    <select id="${id}" name="role">${ORG_ROLES.map((role) => html`<option value="${role}" ${role === selected && html`selected`}>${role}</option>`)}</select>`;
}

function memberRow(viewer: Viewer, data: OrgPageData, member: Member): SafeHtml {
  const base = `/organizations/${data.org.name}/members/${member.user.name}`;
  const cells = html`<th scope="row"><a href="/${member.user.name}">${member.user.name}</a></th><td>${member.user.fullname}</td>`;
  if (!data.canManage) return html`<tr>${cells}<td><span class="badge">${member.role}</span></td></tr>`;
  return html`<tr>${cells}
    <td><form method="post" action="${base}/role" class="row">${csrfField(viewer)}
      ${roleSelect(`role-${member.user.name}`, member.role, `Role of ${member.user.name}`)}
      <button type="submit" class="small">Change role</button></form></td>
    <td><form method="post" action="${base}/remove" data-confirm="Remove ${member.user.name} from ${data.org.name}? Their tokens lose access to the organization at once." data-confirm-button="Remove">
      ${csrfField(viewer)}<button type="submit" class="small danger-text">Remove<span class="visually-hidden"> ${member.user.name}</span></button></form></td>
  </tr>`;
}

export function orgPage(viewer: Viewer, data: OrgPageData): string {
  const { org } = data;
  return layout({
    title: org.fullname || org.name,
    viewer,
    body: html`<div class="heading-row"><h1>${org.fullname || org.name} <span class="muted">${org.name !== org.fullname && org.name}</span></h1><span class="badge">Organization</span></div>
    <p>${data.memberCount} ${data.memberCount === 1 ? "member" : "members"}</p>
    ${data.error && html`<p class="error" role="alert">${data.error}</p>`}
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      ${
        data.members
          ? html`<div class="table-wrap"><table>
            <caption class="visually-hidden">Members of ${org.name} and their roles</caption>
            <thead><tr><th scope="col">User</th><th scope="col">Full name</th><th scope="col">Role</th>${data.canManage && html`<th scope="col"><span class="visually-hidden">Remove</span></th>`}</tr></thead>
            <tbody>${data.members.map((member) => memberRow(viewer, data, member))}</tbody></table></div>`
          : html`<p class="muted">Only members see the member list.</p>`
      }
      ${
        data.canManage &&
        html`<form method="post" action="/organizations/${org.name}/members" class="card row add-member">
          ${csrfField(viewer)}
          <div class="field"><label for="new-member">Add a member (user name)</label>
          <input id="new-member" name="user" required maxlength="96" value="${data.form?.user ?? ""}" autocomplete="off"></div>
          <div class="field"><label for="new-member-role">Role</label>
          <select id="new-member-role" name="role">${ORG_ROLES.map((role) => html`<option value="${role}" ${role === (data.form?.role ?? "read") && html`selected`}>${role}</option>`)}</select></div>
          <button type="submit" class="primary">Add member</button>
        </form>`
      }
    </section>
    <section aria-labelledby="repos-title"><div class="heading-row"><h2 id="repos-title">Repositories</h2>
      ${data.canCreate && html`<a class="button small" href="/new?owner=${encodeURIComponent(org.name)}">New model in ${org.name}</a>`}</div>
      ${repoSections(data.repos, "No repositories yet.")}</section>`,
  });
}

export function userPage(viewer: Viewer, user: User, repos: readonly Repo[], orgs: readonly Org[]): string {
  return layout({
    title: user.fullname || user.name,
    viewer,
    body: html`<h1>${user.fullname || user.name} ${user.fullname !== user.name && html`<span class="muted">${user.name}</span>`}</h1>
    ${
      orgs.length > 0 &&
      html`<section aria-labelledby="orgs-title"><h2 id="orgs-title">Organizations</h2>
      <ul class="tags">${orgs.map((org) => html`<li><a href="/${org.name}">${org.fullname || org.name}</a></li>`)}</ul></section>`
    }
    <section aria-labelledby="repos-title"><h2 id="repos-title">Repositories</h2>${repoSections(repos, "No repositories yet.")}</section>`,
  });
}
