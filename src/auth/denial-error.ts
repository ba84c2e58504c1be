import type { Repo } from "../domain/entities.ts";
import { fullName, repoUrlPath } from "../domain/repo-id.ts";
import { HubError, INVALID_CREDENTIALS } from "../errors.ts";
import type { Denial } from "./authorize.ts";
import type { Principal } from "./principal.ts";

export const REPO_NOT_FOUND = "Repository not found";
const READ_ROLE = "This token has the read role; write access needs a write or fine-grained token with repo.write";

export function invalidCredentials(): HubError {
  return new HubError("InvalidCredentials", INVALID_CREDENTIALS);
}

export function repoNotFound(principal: Principal): HubError {
  // Anonymous callers get 401 so that git and the clients retry with credentials (hub-api.md §1.5).
  return new HubError("RepoNotFound", REPO_NOT_FOUND, { status: principal.type === "anonymous" ? 401 : 404 });
}

/** Turns a denial into the row of tokens.md §6 that describes it. */
export function denialError(denial: Denial, principal: Principal, repo: Repo | undefined, publicUrl: string): HubError {
  switch (denial.type) {
    case "not-found":
      return repoNotFound(principal);
    case "auth-required":
      return new HubError(
        "AuthRequired",
        denial.message ?? "You must be authenticated to do this: send a token with the write role",
      );
    case "gated": {
      const label = repo ? `${repo.type} ${fullName(repo)}` : "this repository";
      if (principal.type === "anonymous") {
        return new HubError(
          "GatedRepo",
          `Access to ${label} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
          { status: 401 },
        );
      }
      const url = repo ? `${publicUrl}${repoUrlPath(repo)}` : publicUrl;
      const base = `Access to ${label} is restricted and you are not in the authorized list. Visit ${url} to ask for access.`;
      const state =
        denial.state === "pending"
          ? " Your request to access this repo is awaiting a review from the repo authors."
          : denial.state === "rejected"
            ? " Your request to access this repo has been rejected by the repo's authors."
            : "";
      return new HubError("GatedRepo", base + state);
    }
    case "token-gated": {
      const name = repo ? fullName(repo) : "this repository";
      return new HubError(
        "GatedRepo",
        `This token cannot read gated repos: it needs "Read access to contents of all public gated repos you can access" or repo.content.read on ${name}`,
      );
    }
    case "read-role":
      return new HubError("ScopeMissing", READ_ROLE);
    case "token-lacks":
      return new HubError("ScopeMissing", `This token lacks ${denial.permission} on ${denial.target}`);
    case "user-lacks":
      return new HubError("Forbidden", denial.message);
    case "inference-lacks":
      return new HubError(
        "ScopeMissing",
        `This authentication method does not have sufficient permissions to call Inference Providers on behalf of user ${denial.user}. Missing permission: inference.serverless.write ("Make calls to Inference Providers") on user ${denial.user}, or in global`,
      );
  }
}
