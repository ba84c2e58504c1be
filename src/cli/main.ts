import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { usePrivateUmask } from "../data-dir.ts";
import { UsageError } from "./cli-context.ts";
import { registerInferenceCommands } from "./inference-commands.ts";
import { registerOrgCommands } from "./org-commands.ts";
import { registerServeCommand } from "./serve.ts";
import { registerTokenCommands } from "./token-commands.ts";
import { registerUserCommands } from "./user-commands.ts";

/**
 * `npx berth …`: the command table. Exit status 0 on success, 2 for a mistake in the command line
 * (found before anything is written), 1 for a failure such as an unknown user or a taken name. Every
 * error is one line on stderr, `berth: error: …`; a stack trace only with BERTH_DEBUG=1.
 */
export function buildProgram(): Command {
  const program = new Command("berth")
    .description("Berth, a self-hosted hub speaking the Hugging Face Hub API: server and admin commands")
    .version(packageVersion(), "-V, --version")
    .option("--data-dir <dir>", "data directory (default: BERTH_DATA_DIR or ./data)")
    .option("--database-url <url>", "postgres://… (default: BERTH_DATABASE_URL, else SQLite in the data dir)")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (text, write) => write(`berth: ${oneLine(text)}\n`) });
  registerServeCommand(program);
  registerUserCommands(program);
  registerOrgCommands(program);
  registerTokenCommands(program);
  registerInferenceCommands(program);
  return program;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    // Commander has already printed its own message (or the help it was asked for).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`berth: error: ${oneLine(message)}\n`);
    if (process.env.BERTH_DEBUG === "1" && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    // HubErrors (unknown user, taken name, an entity the user cannot see) and anything else: a failure.
    return error instanceof UsageError ? 2 : 1;
  }
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, " ");
}

function packageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

// This module is the process: what it and its git and SQLite create in the data dir is the user's alone.
usePrivateUmask();
const code = await runCli(process.argv.slice(2));
// A failed command may leave a pool open (e.g. PostgreSQL unreachable mid-way): do not hang on it.
// Success ends naturally once the command closed its database, or keeps running for `serve`.
if (code !== 0) process.exit(code);
