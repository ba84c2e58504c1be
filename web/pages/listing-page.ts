/** `/models`, `/datasets`, `/spaces`: search by name, filter by author, sort, a page at a time. */
import type { Repo } from "../../src/domain/entities.ts";
import type { RepoType } from "../../src/domain/repo-id.ts";
import { html } from "../html.ts";
import { layout, type Viewer } from "../layout.ts";
import { repoCards } from "./home-page.ts";

export const LISTING_SORTS = [
  ["modified", "Recently updated"],
  ["created", "Recently created"],
  ["alphabetical", "Name"],
] as const;
export type ListingSort = (typeof LISTING_SORTS)[number][0];

export interface ListingQuery {
  readonly search: string;
  readonly author: string;
  readonly sort: ListingSort;
  readonly page: number;
}

export interface ListingData {
  readonly type: RepoType;
  readonly query: ListingQuery;
  readonly repos: readonly Repo[];
  readonly total: number;
  readonly pageSize: number;
}

const TITLES = { model: "Models", dataset: "Datasets", space: "Spaces" } as const;

export function listingUrl(type: RepoType, query: ListingQuery, page: number): string {
  const params = new URLSearchParams();
  if (query.search) params.set("search", query.search);
  if (query.author) params.set("author", query.author);
  if (query.sort !== "modified") params.set("sort", query.sort);
  if (page > 0) params.set("p", String(page));
  const text = params.toString();
  return `/${type}s${text ? `?${text}` : ""}`;
}

export function listingPage(viewer: Viewer, data: ListingData): string {
  const { type, query } = data;
  const title = TITLES[type];
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  return layout({
    title,
    viewer,
    body: html`<div class="heading-row"><h1>${title} <span class="count">${data.total}</span></h1>
      ${viewer.user && html`<a class="button primary" href="/new${type === "model" ? "" : `-${type}`}">New ${type === "space" ? "Space" : type}</a>`}</div>
    <div class="listing">
      <form method="get" action="/${type}s" class="stack" role="search" aria-label="Filter ${title.toLowerCase()}">
        <label for="search">Search by name</label>
        <input id="search" name="search" type="search" value="${query.search}" maxlength="200">
        <label for="author">Author (user or organization)</label>
        <input id="author" name="author" value="${query.author}" maxlength="96" autocomplete="off">
        <label for="sort">Sort</label>
        <select id="sort" name="sort">${LISTING_SORTS.map(([value, label]) => html`<option value="${value}" ${query.sort === value && html`selected`}>${label}</option>`)}</select>
        <button type="submit">Apply</button>
      </form>
      <section aria-labelledby="results-title">
        <h2 id="results-title" class="visually-hidden">Results</h2>
        ${repoCards(data.repos, query.search || query.author ? "Nothing you can see matches." : `No ${title.toLowerCase()} you can see yet.`)}
        ${
          pages > 1 &&
          html`<nav aria-label="Pages of results" class="pager">
          ${query.page > 0 && html`<a href="${listingUrl(type, query, query.page - 1)}" rel="prev">Previous</a>`}
          <span>Page ${query.page + 1} of ${pages}</span>
          ${query.page + 1 < pages && html`<a href="${listingUrl(type, query, query.page + 1)}" rel="next">Next</a>`}</nav>`
        }
      </section>
    </div>`,
  });
}
