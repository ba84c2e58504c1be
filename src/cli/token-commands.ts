import type { Command } from "commander";
import { createToken, MAX_TOKEN_NAME, refreshToken, revokeToken } from "../auth/token-service.ts";
import type { Context } from "../context.ts";
import { parseDuration } from "../domain/duration.ts";
import { isExpired, isTokenRole, TOKEN_ROLES, type Token } from "../domain/token.ts";
import { HubError } from "../errors.ts";
import { NO_USAGE, tokenRateLimits, type UsageSummary, usageByToken } from "../store/inference.ts";
import { findTokenByName, listTokens } from "../store/tokens.ts";
import { getUserByName } from "../store/users.ts";
import { checkName, type GlobalOptions, UsageError, withContext } from "./cli-context.ts";
import { mergeScopes, parseGlobalOption, parseScopeOption } from "./scope-option.ts";
import { formatTable } from "./table.ts";

interface TokenCreateOptions {
  name: string;
  role: string;
  scope: string[];
  global: string[];
  gated?: boolean;
  expiresIn?: string;
  rateLimit?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * Token lifecycle for an admin, through the same token service as the settings API. `create` and
 * `refresh` print the value and nothing else on stdout, so `TOKEN=$(npx berth token create …)` works;
 * it is the only time the value is shown.
 */
export function registerTokenCommands(program: Command): void {
  const token = program.command("token").description("manage a user's access tokens");

  token
    .command("create")
    .description("create an access token and print its value (shown only this once)")
    .argument("<user>", "owner of the token")
    .requiredOption("--name <name>", "token name, unique per user")
    .requiredOption("--role <role>", TOKEN_ROLES.join("|"))
    .option("--scope <scope>", "fineGrained: TYPE:NAME=PERM[,PERM...], repeatable", collect, [])
    .option("--global <perms>", "fineGrained: global permissions PERM[,PERM...]", collect, [])
    .option("--gated", "fineGrained: may read gated repos the user was granted")
    .option("--expires-in <duration>", "expire after a duration such as 90d, 12h, 30m, 45s")
    .option("--rate-limit <n>", "inference calls allowed per minute (default: unlimited)")
    .action(async (userName: string, options: TokenCreateOptions, command: Command) => {
      checkName(userName, "user name");
      const displayName = checkTokenName(options.name);
      if (!isTokenRole(options.role)) {
        throw new UsageError(`Unknown token role "${options.role}": use ${TOKEN_ROLES.join(", ")}`);
      }
      const role = options.role;
      const scoped = mergeScopes(options.scope.map(parseScopeOption));
      const global = [...new Set(options.global.flatMap(parseGlobalOption))];
      if (role !== "fineGrained" && (scoped.length > 0 || global.length > 0 || options.gated)) {
        throw new UsageError(`--scope, --global and --gated apply only to --role fineGrained, not ${role}`);
      }
      const seconds = options.expiresIn === undefined ? undefined : parseDuration(options.expiresIn);
      if (options.expiresIn !== undefined && seconds === undefined) {
        throw new UsageError(`Invalid --expires-in "${options.expiresIn}": use e.g. 90d, 12h, 30m, 45s`);
      }
      const rateLimitPerMinute = options.rateLimit === undefined ? undefined : Number(options.rateLimit);
      if (rateLimitPerMinute !== undefined && !(Number.isInteger(rateLimitPerMinute) && rateLimitPerMinute > 0)) {
        throw new UsageError(`Invalid --rate-limit "${options.rateLimit}": give a whole number of calls per minute`);
      }
      const value = await withContext(command.optsWithGlobals<GlobalOptions>(), async (ctx) => {
        const user = await getUserByName(ctx.db, userName);
        const expiresAt = seconds === undefined ? undefined : new Date(ctx.now().getTime() + seconds * 1000);
        const created = await createToken(ctx, user, {
          displayName,
          role,
          canReadGatedRepos: options.gated === true,
          global,
          scoped,
          expiresAt,
          rateLimitPerMinute,
        });
        return created.value;
      });
      process.stdout.write(`${value}\n`);
    });

  token
    .command("list")
    .description("list a user's tokens (never their values)")
    .argument("<user>", "owner of the tokens")
    .option("--json", "print JSON instead of a table")
    .action(async (userName: string, options: { json?: boolean }, command: Command) => {
      checkName(userName, "user name");
      const { tokens, now, inference } = await withContext(command.optsWithGlobals<GlobalOptions>(), async (ctx) => {
        const user = await getUserByName(ctx.db, userName);
        return {
          tokens: await listTokens(ctx.db, user.id),
          now: ctx.now(),
          inference: await inferenceOf(ctx, user.id),
        };
      });
      if (options.json) {
        const rows = tokens.map((row) => ({ ...jsonToken(row), ...inference(row.id) }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else if (tokens.length === 0) {
        process.stdout.write(`${userName} has no tokens\n`);
      } else {
        process.stdout.write(
          formatTable(
            TABLE_HEADER,
            tokens.map((row) => [...tableRow(row, now), ...inferenceCells(inference(row.id))]),
          ),
        );
      }
    });

  token
    .command("refresh")
    .description("replace a token's value and print the new one; the old value stops working at once")
    .argument("<user>", "owner of the token")
    .argument("<name>", "token name")
    .action(async (userName: string, tokenName: string, _options: object, command: Command) => {
      checkName(userName, "user name");
      const displayName = checkTokenName(tokenName);
      const value = await withContext(command.optsWithGlobals<GlobalOptions>(), async (ctx) => {
        const found = await getToken(ctx, userName, displayName);
        return (await refreshToken(ctx, found.userId, found.id)).value;
      });
      process.stdout.write(`${value}\n`);
    });

  token
    .command("delete")
    .description("delete a token; it stops working at once")
    .argument("<user>", "owner of the token")
    .argument("<name>", "token name")
    .action(async (userName: string, tokenName: string, _options: object, command: Command) => {
      checkName(userName, "user name");
      const displayName = checkTokenName(tokenName);
      await withContext(command.optsWithGlobals<GlobalOptions>(), async (ctx) => {
        const found = await getToken(ctx, userName, displayName);
        await revokeToken(ctx, found.userId, found.id);
      });
      process.stdout.write(`Deleted token ${displayName} of ${userName}\n`);
    });
}

function checkTokenName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_TOKEN_NAME) {
    throw new UsageError(`A token name must be 1 to ${MAX_TOKEN_NAME} characters`);
  }
  return trimmed;
}

async function getToken(ctx: Context, userName: string, displayName: string): Promise<Token> {
  const user = await getUserByName(ctx.db, userName);
  const found = await findTokenByName(ctx.db, user.id, displayName);
  if (!found) throw new HubError("NotFound", `${user.name} has no token named "${displayName}"`);
  return found;
}

const TABLE_HEADER = [
  ...["NAME", "ROLE", "HINT", "CREATED", "EXPIRES", "LAST USED", "LAST IP", "PERMISSIONS"],
  ...["INFERENCE CALLS", "LAST CALL", "RATE LIMIT"],
];

/** Inference usage and limits of a user's tokens (issue 5), in two grouped queries. */
async function inferenceOf(ctx: Context, userId: string) {
  const [usage, limits] = await Promise.all([usageByToken(ctx.db, userId), tokenRateLimits(ctx.db, userId)]);
  return (id: string) => ({ usage: usage.get(id) ?? NO_USAGE, rateLimitPerMinute: limits.get(id) ?? null });
}

function inferenceCells(inference: { usage: UsageSummary; rateLimitPerMinute: number | null }): string[] {
  const last = inference.usage.lastCallAt;
  return [
    String(inference.usage.calls),
    last ? formatDate(new Date(last)) : "never",
    inference.rateLimitPerMinute === null ? "-" : `${inference.rateLimitPerMinute}/min`,
  ];
}

function tableRow(token: Token, now: Date): string[] {
  const expires = token.expiresAt
    ? `${formatDate(token.expiresAt)}${isExpired(token, now) ? " (expired)" : ""}`
    : "never";
  return [
    token.displayName,
    token.role,
    token.hint,
    formatDate(token.createdAt),
    expires,
    token.lastUsedAt ? formatDate(token.lastUsedAt) : "never",
    token.lastUsedIp ?? "-",
    permissionSummary(token),
  ];
}

/** `model:acme/bert=repo.content.read,repo.write; global=discussion.write; gated` */
function permissionSummary(token: Token): string {
  const fineGrained = token.fineGrained;
  if (token.role !== "fineGrained" || !fineGrained) return "-";
  const parts = fineGrained.scoped.map(
    (scope) => `${scope.entity.type}:${scope.entity.name}=${scope.permissions.join(",")}`,
  );
  if (fineGrained.global.length > 0) parts.push(`global=${fineGrained.global.join(",")}`);
  if (fineGrained.canReadGatedRepos) parts.push("gated");
  return parts.length > 0 ? parts.join("; ") : "public reads only";
}

function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")}Z`;
}

function jsonToken(token: Token) {
  return {
    id: token.id,
    displayName: token.displayName,
    role: token.role,
    ...(token.role === "fineGrained" && token.fineGrained ? { fineGrained: token.fineGrained } : {}),
    hint: token.hint,
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    lastUsedIp: token.lastUsedIp ?? null,
    lastUsedUserAgent: token.lastUsedUserAgent ?? null,
  };
}
