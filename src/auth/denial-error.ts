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

/**
 * A real token past its `expiresAt`: 401 like any bad credential, but the body says it expired and when,
 * so its holder replaces it instead of hunting for a typo. (Not "refresh it": a refresh keeps the
 * expiry, so it would hand out a value that is dead already.) `X-Error-Message` keeps the generic
 * text, which Python matches exactly to raise a plain HTTP error instead of "repository not found";
 * Python 1.x also prints the `X-HF-Warning`, the only place a HEAD answer can say more. Only the
 * token's holder learns this: the value is a 160-bit secret, and a made-up one finds no row.
 */
export function expiredToken(expiredAt: Date, publicUrl: string): HubError {
  const when = expiredAt.toISOString();
  const where = `${publicUrl}/settings/tokens`;
  return new HubError(
    "InvalidCredentials",
    `This token expired on ${when}: create a new one in Settings → Access Tokens (${where})`,
    {
      headerMessage: INVALID_CREDENTIALS,
      headers: { "X-HF-Warning": `token-expired; This token expired on ${when}: create a new one at ${where}` },
    },
  );
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
    case "scope-lacks":
      return new HubError("ScopeMissing", `This app's token lacks the ${denial.scope} scope on ${denial.target}`);
  }
}
