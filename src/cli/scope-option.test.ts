import { describe, expect, it } from "vitest";
import { UsageError } from "./cli-context.ts";
import { mergeScopes, parseGlobalOption, parseScopeOption } from "./scope-option.ts";

describe("parseScopeOption", () => {
  it.each([
    ["model:acme/bert=repo.content.read", { type: "model", name: "acme/bert" }, ["repo.content.read"]],
    [
      "dataset:alice/d=repo.content.read,repo.write",
      { type: "dataset", name: "alice/d" },
      ["repo.content.read", "repo.write"],
    ],
    ["space:hub.js/app=discussion.write", { type: "space", name: "hub.js/app" }, ["discussion.write"]],
    ["org:acme=org.read, org.write", { type: "org", name: "acme" }, ["org.read", "org.write"]],
    ["user:alice=inference.serverless.write", { type: "user", name: "alice" }, ["inference.serverless.write"]],
  ])("reads %s", (text, entity, permissions) => {
    expect(parseScopeOption(text)).toEqual({ entity, permissions });
  });

  it.each([
    ["acme/bert=repo.write", /use TYPE:NAME=PERM/],
    ["model:acme/bert", /use TYPE:NAME=PERM/],
    ["models:acme/bert=repo.write", /Unknown entity type "models"/],
    ["model:bert=repo.write", /Invalid model id "bert"/],
    ["model:acme/be--rt=repo.write", /Invalid model id/],
    ["org:ac/me=org.read", /Invalid org name "ac\/me"/],
    ["model:acme/bert=repo.read", /Unknown permission "repo\.read"/],
    ["model:acme/bert=org.read", /"org\.read" does not apply to a model/],
    ["model:acme/bert=repo.write,,repo.content.read", /Empty permission/],
    ["model:acme/bert=", /Empty permission/],
  ])("refuses %s", (text, message) => {
    expect(() => parseScopeOption(text)).toThrow(UsageError);
    expect(() => parseScopeOption(text)).toThrow(message);
  });
});

describe("parseGlobalOption", () => {
  it("accepts the permissions that may be global and names any other", () => {
    expect(parseGlobalOption("discussion.write,inference.serverless.write")).toEqual([
      "discussion.write",
      "inference.serverless.write",
    ]);
    expect(() => parseGlobalOption("repo.write")).toThrow(/"repo\.write" cannot be global/);
    expect(() => parseGlobalOption("everything")).toThrow(/Unknown permission "everything"/);
  });
});

describe("mergeScopes", () => {
  it("joins scopes on one entity, whatever the case of its name", () => {
    const merged = mergeScopes([
      { entity: { type: "model", name: "acme/bert" }, permissions: ["repo.content.read"] },
      { entity: { type: "dataset", name: "acme/bert" }, permissions: ["repo.write"] },
      { entity: { type: "model", name: "Acme/Bert" }, permissions: ["repo.write", "repo.content.read"] },
    ]);
    expect(merged).toEqual([
      { entity: { type: "model", name: "acme/bert" }, permissions: ["repo.content.read", "repo.write"] },
      { entity: { type: "dataset", name: "acme/bert" }, permissions: ["repo.write"] },
    ]);
  });
});
